import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalRequest,
  ApprovalState,
  batchJobsApprovePermission,
} from '@internal/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { batchOperationsApiRef } from '../../api/BatchOperationsApi';
import { errorMessage } from '../../format';
import { usePolledAsync } from '../../hooks/usePolledAsync';

const STATUS_COLOR: Record<ApprovalState, 'default' | 'primary' | 'secondary'> =
  {
    pending: 'primary',
    approved: 'default',
    rejected: 'secondary',
    expired: 'default',
    failed: 'secondary',
  };

function statusLabel(a: ApprovalRequest): string {
  if (a.status === 'approved' || a.status === 'rejected')
    return `${a.status} by ${a.decidedBy}`;
  if (a.status === 'failed') return `approved by ${a.decidedBy}, then failed`;
  return a.status;
}

/**
 * The four-eyes gate's requests: pending ones with approve and reject (never
 * for your own request), decided ones with who decided and what happened.
 * @public
 */
export function ApprovalsList(props: { pollIntervalMs?: number }) {
  const api = useApi(batchOperationsApiRef);
  const identityApi = useApi(identityApiRef);
  const me = useAsync(
    async () => (await identityApi.getBackstageIdentity()).userEntityRef,
    [identityApi],
  );
  const { allowed } = usePermission({ permission: batchJobsApprovePermission });
  const [status, setStatus] = useState<ApprovalState | 'all'>('pending');
  const list = usePolledAsync(
    () => api.listApprovals(status === 'all' ? {} : { status }),
    [api, status],
    () => props.pollIntervalMs ?? 10_000,
  );
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<Error>();
  const [rejecting, setRejecting] = useState<ApprovalRequest>();
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<ApprovalRequest>();

  const decide = async (fn: () => Promise<ApprovalRequest>, id: string) => {
    setBusy(id);
    setActionError(undefined);
    try {
      setOutcome(await fn());
      await list.reload();
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(undefined);
    }
  };

  const columns: TableColumn<ApprovalRequest>[] = [
    { title: 'Request', field: 'summary' },
    { title: 'VPC', field: 'vpc' },
    { title: 'Requested by', field: 'requestedBy' },
    {
      title: 'When',
      render: a => (
        <>
          {new Date(a.requestedAt).toLocaleString()}
          {a.status === 'pending' && (
            <Box component="div" color="text.secondary">
              expires {new Date(a.expiresAt).toLocaleString()}
            </Box>
          )}
        </>
      ),
    },
    {
      title: 'Status',
      render: a => (
        <>
          <Chip
            size="small"
            label={statusLabel(a)}
            color={STATUS_COLOR[a.status]}
          />
          {a.reason && <Box color="text.secondary">“{a.reason}”</Box>}
          {a.error && <Box color="error.main">{a.error}</Box>}
        </>
      ),
    },
    {
      title: '',
      render: a => {
        if (a.status !== 'pending') return null;
        if (a.requestedBy === me.value) {
          return <em>your request: another person decides</em>;
        }
        return (
          <Box display="flex" gridGap={8}>
            <Button
              size="small"
              color="primary"
              variant="contained"
              disabled={!allowed || busy === a.id}
              onClick={() => decide(() => api.approve(a.id), a.id)}
            >
              Approve
            </Button>
            <Button
              size="small"
              disabled={!allowed || busy === a.id}
              onClick={() => {
                setReason('');
                setRejecting(a);
              }}
            >
              Reject
            </Button>
          </Box>
        );
      },
    },
  ];

  return (
    <InfoCard
      title="Approvals"
      subheader="Actions in VPCs that need four eyes wait here for a second person"
      action={
        <TextField
          select
          size="small"
          value={status}
          onChange={e => setStatus(e.target.value as ApprovalState | 'all')}
          inputProps={{ 'aria-label': 'Status' }}
        >
          {['pending', 'approved', 'rejected', 'expired', 'failed', 'all'].map(
            s => (
              <MenuItem key={s} value={s}>
                {s}
              </MenuItem>
            ),
          )}
        </TextField>
      }
    >
      {!allowed && (
        <Alert severity="info">
          You can see the requests; deciding needs the{' '}
          {batchJobsApprovePermission.name} permission.
        </Alert>
      )}
      {outcome && (
        <Alert
          severity={outcome.status === 'failed' ? 'error' : 'success'}
          role="status"
          onClose={() => setOutcome(undefined)}
        >
          {outcome.summary}: {statusLabel(outcome)}
          {outcome.error ? ` (${outcome.error})` : ''}
        </Alert>
      )}
      {actionError && (
        <Alert severity="error">{errorMessage(actionError)}</Alert>
      )}
      {list.loading && <Progress />}
      {list.error && !list.value && <ResponseErrorPanel error={list.error} />}
      {list.value && (
        <Table
          options={{
            paging: false,
            search: false,
            toolbar: false,
            padding: 'dense',
          }}
          columns={columns}
          data={list.value.items}
          emptyContent={
            <Box p={2}>No {status === 'all' ? '' : `${status} `}requests.</Box>
          }
        />
      )}
      {rejecting && (
        <Dialog
          open
          onClose={() => setRejecting(undefined)}
          maxWidth="sm"
          fullWidth
        >
          <DialogTitle>Reject: {rejecting.summary}</DialogTitle>
          <DialogContent>
            <TextField
              fullWidth
              // The dialog exists to type this reason.
              // eslint-disable-next-line jsx-a11y/no-autofocus
              autoFocus
              id="batch-jobs-reject-reason"
              label="Reason"
              value={reason}
              onChange={e => setReason(e.target.value)}
              helperText={`Shown to ${rejecting.requestedBy} and kept in the audit trail`}
            />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setRejecting(undefined)}>Cancel</Button>
            <Button
              color="secondary"
              variant="contained"
              onClick={() => {
                const r = rejecting;
                setRejecting(undefined);
                decide(
                  () => api.reject(r.id, reason.trim() || undefined),
                  r.id,
                );
              }}
            >
              Reject
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </InfoCard>
  );
}
