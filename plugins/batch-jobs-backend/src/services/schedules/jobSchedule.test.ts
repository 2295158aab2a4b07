import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import { RawBuild } from '../jenkins/types';
import {
  DEFAULT_DURATION_MS,
  NEXT_RUNS_COUNT,
  describeSchedule,
  expectedDuration,
  jobStats,
  median,
} from './jobSchedule';

const NOW = Date.UTC(2026, 10, 2, 9, 0);

describe('describeSchedule', () => {
  it('resolves H for the job and lists the next runs in the controller zone', () => {
    expect(
      describeSchedule('H/15 * * * *', {
        fullName: 'DEV/push-notifier/push-dispatch',
        timezone: 'UTC',
        now: NOW,
        count: 3,
      }),
    ).toEqual({
      spec: 'H/15 * * * *',
      timezone: 'UTC',
      description: 'every 15 minutes at :06, :21, :36, :51',
      nextRuns: [
        '2026-11-02T09:06:00.000Z',
        '2026-11-02T09:21:00.000Z',
        '2026-11-02T09:36:00.000Z',
      ],
    });
  });

  it("runs in the controller's zone unless the spec says TZ=", () => {
    const paris = describeSchedule('0 2 * * *', {
      fullName: 'a',
      timezone: 'Europe/Paris',
      now: NOW,
      count: 1,
    });
    expect(paris).toMatchObject({
      timezone: 'Europe/Paris',
      nextRuns: ['2026-11-03T01:00:00.000Z'],
    });
    const tokyo = describeSchedule('TZ=Asia/Tokyo\n0 2 * * *', {
      fullName: 'a',
      timezone: 'Europe/Paris',
      now: NOW,
      count: 1,
    });
    expect(tokyo).toMatchObject({
      timezone: 'Asia/Tokyo',
      nextRuns: ['2026-11-02T17:00:00.000Z'],
    });
  });

  it('gives the reason for an invalid spec instead of throwing', () => {
    const result = describeSchedule('H 25 * * *', {
      fullName: 'a',
      timezone: 'UTC',
      now: NOW,
    });
    expect(result.spec).toBe('H 25 * * *');
    expect(result.nextRuns).toBeUndefined();
    expect(result.error).toMatch(/^Invalid schedule at line 1, column \d+/);
  });

  describe('kept between lists until its first run has passed', () => {
    const fresh = (spec: string, fullName: string, now: number) =>
      nextRunsOf(spec, {
        jobFullName: fullName,
        after: new Date(now),
        count: NEXT_RUNS_COUNT,
        timezone: 'UTC',
      }).map(d => d.toISOString());
    const job = 'DEV/push-notifier/push-dispatch';

    it('answers a later list before that run with the same object', () => {
      const first = describeSchedule('H/15 * * * *', {
        fullName: job,
        timezone: 'UTC',
        now: NOW,
      });
      const later = describeSchedule('H/15 * * * *', {
        fullName: job,
        timezone: 'UTC',
        now: NOW + 5 * 60_000,
      });
      expect(later).toBe(first);
      expect(Object.isFrozen(later)).toBe(true);
      expect(Object.isFrozen(later.nextRuns)).toBe(true);
    });

    it('always equals the runs computed afresh, forwards, at a run and backwards', () => {
      const spec = 'H/15 * * * *\nH 3 * * 1-5';
      const moments = [
        NOW,
        NOW + 1,
        // 09:06 is the first run: at it, it is no longer next.
        Date.UTC(2026, 10, 2, 9, 5, 59, 999),
        Date.UTC(2026, 10, 2, 9, 6),
        Date.UTC(2026, 10, 2, 9, 6, 30),
        Date.UTC(2026, 10, 2, 23, 59),
        // A clock set back (tests, a corrected host) is not served later runs.
        NOW - 3_600_000,
        NOW,
      ];
      for (let t = NOW; t < NOW + 6 * 3_600_000; t += 7 * 60_000 + 13_000)
        moments.push(t);
      for (const now of moments) {
        const shown = describeSchedule(spec, {
          fullName: job,
          timezone: 'UTC',
          now,
        });
        expect(shown.nextRuns).toEqual(fresh(spec, job, now));
      }
    });

    it('is per job: H resolves differently for another one', () => {
      const a = describeSchedule('H * * * *', {
        fullName: 'DEV/a/one',
        timezone: 'UTC',
        now: NOW,
      });
      const b = describeSchedule('H * * * *', {
        fullName: 'DEV/a/two',
        timezone: 'UTC',
        now: NOW,
      });
      expect(a.nextRuns).toEqual(fresh('H * * * *', 'DEV/a/one', NOW));
      expect(b.nextRuns).toEqual(fresh('H * * * *', 'DEV/a/two', NOW));
      expect(a.nextRuns).not.toEqual(b.nextRuns);
    });
  });

  it('no timer, no schedule', () => {
    expect(
      describeSchedule(null, { fullName: 'a', timezone: 'UTC', now: NOW }),
    ).toEqual({ spec: null });
  });
});

const b = (result: string | null, duration: number): RawBuild => ({
  result,
  duration,
  building: result === null,
});

describe('jobStats', () => {
  it('rates success over finished builds and keeps durations oldest first', () => {
    // Newest first, as Jenkins lists them.
    const builds = [
      b(null, 0),
      b('SUCCESS', 30),
      b('FAILURE', 10),
      b('NOT_BUILT', 0),
      b('SUCCESS', 50),
      b('UNSTABLE', 40),
    ];
    expect(jobStats(builds)).toEqual({
      successRate: 0.5,
      recentDurationsMs: [40, 50, 10, 30],
      medianDurationMs: 35,
      sampleSize: 4,
    });
  });

  it('has no rate without finished builds', () => {
    expect(jobStats([])).toEqual({
      successRate: null,
      recentDurationsMs: [],
      medianDurationMs: null,
      sampleSize: 0,
    });
  });
});

describe('expectedDuration', () => {
  it("prefers Jenkins' estimate, then the median, then the default", () => {
    const builds = [b('SUCCESS', 100), b('FAILURE', 300), b('SUCCESS', 200)];
    expect(expectedDuration(1234, builds)).toEqual({
      ms: 1234,
      source: 'estimate',
    });
    expect(expectedDuration(-1, builds)).toEqual({ ms: 200, source: 'median' });
    expect(expectedDuration(undefined, [])).toEqual({
      ms: DEFAULT_DURATION_MS,
      source: 'default',
    });
  });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([])).toBeUndefined();
  });
});
