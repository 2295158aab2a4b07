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
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import CircularProgress from '@material-ui/core/CircularProgress';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { batchOperationsApiRef } from '../../api/BatchOperationsApi';
import { errorMessage } from '../../format';
import { usePolledAsync } from '../../hooks/usePolledAsync';

const STATUS_COLOR: Record<ApprovalState, 'default' | 'primary' | 'secondary'> =
  {
    pending: 'primary',
    approved: 'primary',
    executing: 'default',
    completed: 'default',
    rejected: 'secondary',
    expired: 'default',
    failed: 'secondary',
  };

const STATES: Array<ApprovalState | 'all'> = [
  'pending',
  'approved',
  'executing',
  'completed',
  'rejected',
  'expired',
  'failed',
  'all',
];

function statusLabel(a: ApprovalRequest): string {
  if (a.status === 'approved') return `approved by ${a.decidedBy}, not run yet`;
  if (a.status === 'rejected') return `rejected by ${a.decidedBy}`;
  if (a.status === 'executing') return `approved by ${a.decidedBy}, running`;
  if (a.status === 'completed') return `approved by ${a.decidedBy}, done`;
  if (a.status === 'failed')
    return a.decidedBy ? `approved by ${a.decidedBy}, then failed` : 'failed';
  return a.status;
}

const useStyles = makeStyles(theme => ({
  diff: {
    fontFamily: 'monospace',
    fontSize: 12,
    whiteSpace: 'pre',
    overflow: 'auto',
    maxHeight: 400,
    padding: theme.spacing(1),
    background: theme.palette.background.default,
  },
  added: { color: theme.palette.success.main },
  removed: { color: theme.palette.error.main },
}));

/** What the approver reviews: the exact parameters or each config diff. */
export function ApprovalReviewDetails(props: { request: ApprovalRequest }) {
  const classes = useStyles();
  const { review } = props.request;
  /** A diff line's colour: added and removed lines, not the file headers. */
  const diffClassOf = (line: string) => {
    if (line.startsWith('+') && !line.startsWith('+++')) return classes.added;
    if (line.startsWith('-') && !line.startsWith('---')) return classes.removed;
    return undefined;
  };
  if (!review) {
    return (
      <Alert severity="warning">
        This request was made before approvals were pinned to what was reviewed:
        it cannot be executed. Ask again.
      </Alert>
    );
  }
  return (
    <Box display="flex" flexDirection="column" gridGap={8}>
      {review.parameters && (
        <table aria-label="Parameters">
          <tbody>
            {Object.entries(review.parameters).length === 0 && (
              <tr>
                <td>No parameters</td>
              </tr>
            )}
            {Object.entries(review.parameters).map(([name, value]) => (
              <tr key={name}>
                <th scope="row" style={{ textAlign: 'left' }}>
                  {name}
                </th>
                <td>
                  {value === null ? <em>the job's default</em> : String(value)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {review.configs?.map(c => (
        <Box key={`${c.vpc}/${c.fullName}`}>
          <strong>
            {c.exists ? 'Update' : 'Create'} {c.fullName} ({c.vpc})
          </strong>
          <pre
            className={classes.diff}
            aria-label={`Config diff of ${c.fullName}`}
          >
            {(c.diff || 'No change').split('\n').map((line, i) => (
              <div key={i} className={diffClassOf(line)}>
                {line}
              </div>
            ))}
          </pre>
        </Box>
      ))}
      <Box color="text.secondary">
        Pinned: sha256 {review.hash.slice(0, 12)}… of {review.hashOf}. It is
        executed only if this is unchanged.
      </Box>
    </Box>
  );
}

/**
 * The four-eyes gate's requests: pending ones with what was asked (exact
 * parameters or config diff), approve and reject (never for your own
 * request); your own approved ones with "Execute" (it runs with your
 * permissions); decided ones with who decided and what happened.
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
  const [reviewing, setReviewing] = useState<ApprovalRequest>();

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
          {(a.status === 'pending' || a.status === 'approved') && (
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
        const review = (
          <Button size="small" onClick={() => setReviewing(a)}>
            Review
          </Button>
        );
        if (a.status === 'approved' && a.requestedBy === me.value) {
          return (
            <Box display="flex" gridGap={8} alignItems="center">
              {review}
              <Button
                size="small"
                color="primary"
                variant="contained"
                disabled={busy === a.id}
                onClick={() => decide(() => api.execute(a.id), a.id)}
              >
                Execute
              </Button>
              {busy === a.id && (
                <CircularProgress size={16} aria-label="Executing" />
              )}
            </Box>
          );
        }
        if (a.status !== 'pending') return review;
        if (a.requestedBy === me.value) {
          return (
            <Box display="flex" gridGap={8} alignItems="center">
              {review}
              <em>your request: another person decides</em>
            </Box>
          );
        }
        return (
          <Box display="flex" gridGap={8}>
            {review}
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
          {STATES.map(s => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
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
      {reviewing && (
        <Dialog
          open
          onClose={() => setReviewing(undefined)}
          maxWidth="md"
          fullWidth
        >
          <DialogTitle>{reviewing.summary}</DialogTitle>
          <DialogContent>
            <Box mb={1} color="text.secondary">
              Asked by {reviewing.requestedBy} in {reviewing.vpc},{' '}
              {new Date(reviewing.requestedAt).toLocaleString()}
            </Box>
            <ApprovalReviewDetails request={reviewing} />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setReviewing(undefined)}>Close</Button>
          </DialogActions>
        </Dialog>
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
