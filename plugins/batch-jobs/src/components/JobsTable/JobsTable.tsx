import { Link, Table, TableColumn } from '@backstage/core-components';
import {
  JobSummary,
  MissedRunsReport,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useState } from 'react';
import Tooltip from '@material-ui/core/Tooltip';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { formatDuration, formatRelative, formatTimestamp } from '../../format';
import { batchJobsSearch } from '../../hooks/useBatchJobsLocation';
import { BuildCauseLabel, BuildStatusLabel } from '../BuildStatus';
import { JobStats } from '../JobStats';
import { NextRuns } from '../NextRuns';
import { PauseJobButton, PauseJobDialog, PauseLabel } from '../PauseJob';
import { RunJobButton, RunJobDialog } from '../RunJob';
import { TemplateChip } from '../JobTemplate';
import { MissedRunBadges } from '../MissedRuns';

const useStyles = makeStyles(theme => ({
  spec: {
    fontFamily: 'monospace',
    fontSize: theme.typography.caption.fontSize,
    color: theme.palette.text.secondary,
  },
  jobError: {
    color: theme.palette.error.main,
  },
}));

const NOWRAP = { whiteSpace: 'nowrap' } as const;

/** The jobs of one VPC with their last build; a job name opens its view. */
export function JobsTable(props: {
  vpc: string;
  jobs: JobSummary[];
  /** The entity the table belongs to; enables the run and pause actions. */
  entityRef?: string;
  /** Called after an action changed a job, to refresh the list. */
  onChanged?: () => void;
  /** Missed and late runs of the VPC's jobs: "missed 2" / "late" badges. */
  missedRuns?: MissedRunsReport;
}) {
  const classes = useStyles();
  const { vpc, jobs, entityRef, onChanged } = props;
  // Dialogs live outside the rows: rows are re-created on every refresh.
  const [action, setAction] = useState<{
    kind: 'run' | 'pause';
    job: JobSummary;
  }>();

  const columns: TableColumn<JobSummary>[] = [
    {
      title: 'Job',
      field: 'name',
      highlight: true,
      // Job names are the one thing to read here: never squeeze them letter by letter.
      cellStyle: { minWidth: 200, overflowWrap: 'anywhere' },
      render: job => (
        <>
          <Link to={batchJobsSearch({ vpc, job: job.fullName })}>
            {job.displayName || job.name}
          </Link>
          <Typography variant="caption" display="block" color="textSecondary">
            {job.fullName}
          </Typography>
          <TemplateChip template={job.template} />
          <MissedRunBadges report={props.missedRuns} job={job.fullName} />
          {isPaused(job) && (
            <Box display="flex" alignItems="center" gridGap={4}>
              <Chip size="small" color="secondary" label="paused" />
              {job.pause ? (
                <PauseLabel pause={job.pause} />
              ) : (
                <Typography variant="caption" color="textSecondary">
                  disabled in Jenkins
                </Typography>
              )}
            </Box>
          )}
        </>
      ),
    },
    {
      title: 'Schedule',
      field: 'schedule.spec',
      render: job => {
        if (job.loading?.includes('schedule')) {
          return (
            <Typography variant="body2" color="textSecondary" role="status">
              reading schedule…
            </Typography>
          );
        }
        if (job.schedule.spec) {
          return (
            <>
              {isPaused(job) && (
                <Typography variant="body2" color="secondary">
                  paused: the timer does not fire
                </Typography>
              )}
              <NextRuns schedule={job.schedule} variant="summary" />
              {job.schedule.description && (
                <span className={classes.spec}>{job.schedule.spec}</span>
              )}
            </>
          );
        }
        // Not read (config.xml refused or failing): unknown, not manual.
        if (job.schedule.error)
          return <NextRuns schedule={job.schedule} variant="summary" />;
        return (
          <Typography variant="body2" color="textSecondary">
            manual
          </Typography>
        );
      },
    },
    {
      title: 'Last result',
      cellStyle: NOWRAP,
      customSort: (a, b) =>
        (a.lastBuild?.status ?? '').localeCompare(b.lastBuild?.status ?? ''),
      render: job => {
        if (job.error) {
          return (
            <Typography variant="body2" className={classes.jobError}>
              {job.error}
            </Typography>
          );
        }
        if (!job.lastBuild) {
          return (
            <Typography variant="body2" color="textSecondary">
              never built
            </Typography>
          );
        }
        return (
          <Link
            to={batchJobsSearch({
              vpc,
              job: job.fullName,
              build: job.lastBuild.number,
            })}
          >
            <BuildStatusLabel status={job.lastBuild.status} /> #
            {job.lastBuild.number}
            {job.lastBuild.failedStage && (
              <Typography variant="caption" display="block" color="error">
                in stage {job.lastBuild.failedStage}
              </Typography>
            )}
            {job.lastBuild.waitingForInput && (
              <Typography variant="caption" display="block">
                waiting for input: {job.lastBuild.waitingForInput}
              </Typography>
            )}
          </Link>
        );
      },
    },
    {
      title: 'Last run',
      cellStyle: NOWRAP,
      customSort: (a, b) =>
        (a.lastBuild?.startedAt ?? '').localeCompare(
          b.lastBuild?.startedAt ?? '',
        ),
      render: job =>
        job.lastBuild ? (
          <Tooltip title={formatTimestamp(job.lastBuild.startedAt)}>
            <span>{formatRelative(job.lastBuild.startedAt)}</span>
          </Tooltip>
        ) : (
          '—'
        ),
    },
    {
      title: 'Duration',
      cellStyle: NOWRAP,
      customSort: (a, b) =>
        (a.lastBuild?.durationMs ?? 0) - (b.lastBuild?.durationMs ?? 0),
      render: job =>
        job.lastBuild
          ? `${formatDuration(job.lastBuild.durationMs)}${
              job.lastBuild.building ? ' so far' : ''
            }`
          : '—',
    },
    {
      title: 'Recent builds',
      sorting: false,
      render: job =>
        job.loading?.includes('stats') ? (
          <Typography variant="body2" color="textSecondary" role="status">
            reading builds…
          </Typography>
        ) : (
          <JobStats stats={job.stats} />
        ),
    },
    {
      title: 'Triggered by',
      sorting: false,
      render: job =>
        job.lastBuild ? <BuildCauseLabel causes={job.lastBuild.causes} /> : '—',
    },
  ];
  if (entityRef) {
    columns.push({
      title: '',
      sorting: false,
      align: 'right',
      render: job =>
        job.error ? null : (
          // Stacked: side by side they pushed the table wider than the card.
          <Box
            display="flex"
            flexDirection="column"
            alignItems="stretch"
            gridGap={4}
          >
            <RunJobButton
              entityRef={entityRef}
              vpc={vpc}
              job={job.fullName}
              disabledReason={
                isPaused(job)
                  ? 'The job is paused: resume it to run it'
                  : undefined
              }
              onOpen={() => setAction({ kind: 'run', job })}
            />
            <PauseJobButton
              entityRef={entityRef}
              vpc={vpc}
              job={job.fullName}
              paused={isPaused(job)}
              pause={job.pause}
              onOpen={() => setAction({ kind: 'pause', job })}
            />
          </Box>
        ),
    });
  }

  return (
    <>
      <Table<JobSummary>
        title={`Jobs in ${vpc}`}
        options={{ paging: false, search: jobs.length > 10, padding: 'dense' }}
        columns={columns}
        data={jobs}
      />
      {entityRef && action?.kind === 'run' && (
        <RunJobDialog
          entityRef={entityRef}
          vpc={vpc}
          job={action.job.fullName}
          onStarted={onChanged}
          onClose={() => setAction(undefined)}
        />
      )}
      {entityRef && action?.kind === 'pause' && (
        <PauseJobDialog
          entityRef={entityRef}
          vpc={vpc}
          job={action.job.fullName}
          paused={isPaused(action.job)}
          pause={action.job.pause}
          onChanged={onChanged}
          onClose={() => setAction(undefined)}
        />
      )}
    </>
  );
}

/** Jenkins shows the job disabled (paused through the portal or not). */
function isPaused(job: JobSummary): boolean {
  return (
    Boolean(job.pause) ||
    job.color?.startsWith('disabled') === true ||
    (job.buildable === false && !job.error)
  );
}
