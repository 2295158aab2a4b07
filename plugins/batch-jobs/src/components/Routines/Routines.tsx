import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ApprovalPendingResponse,
  BackupRecord,
  RoutineRun,
  RoutineRunItem,
  RoutineSummary,
  batchJobsRoutineRunPermission,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import { PermissionGate } from '../PermissionGate';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchRoutinesApiRef } from '../../api/BatchRoutinesApi';
import { usePolledAsync } from '../../hooks/usePolledAsync';
import { ApprovalPendingNotice } from '../ActionDialog';

const time = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString() : '—';

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

const RUN_SEVERITY: Partial<Record<RoutineRun['outcome'], 'error' | 'info'>> = {
  failed: 'error',
  running: 'info',
};

function OutcomeChip(props: { run: RoutineRun | null }) {
  const { run } = props;
  if (!run) return <Chip size="small" label="never run" />;
  const colors: Partial<
    Record<RoutineRun['outcome'], 'primary' | 'secondary'>
  > = {
    failed: 'secondary',
    abandoned: 'secondary',
    succeeded: 'primary',
  };
  const color = colors[run.outcome] ?? 'default';
  return (
    <Chip
      size="small"
      color={color}
      label={`${run.outcome}${run.dryRun ? ' (dry run)' : ''}`}
    />
  );
}

function RunItems(props: { items: RoutineRunItem[] }) {
  if (props.items.length === 0) {
    return <Typography variant="body2">Nothing to do.</Typography>;
  }
  return (
    <Box component="ul" m={0} pl={2} aria-label="Run items">
      {props.items.map((item, i) => (
        <li key={i}>
          <Typography variant="body2">
            <strong>{item.status}</strong> {item.action} {item.target}
            {item.vpc ? ` (${item.vpc})` : ''}: {item.message}
          </Typography>
        </li>
      ))}
    </Box>
  );
}

/** Starts a run and follows it until it ends. */
function useRoutineRun(onDone: () => void, intervalMs: number) {
  const api = useApi(batchRoutinesApiRef);
  const [run, setRun] = useState<RoutineRun>();
  const [error, setError] = useState<Error>();
  const [starting, setStarting] = useState(false);
  const [approval, setApproval] = useState<ApprovalPendingResponse>();
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);

  const follow = useCallback(
    async (runId: string) => {
      try {
        const current = await api.getRun(runId);
        setRun(current);
        if (current.outcome === 'running') {
          timer.current = setTimeout(() => follow(runId), intervalMs);
        } else {
          onDone();
        }
      } catch (e) {
        setError(e as Error);
      }
    },
    [api, intervalMs, onDone],
  );

  const start = useCallback(
    async (id: string, dryRun: boolean) => {
      setStarting(true);
      setError(undefined);
      setRun(undefined);
      setApproval(undefined);
      try {
        const answer = await api.runRoutine(id, { dryRun });
        // Four eyes: the run waits for another person, then for its requester.
        if (isApprovalPending(answer)) setApproval(answer);
        else await follow(answer.runId);
      } catch (e) {
        setError(e as Error);
      } finally {
        setStarting(false);
      }
    },
    [api, follow],
  );
  return { run, error, starting, start, approval };
}

