import { expectedNextRun } from './nextRun';

const at = (iso: string) => new Date(`2026-11-02T${iso}Z`);

describe('expectedNextRun', () => {
  it('takes a cron routine’s next time from the expression', () => {
    // Every quarter hour: the same instant in any time zone.
    expect(
      expectedNextRun(
        { frequency: { cron: '*/15 * * * *' }, timeout: { minutes: 5 } },
        { scheduledAt: at('08:00:00'), now: at('09:07:00') },
      )?.toISOString(),
    ).toBe('2026-11-02T09:15:00.000Z');
  });

  it('runs a frequency at a fixed rate from the last scheduled start', () => {
    const schedule = { frequency: { minutes: 15 }, timeout: { minutes: 5 } };
    expect(
      expectedNextRun(schedule, {
        lastScheduledStart: at('09:00:00'),
        scheduledAt: at('08:00:00'),
        now: at('09:05:00'),
      })?.toISOString(),
    ).toBe('2026-11-02T09:15:00.000Z');
    // Overdue (a replica is about to claim it): now, never in the past.
    expect(
      expectedNextRun(schedule, {
        lastScheduledStart: at('08:00:00'),
        scheduledAt: at('07:00:00'),
        now: at('09:05:00'),
      })?.toISOString(),
    ).toBe('2026-11-02T09:05:00.000Z');
  });

  it('waits for the initial delay before the first run', () => {
    expect(
      expectedNextRun(
        {
          frequency: { hours: 1 },
          timeout: { minutes: 5 },
          initialDelay: { minutes: 2 },
        },
        { scheduledAt: at('09:00:00'), now: at('09:00:30') },
      )?.toISOString(),
    ).toBe('2026-11-02T09:02:00.000Z');
  });

  it('has no next run for a manual trigger or an expression it cannot read', () => {
    const opts = { scheduledAt: at('09:00:00'), now: at('09:00:00') };
    expect(
      expectedNextRun(
        { frequency: { trigger: 'manual' }, timeout: { minutes: 5 } },
        opts,
      ),
    ).toBeNull();
    expect(
      expectedNextRun(
        { frequency: { cron: 'not a cron' }, timeout: { minutes: 5 } },
        opts,
      ),
    ).toBeNull();
  });
});
