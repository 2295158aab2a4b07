import type { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import { durationToMilliseconds, type HumanDuration } from '@backstage/types';
import { CronTime } from 'cron';

/**
 * When the scheduler will next start a routine. Its public API does not
 * say (and its table is private to backend-defaults), so this follows the
 * rules it runs by: a cron fires at the expression's next time (the same
 * `cron` library computes it); a frequency runs at a fixed rate from the
 * last scheduled start, never earlier than now; the first run waits for the
 * initial delay; a manual trigger has no next run.
 */
export function expectedNextRun(
  schedule: SchedulerServiceTaskScheduleDefinition,
  opts: { lastScheduledStart?: Date; scheduledAt: Date; now: Date },
): Date | null {
  const frequency = schedule.frequency as any;
  if (frequency && typeof frequency === 'object' && 'trigger' in frequency) {
    return null;
  }
  if (frequency && typeof frequency === 'object' && 'cron' in frequency) {
    try {
      return new CronTime(frequency.cron).getNextDateFrom(opts.now).toJSDate();
    } catch {
      return null;
    }
  }
  const every = durationToMilliseconds(frequency as HumanDuration);
  const next = opts.lastScheduledStart
    ? opts.lastScheduledStart.getTime() + every
    : opts.scheduledAt.getTime() +
      (schedule.initialDelay
        ? durationToMilliseconds(schedule.initialDelay as HumanDuration)
        : 0);
  return new Date(Math.max(next, opts.now.getTime()));
}
