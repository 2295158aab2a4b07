import {
  CronSpecError,
  DurationSource,
  JenkinsCron,
  TimelineLabel,
  TimelineOverlap,
  TimelineRun,
} from '@batch-jobs/plugin-batch-jobs-common';

/** A half-open interval [start, end) in epoch ms. @public */
export interface Interval {
  start: number;
  end: number;
}

/** An interval where more runs overlap than there are executors. @public */
export interface Overlap extends Interval {
  /** Highest number of concurrent runs within it. */
  concurrent: number;
}

/**
 * Maximal intervals in which more than `executors` of `runs` are running at
 * once, clipped to `window` when given. Runs are half-open: one ending when
 * another starts does not overlap it. Zero executors make every run an
 * overlap (nothing can run it); empty runs are ignored.
 * @internal
 */
export function findOverlaps(
  runs: Interval[],
  executors: number,
  window?: Interval,
): Overlap[] {
  const deltas = new Map<number, number>();
  for (const { start, end } of runs) {
    if (!(end > start)) continue;
    deltas.set(start, (deltas.get(start) ?? 0) + 1);
    deltas.set(end, (deltas.get(end) ?? 0) - 1);
  }
  // Every change at one instant is applied together, so an end and a start
  // at the same minute neither split nor create an overlap.
  const times = [...deltas.keys()].sort((a, b) => a - b);
  const overlaps: Overlap[] = [];
  let running = 0;
  for (let i = 0; i < times.length - 1; i++) {
    running += deltas.get(times[i])!;
    if (running <= executors) continue;
    const start = Math.max(times[i], window?.start ?? -Infinity);
    const end = Math.min(times[i + 1], window?.end ?? Infinity);
    if (end <= start) continue;
    const last = overlaps[overlaps.length - 1];
    if (last && last.end === start) {
      last.end = end;
      last.concurrent = Math.max(last.concurrent, running);
    } else {
      overlaps.push({ start, end, concurrent: running });
    }
  }
  return overlaps;
}

/** Upper bound of runs listed per job: every 5 minutes for a week fits. @public */
export const MAX_RUNS_PER_JOB = 2100;

/**
 * Start times of the runs that are going on at some point of `window`:
 * those starting before its end and ending after its start.
 * @internal
 */
export function runStartsIn(
  cron: Pick<JenkinsCron, 'nextRuns'>,
  window: Interval,
  durationMs: number,
  limit = MAX_RUNS_PER_JOB,
): { starts: number[]; truncated: boolean } {
  const starts: number[] = [];
  // Strictly after: a run that ends exactly at the window's start is out.
  let after = window.start - durationMs;
  for (;;) {
    const batch = cron.nextRuns(new Date(after), 64);
    for (const run of batch) {
      const t = run.getTime();
      if (t >= window.end) return { starts, truncated: false };
      if (starts.length >= limit) return { starts, truncated: true };
      starts.push(t);
    }
    if (batch.length < 64) return { starts, truncated: false };
    after = batch[batch.length - 1].getTime();
  }
}

/** A timer job of one label, ready to be laid out. @internal */
export interface ScheduledJob {
  name: string;
  fullName: string;
  spec: string;
  label: string | null;
  /** Parsed cron, or the reason there is none. */
  cron: JenkinsCron | { error: string };
  expectedDurationMs: number;
  durationSource: DurationSource;
}

/**
 * One label's lane group of the timeline: every run of its jobs within
 * `window` and where they exceed the label's executors.
 * @internal
 */
export function labelTimeline(
  label: string | null,
  executors: number,
  jobs: ScheduledJob[],
  window: Interval,
): TimelineLabel {
  const laid: Array<{ job: ScheduledJob } & Interval> = [];
  let truncated = false;
  for (const job of jobs) {
    if ('error' in job.cron) continue;
    const found = runStartsIn(job.cron, window, job.expectedDurationMs);
    truncated ||= found.truncated;
    for (const start of found.starts) {
      laid.push({ job, start, end: start + job.expectedDurationMs });
    }
  }
  laid.sort(
    (a, b) => a.start - b.start || a.job.fullName.localeCompare(b.job.fullName),
  );
  const iso = (t: number) => new Date(t).toISOString();
  const runs: TimelineRun[] = laid.map(({ job, start, end }) => ({
    job: job.name,
    fullName: job.fullName,
    start: iso(start),
    end: iso(end),
    expectedDurationMs: job.expectedDurationMs,
    durationSource: job.durationSource,
  }));
  const overlaps: TimelineOverlap[] = findOverlaps(laid, executors, window).map(
    o => ({
      start: iso(o.start),
      end: iso(o.end),
      concurrent: o.concurrent,
      executors,
    }),
  );
  const result: TimelineLabel = {
    label,
    executors,
    runs,
    overlaps,
    jobs: jobs.map(job => ({
      name: job.name,
      fullName: job.fullName,
      spec: job.spec,
      expectedDurationMs: job.expectedDurationMs,
      durationSource: job.durationSource,
      ...('error' in job.cron
        ? { error: job.cron.error }
        : {
            timezone: job.cron.timezone,
            description: job.cron.describe(),
          }),
    })),
  };
  if (truncated) result.truncated = true;
  return result;
}

/** The message of an invalid spec, for a lane that cannot be drawn. @internal */
export function cronError(error: unknown): { error: string } {
  return {
    error:
      error instanceof CronSpecError || error instanceof Error
        ? error.message
        : String(error),
  };
}
