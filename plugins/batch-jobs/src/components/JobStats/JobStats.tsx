import { JobStats as JobStatsData } from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { formatDuration } from '../../format';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(1),
  },
  good: { color: theme.palette.success.main },
  fair: { color: theme.palette.warning.main },
  poor: { color: theme.palette.error.main },
  line: {
    fill: 'none',
    stroke: theme.palette.primary.main,
    strokeWidth: 1.5,
    strokeLinejoin: 'round',
  },
  median: {
    stroke: theme.palette.text.secondary,
    strokeWidth: 1,
    strokeDasharray: '2 2',
  },
}));

/** Points of a sparkline for `values` in a `width` × `height` box (y grows down). */
export function sparklinePoints(
  values: number[],
  width: number,
  height: number,
  pad = 2,
): Array<[number, number]> {
  if (values.length === 0) return [];
  const max = Math.max(...values);
  const min = Math.min(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const y = (v: number) =>
    max === min
      ? height / 2
      : pad + (height - 2 * pad) * (1 - (v - min) / span);
  return values.map((v, i) => [
    Math.round((pad + i * step) * 10) / 10,
    Math.round(y(v) * 10) / 10,
  ]);
}

/** @public */
export interface JobStatsProps {
  stats?: JobStatsData;
  /** Size of the duration sparkline in pixels. Default 96 × 24. */
  width?: number;
  height?: number;
}

/**
 * A job's recent health at a glance: success rate of its newest finished
 * builds and a sparkline of their durations (oldest left, newest right).
 * @public
 */
export function JobStats(props: JobStatsProps) {
  const { stats, width = 96, height = 24 } = props;
  const classes = useStyles();
  if (!stats || stats.sampleSize === 0 || stats.successRate === null) {
    return (
      <Typography variant="body2" color="textSecondary">
        No finished builds
      </Typography>
    );
  }
  const percent = Math.round(stats.successRate * 100);
  let rateClass = classes.poor;
  if (percent >= 90) rateClass = classes.good;
  else if (percent >= 70) rateClass = classes.fair;

  const durations = stats.recentDurationsMs;
  const points = sparklinePoints(durations, width, height);
  const last = durations[durations.length - 1];
  const label = `Duration of the last ${
    durations.length
  } builds, oldest to newest: median ${formatDuration(
    stats.medianDurationMs,
  )}, latest ${formatDuration(last)}`;
  const max = Math.max(...durations);
  const min = Math.min(...durations);
  const medianY =
    stats.medianDurationMs !== null && max > min
      ? 2 + (height - 4) * (1 - (stats.medianDurationMs - min) / (max - min))
      : height / 2;

  return (
    <Box className={classes.root}>
      <Typography
        variant="body2"
        className={rateClass}
        title={`${percent}% of the last ${stats.sampleSize} finished builds succeeded`}
      >
        {percent}% success
        <Typography variant="caption" color="textSecondary" component="span">
          {' '}
          of {stats.sampleSize}
        </Typography>
      </Typography>
      {points.length > 1 && (
        <svg
          role="img"
          aria-label={label}
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
        >
          <title>{label}</title>
          <line
            className={classes.median}
            x1={0}
            x2={width}
            y1={medianY}
            y2={medianY}
          />
          <polyline
            className={classes.line}
            points={points.map(([x, y]) => `${x},${y}`).join(' ')}
          />
        </svg>
      )}
    </Box>
  );
}
