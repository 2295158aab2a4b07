import {
  DurationSource,
  JobSchedule,
  JobStats,
  parseJenkinsCron,
} from '@batch-jobs/plugin-batch-jobs-common';
import { RawBuild } from '../jenkins/types';

/** Next runs shown per job in the jobs list. @public */
export const NEXT_RUNS_COUNT = 5;

/** Builds the stats look at (the newest ones). @public */
export const STATS_BUILDS = 30;

// Lists re-map every job when anything in them changes (a build, a
// signal): parsing each spec and walking its calendar again was most of a
// re-map's CPU, so each answer is kept until its first run has passed
// (`during`: from when it was computed to that run), and an invalid
// spec's for good. Answers are shared, hence frozen.
const DESCRIBED_MAX = 5000;
const described = new Map<
  string,
  { schedule: JobSchedule; during?: [from: number, to: number] }
>();

const isWithin = (now: number, [from, to]: [number, number]) =>
  from <= now && now < to;

/**
 * A job's schedule as users read it: the spec's words and next run times,
 * with `H` resolved for this job exactly as Jenkins resolves it. An invalid
 * spec yields `error`, never an exception.
 * @internal
 */
export function describeSchedule(
  spec: string | null,
  options: { fullName: string; timezone: string; now: number; count?: number },
): JobSchedule {
  if (spec === null) return { spec: null };
  const { fullName, timezone, now } = options;
  const count = options.count ?? NEXT_RUNS_COUNT;
  const key = `${timezone}\n${count}\n${fullName}\n${spec}`;
  const known = described.get(key);
  // Runs are strictly after `now`: none fell between the time they were
  // computed and now while now is before the first of them.
  if (known && (!known.during || isWithin(now, known.during)))
    return known.schedule;
  const schedule = computeSchedule(spec, fullName, timezone, now, count);
  described.delete(key);
  if (described.size >= DESCRIBED_MAX)
    described.delete(described.keys().next().value!);
  if (schedule.error !== undefined) {
    described.set(key, { schedule });
  } else if (schedule.nextRuns?.length) {
    const first = Date.parse(schedule.nextRuns[0]);
    described.set(key, { schedule, during: [now, first] });
  }
  return schedule;
}

function computeSchedule(
  spec: string,
  fullName: string,
  timezone: string,
  now: number,
  count: number,
): JobSchedule {
  try {
    const cron = parseJenkinsCron(spec, { jobFullName: fullName, timezone });
    return Object.freeze({
      spec,
      timezone: cron.timezone,
      description: cron.describe(),
      nextRuns: Object.freeze(
        cron.nextRuns(new Date(now), count).map(d => d.toISOString()),
      ) as string[],
    });
  } catch (error) {
    return Object.freeze({
      spec,
      error: (error as Error).message ?? String(error),
    });
  }
}

/** Median of a list of numbers; undefined for an empty list. @internal */
export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]
    : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** Finished builds that say something about the job (not NOT_BUILT), newest first. */
function finished(builds: Array<RawBuild | null> | undefined): RawBuild[] {
  return (builds ?? []).filter(
    (b): b is RawBuild =>
      !!b &&
      b.building !== true &&
      typeof b.result === 'string' &&
      b.result !== 'NOT_BUILT' &&
      typeof b.duration === 'number',
  );
}

/**
 * Success rate and durations of a job's recent builds (Jenkins lists them
 * newest first). Running builds are left out; UNSTABLE, FAILURE and ABORTED
 * count as not successful.
 * @internal
 */
export function jobStats(builds: Array<RawBuild | null> | undefined): JobStats {
  const done = finished(builds).slice(0, STATS_BUILDS);
  const successes = done.filter(b => b.result === 'SUCCESS').length;
  const durations = done.map(b => Math.max(0, b.duration!)).reverse();
  return {
    successRate: done.length ? successes / done.length : null,
    recentDurationsMs: durations,
    medianDurationMs: median(durations) ?? null,
    sampleSize: done.length,
  };
}

/** When nothing better is known, a run is assumed to take this long. @public */
export const DEFAULT_DURATION_MS = 5 * 60_000;

/**
 * How long a run is expected to take: Jenkins' estimate (from its last
 * successful builds), else the median of recent finished builds, else a
 * default. Jenkins reports -1 when it has no estimate.
 * @internal
 */
export function expectedDuration(
  estimateMs: number | undefined,
  builds: Array<RawBuild | null> | undefined,
  defaultMs = DEFAULT_DURATION_MS,
): { ms: number; source: DurationSource } {
  if (typeof estimateMs === 'number' && estimateMs > 0) {
    return { ms: estimateMs, source: 'estimate' };
  }
  const m = median(finished(builds).map(b => Math.max(0, b.duration!)));
  if (m !== undefined && m > 0) return { ms: m, source: 'median' };
  return { ms: defaultMs, source: 'default' };
}