function RoutineCard(props: {
  routine: RoutineSummary;
  canRun: boolean;
  pollMs: number;
  runPollMs: number;
  onChange: () => void;
}) {
  const { routine, canRun, pollMs, runPollMs, onChange } = props;
  const api = useApi(batchRoutinesApiRef);
  const [showHistory, setShowHistory] = useState(false);
  const [selected, setSelected] = useState<RoutineRun>();
  const history = usePolledAsync(
    () =>
      showHistory
        ? api.listRuns(routine.id, 20)
        : Promise.resolve({ items: [] as RoutineRun[] }),
    [api, routine.id, showHistory],
    () => (showHistory ? pollMs : null),
  );
  const onDone = useCallback(() => {
    onChange();
    history.reload();
  }, [onChange, history]);
  const { run, error, starting, start, approval } = useRoutineRun(
    onDone,
    runPollMs,
  );
  const busy = starting || run?.outcome === 'running';
  const gate = (button: React.ReactElement) => (
    <PermissionGate
      allowed={canRun}
      permission={batchJobsRoutineRunPermission.name}
    >
      {button}
    </PermissionGate>
  );

  const columns: TableColumn<RoutineRun>[] = [
    { title: 'Started', render: r => time(r.startedAt) },
    { title: 'Ended', render: r => time(r.finishedAt) },
    {
      title: 'Trigger',
      render: r => (r.trigger === 'user' ? r.actor : 'schedule'),
    },
    { title: 'Outcome', render: r => <OutcomeChip run={r} /> },
    { title: 'What it did', render: r => r.summary ?? '…' },
    {
      title: '',
      render: r => (
        <Button
          size="small"
          onClick={() => setSelected(r)}
          aria-label={`Details of run ${r.id}`}
        >
          Details
        </Button>
      ),
    },
  ];

  return (
    <InfoCard title={routine.title} subheader={routine.description}>
      <Box
        display="flex"
        flexWrap="wrap"
        alignItems="center"
        style={{ gap: 16 }}
        aria-label={`${routine.title} status`}
      >
        <Typography variant="body2">
          Schedule: {routine.schedule}
          {routine.dryRunByDefault ? ' (dry runs)' : ''}
        </Typography>
        <Typography variant="body2">
          Next run: {time(routine.nextRunAt)}
        </Typography>
        <Typography variant="body2">
          Last run: {time(routine.lastRun?.startedAt ?? null)}
        </Typography>
        <OutcomeChip run={routine.lastRun} />
      </Box>
      {routine.lastRun?.summary && (
        <Typography variant="body2" color="textSecondary">
          {routine.lastRun.summary}
        </Typography>
      )}
      <Typography variant="caption" color="textSecondary">
        {Object.entries(routine.settings)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => `${k}: ${v}`)
          .join(' · ')}
      </Typography>
      <Box mt={1} display="flex" style={{ gap: 8 }}>
        {gate(
          <Button
            variant="contained"
            color="primary"
            disabled={!canRun || busy}
            onClick={() => start(routine.id, false)}
          >
            Run now
          </Button>,
        )}
        {gate(
          <Button
            variant="outlined"
            disabled={!canRun || busy}
            onClick={() => start(routine.id, true)}
          >
            Dry run
          </Button>,
        )}
        <Button onClick={() => setShowHistory(s => !s)}>
          {showHistory ? 'Hide history' : 'History'}
        </Button>
      </Box>
      {busy && <LinearProgress aria-label={`${routine.title} running`} />}
      {error && (
        <Box mt={1}>
          <Alert severity="error">{error.message}</Alert>
        </Box>
      )}
      {approval && (
        <Box mt={1}>
          <ApprovalPendingNotice
            aria-label={`${routine.title} approval`}
            pending={approval}
            why="a VPC this routine acts on needs a second person"
            notYet="Nothing ran yet"
          />
        </Box>
      )}
      {run && (
        <Box mt={1} aria-label={`${routine.title} current run`}>
          <Alert severity={RUN_SEVERITY[run.outcome] ?? 'success'}>
            {run.dryRun ? 'Dry run' : 'Run'} {run.outcome}
            {run.summary ? `: ${run.summary}` : ''}
          </Alert>
          <RunItems items={run.items} />
        </Box>
      )}
      {showHistory && (
        <Box mt={2}>
          {history.loading && <Progress />}
          {history.error && <ResponseErrorPanel error={history.error} />}
          {history.value && (
            <Table<RoutineRun>
              title="Run history"
              options={{
                search: false,
                paging: false,
                padding: 'dense',
                toolbar: false,
              }}
              columns={columns}
              data={history.value.items}
              emptyContent={<Box p={2}>No runs yet.</Box>}
            />
          )}
          {selected && (
            <Box mt={1} aria-label="Run details">
              <Typography variant="subtitle2">
                Run {selected.id} ({selected.dryRun ? 'dry run' : 'real'},{' '}
                {selected.outcome})
              </Typography>
              <RunItems items={selected.items} />
            </Box>
          )}
        </Box>
      )}
    </InfoCard>
  );
}

