import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  JobComparisonResponse,
  JobDefinitionField,
  batchJobsJobPromotePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { batchJobConfigApiRef } from '../../api/BatchJobConfigApi';
import { errorMessage } from '../../format';

const LABELS: Record<JobDefinitionField, string> = {
  schedule: 'Schedule',
  parameters: 'Parameters',
  agentLabel: 'Agent label',
  script: 'Pipeline script',
};

function show(field: JobDefinitionField, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (field === 'parameters' && Array.isArray(value)) {
    return value
      .map((p: any) =>
        [p.name, p.type, p.defaultValue ? `= ${p.defaultValue}` : '']
          .filter(Boolean)
          .join(' '),
      )
      .join(', ');
  }
  return String(value);
}

/** The next VPC of the path DEV → STG → PROD, from the VPCs shown. */
function nextVpc(vpc: string, vpcs: string[]): string | undefined {
  const i = vpcs.indexOf(vpc);
  return i >= 0 ? vpcs[i + 1] : undefined;
}

export interface JobComparePanelProps {
  /** The VPC of the job view and the job's full name in it. */
  vpc: string;
  job: string;
  /** VPCs in promotion order, e.g. [DEV, STG, PROD]. */
  vpcs: string[];
  entityRef?: string;
}

/**
 * "Compare across VPCs": what differs in this job's configuration between
 * the VPCs (schedule, parameters, agent label, pipeline script; each VPC's
 * own names do not count), and "Promote DEV → STG" with a confirmation.
 */
export function JobComparePanel(props: JobComparePanelProps) {
  const { vpc, job, vpcs, entityRef } = props;
  const api = useApi(batchJobConfigApiRef);
  const to = nextVpc(vpc, vpcs);
  // Authorized with the target VPC (none past the last one: denied).
  const { allowed: canPromote } = usePermission({
    permission: batchJobsJobPromotePermission,
    resourceRef: to,
  });
  const comparison = useAsyncRetry(
    () => api.compareJob({ vpc, job, vpcs }),
    [api, vpc, job, vpcs.join(',')],
  );
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<
    { severity: 'success' | 'info' | 'error'; text: string } | undefined
  >();

  const promote = async (data: JobComparisonResponse) => {
    if (!to) return;
    setBusy(true);
    try {
      const res = await api.promoteJob({
        job: data.job,
        from: vpc,
        to,
        entityRef,
      });
      if ('approvalRequired' in res) {
        setResult({
          severity: 'info',
          text: `Promotion to ${to} waits for a second person's approval (request ${res.requestId}).`,
        });
      } else {
        setResult({
          severity: 'success',
          text:
            res.action === 'unchanged'
              ? `${to} already had this configuration.`
              : `Promoted to ${to} (${res.action}${
                  res.changed.length
                    ? `: ${res.changed.map(f => LABELS[f]).join(', ')}`
                    : ''
                }).`,
        });
      }
      setConfirming(false);
      comparison.retry();
    } catch (error) {
      setResult({ severity: 'error', text: errorMessage(error) });
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  let content;
  if (comparison.loading && !comparison.value) {
    content = <Progress />;
  } else if (comparison.error) {
    content = <ResponseErrorPanel error={comparison.error} />;
  } else if (comparison.value) {
    const data = comparison.value;
    const missing = data.vpcs.filter(v => !v.exists).map(v => v.vpc);
    const toEntry = data.vpcs.find(v => v.vpc === to);
    content = (
      <>
        {missing.length > 0 && (
          <Alert severity="info">Not in {missing.join(', ')}.</Alert>
        )}
        {data.vpcs
          .filter(v => v.error)
          .map(v => (
            <Alert key={v.vpc} severity="warning">
              {v.vpc}: {v.error}
            </Alert>
          ))}
        {data.differences.length === 0 ? (
          <Typography variant="body2">
            No difference between{' '}
            {data.vpcs
              .filter(v => v.exists)
              .map(v => v.vpc)
              .join(', ')}{' '}
            (schedule, parameters, agent label, pipeline script).
          </Typography>
        ) : (
          <Table size="small" aria-label="Differences across VPCs">
            <TableHead>
              <TableRow>
                <TableCell>Differs</TableCell>
                {data.vpcs.map(v => (
                  <TableCell key={v.vpc}>{v.vpc}</TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {data.differences.map(d => (
                <TableRow key={d.field}>
                  <TableCell>{LABELS[d.field]}</TableCell>
                  {data.vpcs.map(v => (
                    <TableCell key={v.vpc}>
                      <Box
                        component="pre"
                        style={{
                          whiteSpace: 'pre-wrap',
                          margin: 0,
                          maxHeight: 200,
                          overflow: 'auto',
                        }}
                      >
                        {v.exists ? show(d.field, d.values[v.vpc]) : '(no job)'}
                      </Box>
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        {result && (
          <Box mt={1}>
            <Alert severity={result.severity}>{result.text}</Alert>
          </Box>
        )}
        {to && (
          <Box mt={1}>
            <Button
              variant="outlined"
              color="primary"
              disabled={!canPromote || busy}
              onClick={() => setConfirming(true)}
            >
              Promote {vpc} → {to}
            </Button>
          </Box>
        )}
        <Dialog open={confirming} onClose={() => !busy && setConfirming(false)}>
          <DialogTitle>
            Promote {vpc} → {to}
          </DialogTitle>
          <DialogContent>
            <DialogContentText>
              {toEntry?.exists
                ? `${toEntry.fullName} gets ${vpc}'s configuration (its builds are kept).`
                : `${
                    toEntry?.fullName ?? to
                  } is created from ${vpc}'s configuration.`}{' '}
              Agent labels and the VPC name are translated to {to}'s.
              {data.differences.length > 0 &&
                ` Changes: ${data.differences
                  .map(d => LABELS[d.field])
                  .join(', ')}.`}
            </DialogContentText>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setConfirming(false)} disabled={busy}>
              Cancel
            </Button>
            <Button
              color="primary"
              variant="contained"
              disabled={busy}
              onClick={() => promote(data)}
            >
              Promote
            </Button>
          </DialogActions>
        </Dialog>
      </>
    );
  }
  return (
    <InfoCard title="Compare across VPCs" variant="gridItem">
      {content}
    </InfoCard>
  );
}
