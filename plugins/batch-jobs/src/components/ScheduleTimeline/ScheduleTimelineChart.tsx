import {
  MissedRunsReport,
  TimelineLabel,
  TimelineRun,
  VpcTimeline,
} from '@batch-jobs/plugin-batch-jobs-common';
import Box from '@material-ui/core/Box';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles } from '@material-ui/core/styles';
import { formatDuration } from '../../format';

const NAME_WIDTH = 220;
const LANE_HEIGHT = 22;
const HOUR = 3_600_000;

const useStyles = makeStyles(theme => ({
  axis: {
    position: 'relative',
    height: 20,
    marginLeft: NAME_WIDTH,
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  tick: {
    position: 'absolute',
    top: 0,
    transform: 'translateX(-50%)',
    whiteSpace: 'nowrap',
    fontSize: theme.typography.caption.fontSize,
    color: theme.palette.text.secondary,
  },
  group: {
    marginTop: theme.spacing(2),
  },
  groupHeader: {
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'baseline',
    marginBottom: theme.spacing(0.5),
  },
  body: {
    position: 'relative',
  },
  lane: {
    display: 'flex',
    alignItems: 'center',
    height: LANE_HEIGHT,
    borderBottom: `1px dotted ${theme.palette.divider}`,
  },
  laneName: {
    width: NAME_WIDTH,
    flexShrink: 0,
    paddingRight: theme.spacing(1),
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  track: {
    position: 'relative',
    flexGrow: 1,
    height: '100%',
  },
  bar: {
    position: 'absolute',
    top: 4,
    bottom: 4,
    minWidth: 2,
    borderRadius: 2,
    background: theme.palette.primary.main,
  },
  median: {
    background: theme.palette.primary.light,
  },
  // A run that should have happened and did not: only its outline.
  hollow: {
    background: 'transparent',
    border: `2px solid ${theme.palette.error.main}`,
  },
  outage: {
    position: 'absolute',
    top: 0,
    bottom: 0,
    minWidth: 3,
    pointerEvents: 'auto',
    background: `repeating-linear-gradient(45deg, ${alpha(
      theme.palette.text.secondary,
      0.18,
    )} 0 6px, transparent 6px 12px)`,
  },
  default: {
    background: theme.palette.grey[500],
  },
  overlaps: {
    position: 'absolute',
    top: 0,
    bottom: 0,
    left: NAME_WIDTH,
    right: 0,
    pointerEvents: 'none',
  },
  overlap: {
    position: 'absolute',
    top: 0,
    bottom: 0,
    minWidth: 3,
    pointerEvents: 'auto',
    background: alpha(theme.palette.error.main, 0.25),
    borderLeft: `2px solid ${theme.palette.error.main}`,
    borderRight: `2px solid ${theme.palette.error.main}`,
  },
  legend: {
    display: 'flex',
    gap: theme.spacing(2),
    marginTop: theme.spacing(1),
    alignItems: 'center',
  },
  swatch: {
    display: 'inline-block',
    width: 12,
    height: 10,
    marginRight: 4,
    borderRadius: 2,
    verticalAlign: 'middle',
  },
}));

function clock(time: number, timeZone?: string, withDay = false): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    ...(withDay ? { weekday: 'short', day: 'numeric' } : {}),
  }).format(time);
}

/** Axis ticks: every 3 h for a day, 12 h for three, a day for a week. */
export function ticksFor(from: number, to: number): number[] {
  const span = to - from;
  let step = 24 * HOUR;
  if (span <= 24 * HOUR) step = 3 * HOUR;
  else if (span <= 3 * 24 * HOUR) step = 12 * HOUR;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    ticks.push(t);
  }
  return ticks;
}

/** "6 runs, 4 executors" */
export function overlapText(concurrent: number, executors: number): string {
  return `${concurrent} runs, ${executors} ${
    executors === 1 ? 'executor' : 'executors'
  }`;
}

interface Lane {
  fullName: string;
  name: string;
  description?: string;
  error?: string;
  runs: TimelineRun[];
}

function lanesOf(label: TimelineLabel): Lane[] {
  const lanes = new Map<string, Lane>();
  for (const job of label.jobs ?? []) {
    lanes.set(job.fullName, {
      fullName: job.fullName,
      name: job.name,
      description: job.description,
      error: job.error,
      runs: [],
    });
  }
  for (const run of label.runs) {
    let lane = lanes.get(run.fullName);
    if (!lane) {
      lane = { fullName: run.fullName, name: run.job, runs: [] };
      lanes.set(run.fullName, lane);
    }
    lane.runs.push(run);
  }
  return [...lanes.values()].sort((a, b) =>
    a.fullName.localeCompare(b.fullName),
  );
}

/** @public */
export interface ScheduleTimelineChartProps {
  timeline: VpcTimeline;
  /** IANA zone the axis and tooltips use. Default: the browser's. */
  timeZone?: string;
  /** Runs that did not happen (hollow marks) and controller outages (bands). */
  missed?: Pick<MissedRunsReport, 'runs' | 'outages'>;
}

/**
 * The timeline itself: one group per agent label, one lane per job, a bar
 * per scheduled run as long as its expected duration, and red bands where
 * concurrent runs exceed the label's online executors.
 * @public
 */
