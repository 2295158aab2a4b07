import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  WorkerRedeployOperation,
  batchJobsWorkerRedeployPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import DialogContentText from '@material-ui/core/DialogContentText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { ActionDialog, ApprovalPendingNotice } from '../ActionDialog';
import { PermissionGate } from '../PermissionGate';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { batchOperationsApiRef } from '../../api/BatchOperationsApi';
import { useFollowedOperation } from '../../hooks/useFollowedOperation';
import { errorMessage } from '../../format';

const STATE_TEXT: Record<string, string> = {
  pending: 'waiting',
  stopping: 'stopping the running build…',
  starting: 'waiting for the new build to start…',
  succeeded: 'restarted',
  failed: 'failed',
};

/** Starts a redeploy and follows its operation until every job is done. */
function useRedeploy(vpc: string, pollMs: number) {
  const api = useApi(batchOperationsApiRef);
  return useFollowedOperation({
    start: (jobs: string[]) => api.redeployWorkers({ vpc, jobs }),
    get: (id: string): Promise<WorkerRedeployOperation> => api.getOperation(id),
    intervalMs: pollMs,
  });
}

/** Confirmation listing the worker jobs, then live per-job progress. */
export function RedeployWorkersDialog(props: {
  vpc: string;
  onClose: () => void;
  /** Polling interval of the operation, in ms. Default 1000. */
  pollMs?: number;
}) {
  const { vpc, onClose } = props;
  const api = useApi(batchOperationsApiRef);
  const workers = useAsync(() => api.listWorkers(vpc), [api, vpc]);
  const { operation, approval, error, submitting, start } = useRedeploy(
    vpc,
    props.pollMs ?? 1000,
  );
  const started = Boolean(operation || approval) || submitting;
  const jobs = workers.value?.jobs ?? [];

  return (
    <ActionDialog
      title={`Redeploy workers in ${vpc}`}
      onClose={onClose}
      maxWidth="md"
      confirm={
        started
          ? undefined
          : {
              label: `Redeploy ${jobs.length} worker${
                jobs.length === 1 ? '' : 's'
              }`,
              disabled: jobs.length === 0,
              onClick: () => start(jobs.map(j => j.fullName)),
            }
      }
    >
      {workers.loading && <CircularProgress size={20} />}
      {workers.error && (
        <Alert severity="error">{errorMessage(workers.error)}</Alert>
      )}
      {!started && workers.value && (
        <>
          {jobs.length === 0 ? (
            <Alert severity="warning">
              No worker jobs in {vpc} match <code>{workers.value.pattern}</code>
              .
            </Alert>
          ) : (
            <>
              <DialogContentText>
                Each of these worker jobs is stopped (its running build ends for
                real) and started again with the parameters it ran with:
              </DialogContentText>
              <Table size="small" aria-label="Worker jobs">
                <TableBody>
                  {jobs.map(j => (
                    <TableRow key={j.fullName}>
                      <TableCell>
                        <Link to={j.url}>{j.fullName}</Link>
                      </TableCell>
                      <TableCell>
                        {j.runningBuild
                          ? `running #${j.runningBuild}`
                          : 'not running'}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              {workers.value.requireApproval && (
                <Alert severity="info">
                  {vpc} needs four eyes: another person must approve this
                  redeploy before it runs.
                </Alert>
              )}
            </>
          )}
        </>
      )}
      {submitting && <CircularProgress size={20} />}
      {approval && (
        <ApprovalPendingNotice
          pending={approval}
          why={`${vpc} needs a second person`}
          notYet="No worker was restarted yet"
        />
      )}
      {operation && (
        <Table size="small" aria-label="Redeploy progress">
          <TableHead>
            <TableRow>
              <TableCell>Job</TableCell>
              <TableCell>State</TableCell>
              <TableCell>Builds</TableCell>
              <TableCell>Last step</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {operation.jobs.map(j => (
              <TableRow key={j.job}>
                <TableCell>{j.job}</TableCell>
                <TableCell>{STATE_TEXT[j.state] ?? j.state}</TableCell>
                <TableCell>
                  {j.stoppedBuild ? `#${j.stoppedBuild} stopped` : ''}
                  {j.newBuild ? (
                    <>
                      {j.stoppedBuild ? ' → ' : ''}
                      {j.newBuildUrl ? (
                        <Link to={j.newBuildUrl}>#{j.newBuild}</Link>
                      ) : (
                        `#${j.newBuild}`
                      )}{' '}
                      running
                    </>
                  ) : null}
                </TableCell>
                <TableCell>
                  {j.error ?? j.steps[j.steps.length - 1]?.message ?? ''}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {operation?.state === 'succeeded' && (
        <Alert severity="success">Every worker job was restarted.</Alert>
      )}
      {operation?.state === 'failed' && (
        <Alert severity="error">
          {operation.jobs.filter(j => j.state === 'failed').length} of{' '}
          {operation.jobs.length} worker jobs could not be restarted; the others
          were.
        </Alert>
      )}
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
    </ActionDialog>
  );
}

/** "Redeploy workers" for one VPC, gated by batch-jobs.worker.redeploy. @public */
export function RedeployWorkersButton(props: { vpc: string; pollMs?: number }) {
  const { allowed } = usePermission({
    permission: batchJobsWorkerRedeployPermission,
    resourceRef: props.vpc,
  });
  const [open, setOpen] = useState(false);
  const button = (
    <Button
      size="small"
      variant="outlined"
      disabled={!allowed}
      onClick={() => setOpen(true)}
    >
      Redeploy workers
    </Button>
  );
  return (
    <>
      <PermissionGate
        allowed={allowed}
        permission={batchJobsWorkerRedeployPermission.name}
      >
        {button}
      </PermissionGate>
      {open && (
        <RedeployWorkersDialog
          vpc={props.vpc}
          pollMs={props.pollMs}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}
