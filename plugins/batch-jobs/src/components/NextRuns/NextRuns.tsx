import { JobSchedule } from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { formatRelative } from '../../format';

const useStyles = makeStyles(theme => ({
  list: {
    margin: theme.spacing(0.5, 0, 0),
    paddingLeft: theme.spacing(2.5),
  },
  spec: {
    fontFamily: 'monospace',
  },
}));

/** "Tue 3 Nov, 02:59 UTC" in the job's zone: the time Jenkins will run it. */
export function formatRunTime(iso: string, timeZone = 'UTC'): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(time);
  } catch {
    // A zone this browser does not know: show UTC rather than nothing.
    return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

/** @public */
export interface NextRunsProps {
  schedule: JobSchedule;
  /**
   * `list` (job view): the description and every next run;
   * `summary` (a table cell): the description and the next run only.
   */
  variant?: 'list' | 'summary';
  /** At most this many runs in the list. Default: all the backend gave. */
  limit?: number;
  /** For tests. */
  now?: number;
}

/**
 * When a job runs next, in its own time zone (its `TZ=` line or the Jenkins
 * controller's), with `H` resolved exactly as Jenkins resolves it.
 * @public
 */
export function NextRuns(props: NextRunsProps) {
  const { schedule, variant = 'list', limit, now } = props;
  const classes = useStyles();

  if (!schedule.spec && schedule.error) {
    // The backend could not read the job's configuration: unknown, not none.
    return (
      <Box role="alert">
        <Typography variant="body2" color="error">
          Schedule unknown
        </Typography>
        <Typography variant="caption" color="textSecondary">
          {schedule.error}
        </Typography>
      </Box>
    );
  }
  if (!schedule.spec) {
    return (
      <Typography variant="body2" color="textSecondary">
        No timer
      </Typography>
    );
  }
  if (schedule.error) {
    return (
      <Box role="alert">
        <Typography variant="body2" color="error">
          Schedule <span className={classes.spec}>{schedule.spec}</span> is
          invalid
        </Typography>
        <Typography variant="caption" color="textSecondary">
          {schedule.error}
        </Typography>
      </Box>
    );
  }

  const zone = schedule.timezone ?? 'UTC';
  const runs = (schedule.nextRuns ?? []).slice(0, limit);
  const description = (
    <Tooltip title={<span className={classes.spec}>{schedule.spec}</span>}>
      <Typography variant="body2" component="span">
        {schedule.description ?? schedule.spec}
      </Typography>
    </Tooltip>
  );

  if (variant === 'summary') {
    const next = runs[0];
    return (
      <Box>
        {description}
        {next && (
          <Typography
            variant="caption"
            color="textSecondary"
            component="div"
            title={formatRunTime(next, zone)}
          >
            next <time dateTime={next}>{formatRelative(next, now)}</time>
          </Typography>
        )}
      </Box>
    );
  }

  return (
    <Box>
      {description}
      <Typography variant="caption" color="textSecondary" component="div">
        Times in {zone}
      </Typography>
      {runs.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No upcoming runs
        </Typography>
      ) : (
        <ol className={classes.list} aria-label="Next runs">
          {runs.map(run => (
            <li key={run}>
              <Typography variant="body2" component="span">
                <time dateTime={run}>{formatRunTime(run, zone)}</time>
              </Typography>{' '}
              <Typography variant="caption" color="textSecondary">
                ({formatRelative(run, now)})
              </Typography>
            </li>
          ))}
        </ol>
      )}
    </Box>
  );
}
