import { useApiHolder } from '@backstage/core-plugin-api';
import {
  CatchUpChoice,
  CatchUpOperation,
  MissedRunsReport,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import LinearProgress from '@material-ui/core/LinearProgress';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { batchMissedRunsApiRef } from '../../api/BatchMissedRunsApi';
import { errorMessage, formatTimestamp } from '../../format';
import { usePolledAsync } from '../../hooks/usePolledAsync';
import { useMissedRuns } from './useMissedRuns';

/** `1 scheduled run`, `3 scheduled runs`. */
function runs(count: number): string {
  return `${count} scheduled run${count === 1 ? '' : 's'}`;
}

const CHOICES: Array<{ value: CatchUpChoice; label: string }> = [
  { value: 'latest', label: 'the latest run' },
  { value: 'all', label: 'every missed run' },
  { value: 'none', label: 'nothing' },
];

function CatchUpProgress(props: { vpc: string; id: string }) {
  const api = useApiHolder().get(batchMissedRunsApiRef)!;
  const [stopError, setStopError] = useState<string>();
  const { value: op, reload } = usePolledAsync<CatchUpOperation>(
    () => api.getCatchUp({ vpc: props.vpc, id: props.id }),
    [props.vpc, props.id],
    current => (current && current.state !== 'running' ? null : 2000),
  );
  if (!op) return <LinearProgress />;
  const done = op.runs.filter(r =>
    ['finished', 'failed', 'stopped'].includes(r.state),
  ).length;
  return (
    <>
      <Typography variant="body2" gutterBottom>
        {op.state === 'running'
          ? `Catching up: ${done} of ${op.runs.length} done, at most ${op.concurrency} at once`
          : `Catch-up ${op.state}: ${done} of ${op.runs.length} runs done`}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={(100 * done) / Math.max(1, op.runs.length)}
      />
      <Table size="small" aria-label="Catch-up runs">
        <TableBody>
          {op.runs.map(run => (
            <TableRow key={`${run.job} ${run.expected}`}>
              <TableCell>{run.job}</TableCell>
              <TableCell>{formatTimestamp(run.expected)}</TableCell>
              <TableCell>
                {run.state}
                {run.buildNumber ? ` #${run.buildNumber}` : ''}
                {run.result ? ` ${run.result}` : ''}
                {run.error ? `: ${run.error}` : ''}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {stopError && <Alert severity="error">{stopError}</Alert>}
      {op.state === 'running' && (
        <Box mt={1}>
          <Button
            color="secondary"
            onClick={() =>
              api
                .stopCatchUp({ vpc: props.vpc, id: props.id })
                .then(() => reload())
                .catch(e => setStopError(errorMessage(e)))
            }
          >
            Stop the catch-up
          </Button>
        </Box>
      )}
    </>
  );
}

/** After an outage: choose, per job, what to run of its missed runs; then follow it. */
export function CatchUpDialog(props: {
  report: MissedRunsReport;
  onClose: () => void;
}) {
  const { report } = props;
  const api = useApiHolder().get(batchMissedRunsApiRef)!;
  const missed = report.runs.filter(r => r.state === 'missed');
  const jobs = [...new Set(missed.map(r => r.job))].sort();
  const [choices, setChoices] = useState<Record<string, CatchUpChoice>>(() =>
    Object.fromEntries(jobs.map(job => [job, 'latest' as CatchUpChoice])),
  );
  const [operation, setOperation] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const op = await api.startCatchUp({
        vpc: report.vpc,
        choice: 'none',
        choices,
        from: report.from,
        to: report.to,
      });
      setOperation(op.id);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open onClose={props.onClose} maxWidth="md" fullWidth>
      <DialogTitle>Catch up {report.vpc}</DialogTitle>
      <DialogContent>
        {operation ? (
          <CatchUpProgress vpc={report.vpc} id={operation} />
        ) : (
          <>
            <DialogContentText>
              {runs(missed.length)} did not run between{' '}
              {formatTimestamp(report.from)} and {formatTimestamp(report.to)}.
              Choose what to run of each job; they start at most as many at once
              as there are free executors, each recorded in the audit trail
              under your name.
            </DialogContentText>
            <Table size="small" aria-label="Catch-up choices">
              <TableBody>
                {jobs.map(job => (
                  <TableRow key={job}>
                    <TableCell>{job}</TableCell>
                    <TableCell>
                      {missed.filter(r => r.job === job).length} missed
                    </TableCell>
                    <TableCell>
                      <Select
                        value={choices[job]}
                        SelectDisplayProps={
                          {
                            'aria-label': `What to run of ${job}`,
                          } as object
                        }
                        onChange={e =>
                          setChoices({
                            ...choices,
                            [job]: e.target.value as CatchUpChoice,
                          })
                        }
                      >
                        {CHOICES.map(c => (
                          <MenuItem key={c.value} value={c.value}>
                            {c.label}
                          </MenuItem>
                        ))}
                      </Select>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            {error && <Alert severity="error">{error}</Alert>}
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        {!operation && (
          <Button color="primary" disabled={busy} onClick={start}>
            Catch up
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}

/**
 * The fleet page's line per VPC: "controller unreachable since …, N
 * scheduled runs missed so far", or the runs missed lately, with the
 * catch-up. Nothing when all ran.
 */
export function OutageSummary(props: { vpc: string }) {
  const { value: report } = useMissedRuns({ vpc: props.vpc });
  const [catchingUp, setCatchingUp] = useState(false);
  if (!report) return null;
  const open = report.outages.find(o => o.until === null);
  const last = report.outages[report.outages.length - 1];
  if (!open && report.missedCount === 0) return null;
  return (
    <Box mb={2}>
      <Alert
        severity={open ? 'error' : 'warning'}
        action={
          !open && report.missedCount > 0 ? (
            <Button
              color="inherit"
              size="small"
              onClick={() => setCatchingUp(true)}
            >
              Catch up
            </Button>
          ) : undefined
        }
      >
        {open
          ? `Controller ${open.jenkins} unreachable since ${formatTimestamp(
              open.since,
            )}, ${runs(report.missedCount)} missed so far`
          : `${runs(report.missedCount)} did not run since ${formatTimestamp(
              report.from,
            )}${
              last?.until
                ? ` (controller ${
                    last.jenkins
                  } unreachable from ${formatTimestamp(
                    last.since,
                  )} to ${formatTimestamp(last.until)})`
                : ''
            }`}
      </Alert>
      {catchingUp && (
        <CatchUpDialog report={report} onClose={() => setCatchingUp(false)} />
      )}
    </Box>
  );
}
