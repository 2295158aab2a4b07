import { Link } from '@backstage/core-components';
import {
  FleetAgent,
  batchJobsAgentTerminatePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import { makeStyles } from '@material-ui/core/styles';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TablePagination from '@material-ui/core/TablePagination';
import TableRow from '@material-ui/core/TableRow';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { memo, useMemo, useState } from 'react';
import { PermissionGate } from '../PermissionGate';

/** What an operator looks for in a fleet: one bucket per agent. */
export type AgentState = 'busy' | 'idle' | 'offline' | 'no-node';

const STATES: Array<{ value: AgentState; label: string }> = [
  { value: 'busy', label: 'Busy' },
  { value: 'idle', label: 'Idle' },
  { value: 'offline', label: 'Offline' },
  { value: 'no-node', label: 'No node' },
];

/** Rows per page. A fleet of 1 000 agents rendered at once takes seconds in the browser. */
export const AGENTS_PAGE_SIZE = 20;

export function agentState(agent: FleetAgent): AgentState {
  if (!agent.status) return 'no-node';
  if (agent.status !== 'online') return 'offline';
  return agent.executors.busy > 0 ? 'busy' : 'idle';
}

function statusText(agent: FleetAgent): string {
  if (!agent.status) return 'no Jenkins node';
  if (agent.status === 'online') return 'online';
  return `${agent.status.replace('-', ' ')}${
    agent.offlineReason ? `: ${agent.offlineReason}` : ''
  }`;
}

/** "v1 → v2 · 74 d", the image column: its template version against the default, and its AMI's age. */
function imageText(agent: FleetAgent): string {
  const image = agent.image;
  if (!image) return '—';
  const version =
    image.launchTemplateVersion === null
      ? 'no template'
      : `v${image.launchTemplateVersion}`;
  const target =
    image.defaultVersion !== null &&
    image.defaultVersion !== image.launchTemplateVersion
      ? ` → v${image.defaultVersion}`
      : '';
  const age = image.imageAgeDays !== null ? ` · ${image.imageAgeDays} d` : '';
  return `${version}${target}${age}${image.stale ? ' (stale)' : ''}`;
}

function matches(agent: FleetAgent, text: string): boolean {
  const haystack = [
    agent.node,
    agent.instanceId,
    agent.label,
    agent.offlineReason,
    agent.launchedBy,
    ...agent.builds.map(b => b.name),
  ];
  return haystack.some(v => v?.toLocaleLowerCase('en-US').includes(text));
}

// Names and short values never break mid-word ("batc-h"); reasons and builds wrap.
const useStyles = makeStyles({ nowrap: { whiteSpace: 'nowrap' } });

const COLUMNS = [
  'Agent',
  'Type',
  'Label',
  'Executors',
  'Builds',
  'Status',
  'EC2',
  'Image',
  'Launched',
];

/** One agent; memoised so a live refresh re-renders only the rows that changed. */
const AgentRow = memo(
  function AgentRowView(props: {
    agent: FleetAgent;
    canTerminate: boolean;
    onTerminate?: (agent: FleetAgent) => void;
  }) {
    const { agent: a, canTerminate, onTerminate } = props;
    const classes = useStyles();
    return (
      <TableRow hover>
        <TableCell className={classes.nowrap}>
          {a.node ?? <em>{a.instanceId} (no node)</em>}
        </TableCell>
        <TableCell className={classes.nowrap}>{a.type ?? '—'}</TableCell>
        <TableCell className={classes.nowrap}>{a.label ?? '—'}</TableCell>
        <TableCell className={classes.nowrap}>
          {`${a.executors.busy}/${a.executors.total} busy`}
        </TableCell>
        <TableCell>
          {a.builds.length === 0
            ? '—'
            : a.builds.map((b, i) => (
                <div key={i}>
                  {b.url ? <Link to={b.url}>{b.name}</Link> : b.name}
                </div>
              ))}
        </TableCell>
        <TableCell>{statusText(a)}</TableCell>
        <TableCell className={classes.nowrap}>
          {a.ec2State ?? 'not listed'}
        </TableCell>
        <TableCell
          className={classes.nowrap}
          title={a.image?.staleReasons.join('; ') || a.image?.imageId || ''}
        >
          {imageText(a)}
        </TableCell>
        <TableCell>
          {a.launchTime
            ? `${new Date(a.launchTime).toLocaleString()}${
                a.launchedBy ? ` by ${a.launchedBy}` : ''
              }`
            : '—'}
        </TableCell>
        <TableCell padding="none" className={classes.nowrap}>
          {a.node && onTerminate && (
            <PermissionGate
              allowed={canTerminate}
              permission={batchJobsAgentTerminatePermission.name}
            >
              <Button
                size="small"
                disabled={!canTerminate}
                onClick={() => onTerminate(a)}
                aria-label={`Terminate ${a.node}`}
              >
                Terminate
              </Button>
            </PermissionGate>
          )}
        </TableCell>
      </TableRow>
    );
  },
  // Each refresh brings new objects: compare what the row shows.
  (prev, next) =>
    prev.canTerminate === next.canTerminate &&
    prev.onTerminate === next.onTerminate &&
    JSON.stringify(prev.agent) === JSON.stringify(next.agent),
);

/**
 * A VPC's agents, paged and filterable by state and text: with hundreds of
 * agents only one page is in the DOM, and the filter finds the few that
 * need attention. The page stays put across live refreshes. A plain MUI
 * table rather than material-table: that one re-processed every agent of
 * the VPC on each 5 s refresh (~0.2 s of main thread with 1 000 agents).
 */
export function AgentsTable(props: {
  vpc: string;
  agents: FleetAgent[];
  canTerminate: boolean;
  /** Absent: the VPC's agent provider cannot terminate, so nothing offers it. */
  onTerminate?: (agent: FleetAgent) => void;
}) {
  const { vpc, agents, canTerminate, onTerminate } = props;
  const classes = useStyles();
  const [states, setStates] = useState<AgentState[]>([]);
  const [text, setText] = useState('');
  const [staleOnly, setStaleOnly] = useState(false);
  const staleCount = useMemo(
    () => agents.filter(a => a.image?.stale).length,
    [agents],
  );

  const counts = useMemo(() => {
    const byState: Record<AgentState, number> = {
      busy: 0,
      idle: 0,
      offline: 0,
      'no-node': 0,
    };
    for (const a of agents) byState[agentState(a)]++;
    return byState;
  }, [agents]);

  const shown = useMemo(() => {
    const needle = text.trim().toLocaleLowerCase('en-US');
    if (states.length === 0 && !needle && !staleOnly) return agents;
    return agents.filter(
      a =>
        (states.length === 0 || states.includes(agentState(a))) &&
        (!staleOnly || a.image?.stale) &&
        (!needle || matches(a, needle)),
    );
  }, [agents, states, text, staleOnly]);

  // Keep the page across live refreshes; step back when a filter or a
  // shrinking fleet leaves it past the end.
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(AGENTS_PAGE_SIZE);
  const lastPage = Math.max(0, Math.ceil(shown.length / pageSize) - 1);
  const current = Math.min(page, lastPage);
  const rows = shown.slice(current * pageSize, (current + 1) * pageSize);

  const filtered = shown.length !== agents.length;
  return (
    <section aria-label={`${vpc} agent list`}>
      {agents.length > 0 && (
        <Box
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          mb={1}
          style={{ gap: 8 }}
        >
          <ToggleButtonGroup
            size="small"
            value={states}
            onChange={(_, value: AgentState[]) => setStates(value)}
            aria-label={`Filter ${vpc} agents by state`}
          >
            {STATES.map(s => (
              <ToggleButton
                key={s.value}
                value={s.value}
                aria-label={`${s.label} (${counts[s.value]})`}
              >
                {s.label} ({counts[s.value]})
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
          {agents.some(a => a.image) && (
            <ToggleButton
              size="small"
              value="stale"
              selected={staleOnly}
              onChange={() => setStaleOnly(!staleOnly)}
              aria-label={`Stale (${staleCount})`}
            >
              Stale ({staleCount})
            </ToggleButton>
          )}
          <TextField
            size="small"
            variant="outlined"
            placeholder="Agent, instance, build…"
            value={text}
            onChange={e => setText(e.target.value)}
            inputProps={{ 'aria-label': `Find ${vpc} agents` }}
          />
          {filtered && (
            <Typography variant="body2" color="textSecondary">
              {shown.length} of {agents.length} agents
            </Typography>
          )}
        </Box>
      )}
      <TableContainer>
        <Table size="small" aria-label={`${vpc} agents`}>
          <TableHead>
            <TableRow>
              {COLUMNS.map(c => (
                <TableCell key={c} className={classes.nowrap}>
                  {c}
                </TableCell>
              ))}
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.length === 0 && (
              <TableRow>
                <TableCell colSpan={COLUMNS.length + 1} align="center">
                  <Typography variant="body2">
                    {filtered
                      ? `No ${vpc} agent matches the filter.`
                      : `No agents in ${vpc}.`}
                  </Typography>
                </TableCell>
              </TableRow>
            )}
            {rows.map(a => (
              <AgentRow
                key={a.node ?? a.instanceId ?? ''}
                agent={a}
                canTerminate={canTerminate}
                onTerminate={onTerminate}
              />
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {shown.length > AGENTS_PAGE_SIZE && (
        <TablePagination
          component="div"
          count={shown.length}
          page={current}
          rowsPerPage={pageSize}
          rowsPerPageOptions={[AGENTS_PAGE_SIZE, 50, 100]}
          onPageChange={(_, p) => setPage(p)}
          onRowsPerPageChange={e => {
            setPageSize(Number(e.target.value));
            setPage(0);
          }}
        />
      )}
    </section>
  );
}
