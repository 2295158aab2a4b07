import { InfoCard } from '@backstage/core-components';
import { useApiHolder } from '@backstage/core-plugin-api';
import { ScheduledRunCheck } from '@batch-jobs/plugin-batch-jobs-common';
import Button from '@material-ui/core/Button';
import DialogContentText from '@material-ui/core/DialogContentText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import { useState } from 'react';
import {
  BatchMissedRunsApi,
  batchMissedRunsApiRef,
} from '../../api/BatchMissedRunsApi';
import { formatTimestamp } from '../../format';
import { useBuildStart } from '../../hooks/useBuildStart';
import { BuildStartDialog } from '../BuildStartProgress';
import { reasonText, stateText } from './reasons';
import { useMissedRuns } from './useMissedRuns';

/** Runs one missed run, with its scheduled time when the job takes it. */
function CatchUpRunDialog(props: {
  api: BatchMissedRunsApi;
  vpc: string;
  run: ScheduledRunCheck;
  parameter: string;
  entityRef?: string;
  onClose: () => void;
  onStarted?: () => void;
}) {
  const { api, vpc, run, entityRef, onClose } = props;
  const { progress, submit } = useBuildStart(api.runMissed.bind(api));
  return (
    <BuildStartDialog
      title={`Run the missed ${run.job.split('/').pop()} of ${formatTimestamp(
        run.expected,
      )}`}
      vpc={vpc}
      action="run"
      progress={progress}
      confirm={{
        label: 'Run now',
        icon: <PlayArrowIcon />,
        onClick: () =>
          submit({ vpc, job: run.job, expected: run.expected, entityRef }),
      }}
      onStarted={props.onStarted}
      onClose={onClose}
    >
      <DialogContentText>
        Starts <b>{run.job}</b> now. When the job declares the parameter{' '}
        <code>{props.parameter}</code>, it gets <code>{run.expected}</code>, the
        time it should have run at. The run is recorded in the audit trail under
        your name.
      </DialogContentText>
    </BuildStartDialog>
  );
}

/** The job view's list of its missed and late runs, each missed one runnable. */
export function MissedRunsCard(props: {
  vpc: string;
  job: string;
  entityRef?: string;
}) {
  const { vpc, job, entityRef } = props;
  const api = useApiHolder().get(batchMissedRunsApiRef);
  const { value: report, reload } = useMissedRuns({ vpc, job, entityRef });
  const [running, setRunning] = useState<ScheduledRunCheck>();
  if (!api || !report || report.runs.length === 0) return null;
  return (
    <InfoCard
      title="Missed and late runs"
      subheader={`Since ${formatTimestamp(report.from)}, grace ${Math.round(
        report.graceMs / 60_000,
      )} min`}
    >
      <Table size="small" aria-label="Missed and late runs">
        <TableHead>
          <TableRow>
            <TableCell>Scheduled</TableCell>
            <TableCell>What happened</TableCell>
            <TableCell>Why</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {[...report.runs].reverse().map(run => (
            <TableRow key={`${run.job} ${run.expected}`}>
              <TableCell>{formatTimestamp(run.expected)}</TableCell>
              <TableCell>
                <Typography
                  variant="body2"
                  color={run.state === 'missed' ? 'error' : 'textPrimary'}
                >
                  {stateText(run)}
                  {run.build ? ` (#${run.build.number})` : ''}
                </Typography>
              </TableCell>
              <TableCell>{reasonText(run.reason)}</TableCell>
              <TableCell align="right">
                {run.state === 'missed' && (
                  <Button
                    size="small"
                    startIcon={<PlayArrowIcon />}
                    onClick={() => setRunning(run)}
                  >
                    Run now
                  </Button>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {running && (
        <CatchUpRunDialog
          api={api}
          vpc={vpc}
          run={running}
          parameter={report.scheduledTimeParameter}
          entityRef={entityRef}
          onStarted={() => reload()}
          onClose={() => setRunning(undefined)}
        />
      )}
    </InfoCard>
  );
}
