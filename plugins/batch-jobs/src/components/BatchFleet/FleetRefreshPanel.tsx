import { useApi } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  FleetRefresh,
  VpcFleet,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { batchFleetApiRef } from '../../api/BatchFleetApi';
import { errorMessage } from '../../format';
import { usePolledAsync } from '../../hooks/usePolledAsync';
import { ActionDialog, ApprovalPendingNotice } from '../ActionDialog';

const UNFINISHED = ['running', 'paused', 'rolling-back'];

/** Agents a refresh would replace: not on their template's default version. */
function replaceableOf(fleet: VpcFleet): number {
  return fleet.agents.filter(
    a =>
      a.image &&
      a.image.defaultVersion !== null &&
      a.image.launchTemplateVersion !== a.image.defaultVersion,
  ).length;
}

const AGENT_STATE_TEXT: Record<string, string> = {
  pending: 'waiting for its batch',
  launching: 'replacement launching',
  ready: 'replacement online',
  draining: 'draining',
  replaced: 'replaced',
  skipped: 'skipped (current)',
  'rolled-back': 'rolled back',
};

/** One refresh: per agent, its replacement and where it is; pause, resume, abort. */
function RefreshProgress(props: {
  refresh: FleetRefresh;
  canControl: boolean;
  onChanged: () => void;
}) {
  const { refresh, canControl, onChanged } = props;
  const api = useApi(batchFleetApiRef);
  const [error, setError] = useState<string>();
  const todo = refresh.agents.filter(a => a.state !== 'skipped');
  const replaced = todo.filter(a => a.state === 'replaced').length;
  const control = (action: 'pause' | 'resume' | 'abort') =>
    api
      .controlRefresh(refresh.id, action)
      .then(onChanged, e => setError(errorMessage(e)));
  const unfinished = UNFINISHED.includes(refresh.state);
  return (
    <section aria-label={`${refresh.vpc} refresh progress`}>
      <Typography variant="subtitle2">
        Refresh by {refresh.actor}: {refresh.state} · {replaced} of{' '}
        {todo.length} agents replaced (batches of {refresh.batchSize}, at least{' '}
        {refresh.minHealthyExecutors} executors online)
      </Typography>
      {unfinished && (
        <LinearProgress
          variant="determinate"
          value={todo.length ? (100 * replaced) / todo.length : 100}
        />
      )}
      {refresh.message && (
        <Alert severity={refresh.state === 'succeeded' ? 'success' : 'warning'}>
          {refresh.message}
        </Alert>
      )}
      {error && <Alert severity="error">{error}</Alert>}
      <ul aria-label={`${refresh.vpc} refresh agents`}>
        {refresh.agents.map(a => (
          <li key={a.node}>
            {a.node}
            {a.replacement ? ` → ${a.replacement.node}` : ''}:{' '}
            {AGENT_STATE_TEXT[a.state] ?? a.state}
            {a.steps.length > 0 && unfinished
              ? ` — ${a.steps[a.steps.length - 1].message}`
              : ''}
          </li>
        ))}
      </ul>
      {unfinished && canControl && (
        <Box display="flex" style={{ gap: 8 }}>
          {refresh.state === 'running' && (
            <Button size="small" onClick={() => control('pause')}>
              Pause refresh
            </Button>
          )}
          {refresh.state === 'paused' && (
            <Button size="small" onClick={() => control('resume')}>
              Resume refresh
            </Button>
          )}
          {refresh.state !== 'rolling-back' && (
            <Button size="small" onClick={() => control('abort')}>
              Abort refresh
            </Button>
          )}
        </Box>
      )}
    </section>
  );
}

/** Start a refresh: batch size and the executors that stay online. */
function StartRefreshDialog(props: {
  fleet: VpcFleet;
  onClose: () => void;
  onStarted: () => void;
}) {
  const { fleet, onClose, onStarted } = props;
  const api = useApi(batchFleetApiRef);
  const [batchSize, setBatchSize] = useState('1');
  const [minHealthy, setMinHealthy] = useState('0');
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState<ApprovalPendingResponse>();
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.startRefresh(fleet.vpc, {
        batchSize: Number(batchSize),
        minHealthyExecutors: Number(minHealthy),
      });
      if (isApprovalPending(answer)) setPending(answer);
      else {
        onStarted();
        onClose();
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <ActionDialog
      title={`Refresh the agents of ${fleet.vpc}`}
      onClose={onClose}
      busy={busy}
      confirm={
        pending
          ? undefined
          : {
              label: `Refresh ${replaceableOf(fleet)} agent${
                replaceableOf(fleet) === 1 ? '' : 's'
              }`,
              onClick: start,
              disabled: busy,
            }
      }
    >
      <Typography variant="body2">
        Replacements launch from each launch template's default version; each
        old agent is drained once its batch is online, its running builds
        finish, then it is terminated. Agents already on the default version are
        skipped. A replacement that never comes online rolls its batch back.
      </Typography>
      <TextField
        fullWidth
        margin="dense"
        type="number"
        label="Batch size"
        value={batchSize}
        onChange={e => setBatchSize(e.target.value)}
        inputProps={{ 'aria-label': 'Batch size', min: 1 }}
      />
      <TextField
        fullWidth
        margin="dense"
        type="number"
        label="Minimum healthy executors"
        value={minHealthy}
        onChange={e => setMinHealthy(e.target.value)}
        inputProps={{ 'aria-label': 'Minimum healthy executors', min: 0 }}
      />
      {error && <Alert severity="error">{error}</Alert>}
      {pending && (
        <ApprovalPendingNotice
          pending={pending}
          why={`${fleet.vpc} needs a second person`}
          notYet="Nothing was replaced yet"
        />
      )}
    </ActionDialog>
  );
}

/**
 * How current a VPC's agents are ("3 of 5 agents stale, oldest image 74
 * days"), its latest refresh with progress per agent, and "Refresh agents".
 */
export function FleetRefreshPanel(props: {
  fleet: VpcFleet;
  pollMs: number;
  /** Launch and terminate are both allowed in the VPC. */
  canRefresh: boolean;
  onChanged: () => void;
}) {
  const { fleet, pollMs, canRefresh, onChanged } = props;
  const api = useApi(batchFleetApiRef);
  const [starting, setStarting] = useState(false);
  const refreshes = usePolledAsync(
    () => api.listRefreshes(fleet.vpc),
    [api, fleet.vpc],
    value =>
      value?.items[0] && UNFINISHED.includes(value.items[0].state)
        ? Math.min(pollMs, 2000)
        : pollMs,
  );
  const latest = refreshes.value?.items[0];
  const unfinished = latest && UNFINISHED.includes(latest.state);
  const reload = () => {
    void refreshes.reload();
    onChanged();
  };
  return (
    <Box mb={1}>
      {latest && (
        <RefreshProgress
          refresh={latest}
          canControl={canRefresh}
          onChanged={reload}
        />
      )}
      {!unfinished &&
        replaceableOf(fleet) === 0 &&
        (fleet.images?.stale ?? 0) > 0 && (
          <Typography variant="body2" color="textSecondary">
            The stale agents are on their launch template's default version: a
            refresh replaces them once a new version (a newer AMI) is the
            default.
          </Typography>
        )}
      {!unfinished && canRefresh && replaceableOf(fleet) > 0 && (
        <Button
          variant="outlined"
          size="small"
          onClick={() => setStarting(true)}
        >
          Refresh agents
        </Button>
      )}
      {starting && (
        <StartRefreshDialog
          fleet={fleet}
          onClose={() => setStarting(false)}
          onStarted={reload}
        />
      )}
    </Box>
  );
}
