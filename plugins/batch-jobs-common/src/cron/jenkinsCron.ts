import { describeLines } from './describe';
import { CronSpecError } from './errors';
import { jenkinsHash } from './hash';
import { CronLine, isValidTimezone, parseCronSpecLines } from './parser';
import { mergeRuns, nextRunsOfLine } from './schedule';

/** @public */
export interface JenkinsCronOptions {
  /** The job's full name (`DEV/svc/job`): Jenkins seeds `H` with it. */
  jobFullName: string;
  /**
   * The Jenkins controller's time zone (IANA), used unless the spec starts
   * with a `TZ=` line. Default `UTC`.
   */
  timezone?: string;
}

/**
 * A parsed Jenkins timer spec with `H` resolved for one job.
 *
 * @public
 */
export interface JenkinsCron {
  /** The zone runs are computed in: the `TZ=` line's, else the controller's. */
  timezone: string;
  /** Schedule lines; any matching line fires the job. Empty = never runs. */
  lines: CronLine[];
  /** The next `count` run times strictly after `after` (minute precision). */
  nextRuns(after: Date, count: number): Date[];
  /** Human description, e.g. "every 15 minutes at :07, :22, :37, :52". */
  describe(): string;
}

/**
 * Parses a Jenkins TimerTrigger spec exactly as Jenkins does and resolves
 * `H` for the given job. Throws {@link CronSpecError} if Jenkins would
 * reject the spec.
 *
 * Run times follow Jenkins' `Trigger.Cron`, which checks every real minute
 * against the wall clock of the zone: a time inside a daylight-saving gap
 * (e.g. 02:30 on a spring-forward night) does not run that day, and a time
 * inside a fall-back overlap runs twice. Quirk kept on purpose: Jenkins
 * re-parses alias lines (`@daily`, ...) without the `TZ=` zone, so they run
 * in the controller's zone.
 *
 * @public
 */
export function parseJenkinsCron(
  spec: string,
  options: JenkinsCronOptions,
): JenkinsCron {
  const controllerZone = options.timezone ?? 'UTC';
  if (!isValidTimezone(controllerZone)) {
    throw new RangeError(`Unknown time zone "${controllerZone}"`);
  }
  const parsed = parseCronSpecLines(spec, jenkinsHash(options.jobFullName));
  const timezone = parsed.timezone ?? controllerZone;
  const lines = parsed.lines;
  return {
    timezone,
    lines,
    nextRuns(after: Date, count: number): Date[] {
      const from = after.getTime();
      if (Number.isNaN(from)) throw new RangeError('after is an invalid Date');
      const perLine = lines.map(line =>
        nextRunsOfLine(line, line.timezone ?? controllerZone, from, count),
      );
      return mergeRuns(perLine, count).map(t => new Date(t));
    },
    describe(): string {
      return describeLines(lines, timezone, controllerZone);
    },
  };
}

/**
 * The next `count` times strictly after `after` at which Jenkins fires a job
 * with timer spec `spec`. Throws {@link CronSpecError} on an invalid spec.
 *
 * @public
 */
export function nextRunsOf(
  spec: string,
  opts: { jobFullName: string; after: Date; count: number; timezone?: string },
): Date[] {
  return parseJenkinsCron(spec, opts).nextRuns(opts.after, opts.count);
}

/**
 * Describes a timer spec for a job in words, with `H` resolved.
 * Throws {@link CronSpecError} on an invalid spec.
 *
 * @public
 */
export function describeCronSpec(
  spec: string,
  opts: { jobFullName: string; timezone?: string },
): string {
  return parseJenkinsCron(spec, opts).describe();
}

export { CronSpecError };
