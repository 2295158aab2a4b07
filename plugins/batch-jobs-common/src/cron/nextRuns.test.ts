import {
  CronSpecError,
  describeCronSpec,
  nextRunsOf,
  parseJenkinsCron,
} from '.';

const iso = (dates: Date[]) => dates.map(d => d.toISOString());
const runs = (
  spec: string,
  after: string,
  count: number,
  options: { jobFullName?: string; timezone?: string } = {},
) =>
  iso(
    nextRunsOf(spec, {
      jobFullName: options.jobFullName ?? 'any',
      after: new Date(after),
      count,
      timezone: options.timezone,
    }),
  );

describe('nextRunsOf', () => {
  it('returns runs strictly after the given time, at minute precision', () => {
    expect(runs('0,30 * * * *', '2026-11-02T09:00:00Z', 3)).toEqual([
      '2026-11-02T09:30:00.000Z',
      '2026-11-02T10:00:00.000Z',
      '2026-11-02T10:30:00.000Z',
    ]);
    expect(runs('0,30 * * * *', '2026-11-02T09:29:59.999Z', 1)).toEqual([
      '2026-11-02T09:30:00.000Z',
    ]);
  });

  it('throws CronSpecError for an invalid spec', () => {
    expect(() => runs('H 25 * * *', '2026-11-02T09:00:00Z', 1)).toThrow(
      CronSpecError,
    );
  });

  describe('matches Jenkins CronTabTest ceil expectations', () => {
    it.each([
      ['0,30 * * * *', '2000-03-01T01:10:00Z', '2000-03-01T01:30:00.000Z'],
      ['0,30 * * * *', '2000-03-01T01:40:00Z', '2000-03-01T02:00:00.000Z'],
      ['15,45 3 * * *', '2000-03-01T02:30:00Z', '2000-03-01T03:15:00.000Z'],
      // Day of month AND day of week: the first Sunday the 1st in 2010 is Aug 1.
      ['0 0 1 * 0', '2010-01-01T15:55:00Z', '2010-08-01T00:00:00.000Z'],
      ['0 0 1 * 7', '2010-01-01T15:55:00Z', '2010-08-01T00:00:00.000Z'],
      ['0 23 * * 1-5', '2011-01-16T00:00:00Z', '2011-01-17T23:00:00.000Z'],
    ])('%s after %s is %s', (spec, after, expected) => {
      expect(runs(spec, after, 1)).toEqual([expected]);
    });

    it.each([
      [
        'H 17 * * *',
        'stuff',
        '2013-03-21T16:21:00Z',
        '2013-03-21T17:56:00.000Z',
      ],
      [
        'H * * * *',
        'stuff',
        '2013-03-21T16:21:00Z',
        '2013-03-21T16:56:00.000Z',
      ],
      ['@hourly', 'stuff', '2013-03-21T16:21:00Z', '2013-03-21T16:56:00.000Z'],
      ['@hourly', 'junk', '2013-03-21T16:21:00Z', '2013-03-21T17:20:00.000Z'],
      [
        'H H(12-13) * * *',
        'stuff',
        '2013-03-21T16:21:00Z',
        '2013-03-22T13:56:00.000Z',
      ],
      [
        'H/15 * * * *',
        'stuff',
        '2013-03-21T16:21:00Z',
        '2013-03-21T16:26:00.000Z',
      ],
      [
        'H/15 * * * *',
        'stuff',
        '2013-03-21T16:31:00Z',
        '2013-03-21T16:41:00.000Z',
      ],
      [
        'H/15 * * * *',
        'stuff',
        '2013-03-21T16:42:00Z',
        '2013-03-21T16:56:00.000Z',
      ],
      [
        'H/15 * * * *',
        'stuff',
        '2013-03-21T16:59:00Z',
        '2013-03-21T17:11:00.000Z',
      ],
      [
        'H(0-15)/3 * * * *',
        'junk',
        '2013-03-21T00:00:00Z',
        '2013-03-21T00:02:00.000Z',
      ],
      [
        'H(0-3)/4 * * * *',
        'junk',
        '2013-03-21T00:00:00Z',
        '2013-03-21T00:02:00.000Z',
      ],
      [
        'H(0-3)/4 * * * *',
        'junk',
        '2013-03-21T00:05:00Z',
        '2013-03-21T01:02:00.000Z',
      ],
    ])('%s hashed with %s after %s is %s', (spec, seed, after, expected) => {
      expect(runs(spec, after, 1, { jobFullName: seed })).toEqual([expected]);
    });

    it('applies a leading TZ= line (Jenkins testTimezone)', () => {
      const spec = 'TZ=Australia/Sydney\nH * * * *\nH * * * *';
      expect(
        runs(spec, '2013-04-03T11:00:00Z', 2, { jobFullName: 'seed' }),
      ).toEqual(['2013-04-03T11:35:00.000Z', '2013-04-03T11:56:00.000Z']);
      expect(parseJenkinsCron(spec, { jobFullName: 'seed' }).timezone).toBe(
        'Australia/Sydney',
      );
    });
  });

  it('merges several lines and fires once when two lines match the same minute', () => {
    expect(
      runs('0 * * * *\n# comment\n0,30 * * * *', '2026-01-01T00:00:00Z', 3),
    ).toEqual([
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T01:30:00.000Z',
    ]);
  });

  it('computes the seeded jobs as Jenkins resolves their H (values from Hash.from on a JVM)', () => {
    const after = '2026-11-02T09:00:00Z'; // a Monday
    const job = (name: string) => ({ jobFullName: `DEV/${name}` });
    expect(
      runs('H/15 * * * *', after, 4, job('push-notifier/push-dispatch')),
    ).toEqual([
      '2026-11-02T09:06:00.000Z',
      '2026-11-02T09:21:00.000Z',
      '2026-11-02T09:36:00.000Z',
      '2026-11-02T09:51:00.000Z',
    ]);
    expect(
      runs(
        'H/30 * * * *',
        after,
        2,
        job('payments-settlement/settlement-reconcile'),
      ),
    ).toEqual(['2026-11-02T09:18:00.000Z', '2026-11-02T09:48:00.000Z']);
    expect(
      runs(
        'H 2 * * *',
        after,
        1,
        job('payments-settlement/daily-settlement-report'),
      ),
    ).toEqual(['2026-11-03T02:59:00.000Z']);
    expect(
      runs('H 3 * * 0', after, 1, job('push-notifier/weekly-token-cleanup')),
    ).toEqual(['2026-11-08T03:30:00.000Z']);
    expect(
      runs('H 6 * * 1-5', after, 5, job('report-builder/daily-report')),
    ).toEqual([
      '2026-11-03T06:38:00.000Z',
      '2026-11-04T06:38:00.000Z',
      '2026-11-05T06:38:00.000Z',
      '2026-11-06T06:38:00.000Z',
      '2026-11-09T06:38:00.000Z',
    ]);
    expect(
      runs('H H(0-3) * * 6', after, 1, job('report-builder/weekly-backup')),
    ).toEqual(['2026-11-07T02:11:00.000Z']);
    expect(
      runs('@monthly', after, 2, job('report-builder/monthly-export')),
    ).toEqual(['2026-11-17T15:09:00.000Z', '2026-12-17T15:09:00.000Z']);
    expect(
      runs('H 2 * * *', after, 1, {
        jobFullName: 'STG/payments-settlement/daily-settlement-report',
      }),
    ).toEqual(['2026-11-03T02:00:00.000Z']);
  });

  it('keeps @midnight within 00:00-02:59 and H(0-3) within 00-03 for any job', () => {
    for (let i = 0; i < 200; i++) {
      const name = `DEV/svc-${i}/job`;
      const [midnight] = parseJenkinsCron('@midnight', {
        jobFullName: name,
      }).lines;
      expect(midnight.hours[0]).toBeGreaterThanOrEqual(0);
      expect(midnight.hours[0]).toBeLessThanOrEqual(2);
      const [backup] = parseJenkinsCron('H H(0-3) * * 6', {
        jobFullName: name,
      }).lines;
      expect(backup.hours[0]).toBeLessThanOrEqual(3);
    }
  });

  describe('time zones', () => {
    it('runs in the controller zone when there is no TZ= line', () => {
      expect(
        runs('0 2 * * *', '2026-07-01T00:00:00Z', 1, {
          timezone: 'Europe/Paris',
        }),
      ).toEqual(['2026-07-02T00:00:00.000Z']);
    });

    it('skips a wall-clock time that a spring-forward gap removes, as Jenkins (checking each real minute) does', () => {
      // New York jumps from 02:00 to 03:00 on 2026-03-08.
      expect(
        runs('30 2 * * *', '2026-03-07T12:00:00Z', 2, {
          timezone: 'America/New_York',
        }),
      ).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
    });

    it('fires twice for a wall-clock time repeated by a fall-back overlap', () => {
      // New York repeats 01:00-01:59 on 2026-11-01 (EDT then EST).
      expect(
        runs('30 1 * * *', '2026-10-31T12:00:00Z', 3, {
          timezone: 'America/New_York',
        }),
      ).toEqual([
        '2026-11-01T05:30:00.000Z',
        '2026-11-01T06:30:00.000Z',
        '2026-11-02T06:30:00.000Z',
      ]);
      // Starting between the two 01:30s still finds the second one.
      expect(
        runs('30 1 * * *', '2026-11-01T05:45:00Z', 1, {
          timezone: 'America/New_York',
        }),
      ).toEqual(['2026-11-01T06:30:00.000Z']);
    });

    it('keeps the controller zone for alias lines under TZ=, as Jenkins does', () => {
      const spec = 'TZ=Asia/Kolkata\n@hourly';
      const cron = parseJenkinsCron(spec, {
        jobFullName: 'stuff',
        timezone: 'UTC',
      });
      expect(cron.lines[0].timezone).toBeUndefined();
      expect(iso(cron.nextRuns(new Date('2013-03-21T16:21:00Z'), 1))).toEqual([
        '2013-03-21T16:56:00.000Z',
      ]);
      expect(describeCronSpec(spec, { jobFullName: 'stuff' })).toBe(
        'hourly at :56 (UTC)',
      );
    });

    it('rejects an unknown controller zone', () => {
      expect(() =>
        runs('* * * * *', '2026-01-01T00:00:00Z', 1, {
          timezone: 'Nowhere/City',
        }),
      ).toThrow(RangeError);
    });
  });

  it('finds rare dates far ahead and returns nothing for impossible ones', () => {
    // Feb 29 that is a Monday: 2044 after 2016.
    expect(runs('0 0 29 2 1', '2016-03-01T00:00:00Z', 1)).toEqual([
      '2044-02-29T00:00:00.000Z',
    ]);
    // Jenkins accepts Feb 30 but never runs it.
    expect(runs('0 0 30 2 *', '2026-01-01T00:00:00Z', 3)).toEqual([]);
    expect(runs('# nothing', '2026-01-01T00:00:00Z', 3)).toEqual([]);
  });

  it('skips by field instead of minute by minute', () => {
    const started = Date.now();
    const dispatch = runs('H/15 * * * *', '2026-03-01T00:00:00Z', 100, {
      jobFullName: 'DEV/push-notifier/push-dispatch',
      timezone: 'America/New_York',
    });
    const yearly = runs('@yearly', '2026-01-01T00:00:00Z', 20, {
      timezone: 'Europe/Paris',
    });
    expect(dispatch).toHaveLength(100);
    expect(yearly).toHaveLength(20);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
