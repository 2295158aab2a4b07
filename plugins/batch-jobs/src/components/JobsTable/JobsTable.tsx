import { Link, Table, TableColumn } from '@backstage/core-components';
import { JobSummary } from '@internal/plugin-batch-jobs-common';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  formatDuration,
  formatRelative,
  formatTimestamp,
} from '../../format';
import { batchJobsSearch } from '../../hooks/useBatchJobsLocation';
import {
  BuildCauseLabel,
  BuildStatusLabel,
} from '../BuildStatus';
import { JobStats } from '../JobStats';
import { NextRuns } from '../NextRuns';

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

/** The jobs of one VPC with their last build; a job name opens its view. */
export function JobsTable(props: { vpc: string; jobs: JobSummary[] }) {
  const classes = useStyles();
  const { vpc, jobs } = props;

  const columns: TableColumn<JobSummary>[] = [
    {
      title: 'Job',
      field: 'name',
      highlight: true,
      render: job => (
        <>
          <Link to={batchJobsSearch({ vpc, job: job.fullName })}>
            {job.displayName || job.name}
          </Link>
          <Typography variant="caption" display="block" color="textSecondary">
            {job.fullName}
          </Typography>
        </>
      ),
    },
    {
      title: 'Schedule',
      field: 'schedule.spec',
      render: job =>
        job.schedule.spec ? (
          <>
            <NextRuns schedule={job.schedule} variant="summary" />
            {job.schedule.description && (
              <span className={classes.spec}>{job.schedule.spec}</span>
            )}
          </>
        ) : (
          <Typography variant="body2" color="textSecondary">
            manual
          </Typography>
        ),
    },
    {
      title: 'Last result',
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
          </Link>
        );
      },
    },
    {
      title: 'Last run',
      customSort: (a, b) =>
        (a.lastBuild?.startedAt ?? '').localeCompare(b.lastBuild?.startedAt ?? ''),
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
      render: job => <JobStats stats={job.stats} />,
    },
    {
      title: 'Triggered by',
      sorting: false,
      render: job =>
        job.lastBuild ? <BuildCauseLabel causes={job.lastBuild.causes} /> : '—',
    },
  ];

  return (
    <Table<JobSummary>
      title={`Jobs in ${vpc}`}
      options={{ paging: false, search: jobs.length > 10, padding: 'dense' }}
      columns={columns}
      data={jobs}
    />
  );
}