export function ScheduleTimelineChart(props: ScheduleTimelineChartProps) {
  const { timeline, timeZone, missed } = props;
  const classes = useStyles();
  const missedRuns = new Set(
    (missed?.runs ?? [])
      .filter(r => r.state === 'missed')
      .map(r => `${r.job} ${Date.parse(r.expected)}`),
  );
  const outages = (missed?.outages ?? []).map(o => ({
    ...o,
    start: Date.parse(o.since),
    end: o.until ? Date.parse(o.until) : Date.parse(timeline.to),
  }));
  const from = Date.parse(timeline.from);
  const to = Date.parse(timeline.to);
  const span = Math.max(1, to - from);
  const pos = (t: number) =>
    `${(Math.min(Math.max(t - from, 0), span) / span) * 100}%`;
  const width = (start: number, end: number) =>
    `${((Math.min(end, to) - Math.max(start, from)) / span) * 100}%`;
  const multiDay = span > 24 * HOUR;
  const range = (start: number, end: number) =>
    `${clock(start, timeZone, multiDay)}–${clock(end, timeZone, multiDay)}`;

  if (timeline.labels.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No job of {timeline.vpc} has a timer.
      </Typography>
    );
  }

  return (
    <Box role="figure" aria-label={`Scheduled runs in ${timeline.vpc}`}>
      <div className={classes.axis} aria-hidden>
        {ticksFor(from, to).map(t => (
          <span key={t} className={classes.tick} style={{ left: pos(t) }}>
            {clock(t, timeZone, multiDay)}
          </span>
        ))}
      </div>
      {timeline.labels.map(label => {
        const name = label.label ?? 'any node';
        const lanes = lanesOf(label);
        return (
          <section
            key={name}
            className={classes.group}
            aria-label={`${name}, ${label.executors} executors`}
          >
            <div className={classes.groupHeader}>
              <Typography variant="subtitle2" component="h3">
                {name}
              </Typography>
              <Typography variant="caption" color="textSecondary">
                {label.executors} online{' '}
                {label.executors === 1 ? 'executor' : 'executors'}
                {label.overlaps.length > 0 &&
                  ` · ${label.overlaps.length} ${
                    label.overlaps.length === 1 ? 'overlap' : 'overlaps'
                  }`}
                {label.truncated && ' · some runs not shown'}
              </Typography>
            </div>
            <div className={classes.body}>
              {lanes.map(lane => (
                <div
                  key={lane.fullName}
                  className={classes.lane}
                  aria-label={`${lane.name}: ${
                    lane.error ??
                    `${lane.runs.length} ${
                      lane.runs.length === 1 ? 'run' : 'runs'
                    }${lane.description ? `, ${lane.description}` : ''}`
                  }`}
                >
                  <Typography
                    variant="body2"
                    className={classes.laneName}
                    title={lane.fullName}
                    color={lane.error ? 'error' : 'textPrimary'}
                  >
                    {lane.name}
                  </Typography>
                  <div className={classes.track}>
                    {lane.runs.map(run => {
                      const start = Date.parse(run.start);
                      const end = Date.parse(run.end);
                      let sourceClass = '';
                      const didNotRun = missedRuns.has(
                        `${run.fullName} ${start}`,
                      );
                      if (didNotRun) {
                        sourceClass = classes.hollow;
                      } else if (run.durationSource === 'median') {
                        sourceClass = classes.median;
                      } else if (run.durationSource === 'default') {
                        sourceClass = classes.default;
                      }
                      return (
                        <div
                          key={run.start}
                          data-testid={
                            didNotRun ? 'timeline-missed-run' : 'timeline-run'
                          }
                          className={`${classes.bar} ${sourceClass}`}
                          style={{ left: pos(start), width: width(start, end) }}
                          title={`${didNotRun ? 'Did not run: ' : ''}${
                            run.job
                          } ${range(start, end)} (expected ${formatDuration(
                            run.expectedDurationMs,
                          )}, ${run.durationSource})`}
                        />
                      );
                    })}
                  </div>
                </div>
              ))}
              <div className={classes.overlaps}>
                {outages.map(outage => (
                  <Tooltip
                    key={`outage ${outage.since}`}
                    title={`Controller ${outage.jenkins} unreachable (${range(
                      outage.start,
                      outage.end,
                    )})`}
                  >
                    <div
                      className={classes.outage}
                      style={{
                        left: pos(outage.start),
                        width: width(outage.start, outage.end),
                      }}
                      role="img"
                      aria-label={`Outage ${range(
                        outage.start,
                        outage.end,
                      )}: controller ${outage.jenkins} unreachable`}
                    />
                  </Tooltip>
                ))}
                {label.overlaps.map(overlap => {
                  const start = Date.parse(overlap.start);
                  const end = Date.parse(overlap.end);
                  const text = overlapText(
                    overlap.concurrent,
                    overlap.executors,
                  );
                  return (
                    <Tooltip
                      key={overlap.start}
                      title={`${text} (${range(start, end)})`}
                    >
                      <div
                        className={classes.overlap}
                        style={{ left: pos(start), width: width(start, end) }}
                        role="img"
                        aria-label={`Overlap ${range(start, end)}: ${text}`}
                      />
                    </Tooltip>
                  );
                })}
              </div>
            </div>
          </section>
        );
      })}
      <div className={classes.legend}>
        <Typography variant="caption" color="textSecondary">
          Bar length:
        </Typography>
        {(
          [
            ['', "Jenkins' estimate"],
            ['median', 'median of recent builds'],
            ['default', 'default (no builds yet)'],
          ] as const
        ).map(([kind, text]) => (
          <Typography key={text} variant="caption" color="textSecondary">
            <span
              className={`${classes.swatch} ${classes.bar} ${
                kind ? classes[kind] : ''
              }`}
              style={{ position: 'static' }}
            />
            {text}
          </Typography>
        ))}
      </div>
    </Box>
  );
}
