import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  JobTemplateInfo,
  JobTemplateSpecResponse,
  batchJobsJobCreatePermission,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { batchJobConfigApiRef } from '../../api/BatchJobConfigApi';
import { errorMessage } from '../../format';
import { PermissionGate } from '../PermissionGate';

/** How to bring a job to the current template, in words. */
export function updateAdvice(template: JobTemplateInfo): string {
  if (template.template) {
    return `This job was created with version ${template.version} of the job template “${template.template}”; the current version is ${template.current}. To update it, use “Update to template v${template.current}” in the job's view.`;
  }
  return `This job was created with version ${template.version} of the standard batch pipeline template; the current version is ${template.current} (build parameters reach the batch as data, never as shell text). To update it, use “Update to template v${template.current}” in the job's view, or re-run the “New batch job” Software Template for this job with “update” checked.`;
}

/** "outdated template (v1 → v2)" for a job an older template created; nothing otherwise. */
export function TemplateChip(props: { template?: JobTemplateInfo }) {
  const { template } = props;
  if (!template?.outdated) return null;
  return (
    <Tooltip title={updateAdvice(template)}>
      <Chip
        size="small"
        variant="outlined"
        color="secondary"
        label={`outdated template (v${template.version} → v${template.current})`}
      />
    </Tooltip>
  );
}

type Result = { severity: 'success' | 'info' | 'error'; text: string };

/**
 * "Update to template vN": reads what the job's config.xml says it was
 * rendered from, shows it, and re-renders the job with the current template
 * through `POST /jobs/update` (held for a second person where the VPC
 * requires approval).
 */
export function UpdateTemplateButton(props: {
  entityRef: string;
  vpc: string;
  /** Full name of the job. */
  job: string;
  template?: JobTemplateInfo;
  /** Called after the job was updated, to refresh its summary. */
  onUpdated?: () => void;
}) {
  const { entityRef, vpc, job, template } = props;
  const { allowed } = usePermission({
    permission: batchJobsJobCreatePermission,
    resourceRef: vpc,
  });
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState<Result>();
  if (!template?.outdated) return null;
  return (
    <>
      <PermissionGate allowed={allowed} permission={batchJobsJobCreatePermission.name}>
        <Button
          size="small"
          variant="outlined"
          color="primary"
          disabled={!allowed}
          onClick={() => {
            setResult(undefined);
            setOpen(true);
          }}
        >
          Update to template v{template.current}
        </Button>
      </PermissionGate>
      {result && (
        <Box width="100%" mt={1}>
          <Alert severity={result.severity}>{result.text}</Alert>
        </Box>
      )}
      {open && (
        <UpdateTemplateDialog
          entityRef={entityRef}
          vpc={vpc}
          job={job}
          onDone={r => {
            setResult(r);
            setOpen(false);
            if (r.severity === 'success') props.onUpdated?.();
          }}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}

function UpdateTemplateDialog(props: {
  entityRef: string;
  vpc: string;
  job: string;
  onDone: (result: Result) => void;
  onClose: () => void;
}) {
  const { entityRef, vpc, job } = props;
  const api = useApi(batchJobConfigApiRef);
  const read = useAsync(() => api.getTemplateSpec({ vpc, job }), [api, vpc, job]);
  const [busy, setBusy] = useState(false);

  const update = async (data: JobTemplateSpecResponse) => {
    setBusy(true);
    try {
      const res = await api.updateJobs({ ...data.spec, vpcs: [vpc], entityRef });
      if (isApprovalPending(res)) {
        props.onDone({
          severity: 'info',
          text: `The update of ${job} to template v${data.template.current} waits for a second person's approval (request ${res.requestId}).`,
        });
      } else {
        const written = res.jobs.find(j => j.fullName === job) ?? res.jobs[0];
        props.onDone({
          severity: 'success',
          text: `${written?.fullName ?? job} ${written?.action ?? 'updated'} with template v${data.template.current}${
            written?.auditId ? ` (audit ${written.auditId})` : ''
          }.`,
        });
      }
    } catch (error) {
      props.onDone({ severity: 'error', text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  const data = read.value;
  return (
    <Dialog open onClose={() => !busy && props.onClose()}>
      <DialogTitle>Update {job} to the current template</DialogTitle>
      <DialogContent>
        {read.loading && <DialogContentText>Reading the job's configuration…</DialogContentText>}
        {read.error && <Alert severity="error">{errorMessage(read.error)}</Alert>}
        {data && (
          <>
            <DialogContentText>
              The job is rendered again from the standard template v
              {data.template.current} (it has v{data.template.version}), with
              what its configuration says now. Its builds are kept; hand edits
              to its pipeline script are replaced.
            </DialogContentText>
            <Typography variant="body2" component="div">
              <Box component="ul" m={0} pl={2}>
                <li>
                  Batch {data.spec.batchName} of {data.spec.application} on{' '}
                  {data.spec.agentType} agents
                </li>
                <li>Schedule: {data.spec.schedule || 'manual'}</li>
                <li>
                  Parameters:{' '}
                  {data.spec.parameters?.length
                    ? data.spec.parameters.map(p => `${p.name} (${p.type})`).join(', ')
                    : 'none'}
                </li>
              </Box>
            </Typography>
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!data || busy}
          onClick={() => data && update(data)}
        >
          Update
        </Button>
      </DialogActions>
    </Dialog>
  );
}
