import { RawBuild } from '../jenkins/types';
import {
  DEFAULT_DURATION_MS,
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
