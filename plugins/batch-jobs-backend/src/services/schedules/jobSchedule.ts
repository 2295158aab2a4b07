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
  try {
    const cron = parseJenkinsCron(spec, {
      jobFullName: options.fullName,
      timezone: options.timezone,
    });
    return {
      spec,
      timezone: cron.timezone,
      description: cron.describe(),
      nextRuns: cron
        .nextRuns(new Date(options.now), options.count ?? NEXT_RUNS_COUNT)
        .map(d => d.toISOString()),
    };
  } catch (error) {
    return { spec, error: (error as Error).message ?? String(error) };
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