function Backups(props: { pollMs: number; refreshKey: number }) {
  const api = useApi(batchRoutinesApiRef);
  const backups = usePolledAsync(
    () => api.listBackups(50),
    [api, props.refreshKey],
    () => props.pollMs,
  );
  const columns: TableColumn<BackupRecord>[] = [
    { title: 'Time', render: b => time(b.createdAt) },
    { title: 'Key', field: 'key' },
    { title: 'Size', render: b => bytes(b.sizeBytes) },
    {
      title: 'Verified',
      render: b => (
        <Chip
          size="small"
          color={b.verified ? 'primary' : 'secondary'}
          label={b.verified ? 'verified' : 'NOT verified'}
        />
      ),
    },
    { title: 'Build', render: b => (b.build ? `#${b.build.number}` : '—') },
    {
      title: 'Status',
      render: b => (b.deletedAt ? `deleted ${time(b.deletedAt)}` : 'kept'),
    },
  ];
  if (backups.loading) return <Progress />;
  if (backups.error && !backups.value)
    return <ResponseErrorPanel error={backups.error} />;
  const items = backups.value?.items ?? [];
  return (
    <Table<BackupRecord>
      title="Backups"
      options={{
        search: false,
        paging: items.length > 10,
        pageSize: 10,
        padding: 'dense',
      }}
      columns={columns}
      data={items}
      emptyContent={<Box p={2}>No backup recorded yet.</Box>}
    />
  );
}

/** @public */
export interface RoutinesProps {
  /** Refresh interval, in ms. Default 10000. */
  pollIntervalMs?: number;
  /** How often a started run is followed, in ms. Default 1000. */
  runPollIntervalMs?: number;
}

/**
 * The "Routines" section: offline-node sweep, orphan reaper and Jenkins
 * backup, with their schedule, last run, run now / dry run, history and
 * the backups list.
 * @public
 */
export function Routines(props: RoutinesProps) {
  const pollMs = props.pollIntervalMs ?? 10_000;
  const api = useApi(batchRoutinesApiRef);
  const [refreshKey, setRefreshKey] = useState(0);
  const routines = usePolledAsync(
    () => api.listRoutines(),
    [api],
    () => pollMs,
  );
  const { allowed: canRun } = usePermission({
    permission: batchJobsRoutineRunPermission,
  });
  const { reload } = routines;
  // A refresh reloads in place: unmounting the cards would lose the run
  // they are showing.
  const onChange = useCallback(() => {
    reload();
    setRefreshKey(k => k + 1);
  }, [reload]);

  if (routines.loading && !routines.value) return <Progress />;
  if (routines.error && !routines.value)
    return <ResponseErrorPanel error={routines.error} />;
  const items = routines.value?.items ?? [];
  if (items.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No routines"
        description="The backend has no routines configured."
      />
    );
  }
  return (
    <Grid container spacing={2}>
      <Grid item xs={12}>
        <Typography variant="h5">Routines</Typography>
      </Grid>
      {items.map(routine => (
        <Grid item xs={12} md={4} key={routine.id}>
          <RoutineCard
            routine={routine}
            canRun={canRun}
            pollMs={pollMs}
            runPollMs={props.runPollIntervalMs ?? 1000}
            onChange={onChange}
          />
        </Grid>
      ))}
      <Grid item xs={12}>
        <Backups pollMs={pollMs} refreshKey={refreshKey} />
      </Grid>
    </Grid>
  );
}
