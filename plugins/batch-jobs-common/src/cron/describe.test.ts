import { describeCronSpec } from '.';

const describeFor = (spec: string, jobFullName = 'any') =>
  describeCronSpec(spec, { jobFullName });

describe('describeCronSpec', () => {
  it('describes the seeded jobs with H resolved for each job', () => {
    expect(describeFor('H/15 * * * *', 'DEV/push-notifier/push-dispatch')).toBe(
      'every 15 minutes at :06, :21, :36, :51',
    );
    expect(
      describeFor(
        'H/30 * * * *',
        'DEV/payments-settlement/settlement-reconcile',
      ),
    ).toBe('every 30 minutes at :18, :48');
    expect(
      describeFor(
        'H 2 * * *',
        'DEV/payments-settlement/daily-settlement-report',
      ),
    ).toBe('daily at 02:59');
    expect(
      describeFor('H 3 * * 0', 'DEV/push-notifier/weekly-token-cleanup'),
    ).toBe('Sundays at 03:30');
    expect(describeFor('H 6 * * 1-5', 'DEV/report-builder/daily-report')).toBe(
      'weekdays at 06:38',
    );
    expect(
      describeFor('H H(0-3) * * 6', 'DEV/report-builder/weekly-backup'),
    ).toBe('Saturdays at 02:11');
    expect(describeFor('@monthly', 'DEV/report-builder/monthly-export')).toBe(
      'monthly on day 17 at 15:09',
    );
  });

  it.each([
    ['* * * * *', 'every minute'],
    ['*/5 * * * *', 'every 5 minutes from :00'],
    ['@hourly', 'hourly at :56'],
    ['5,20,48 * * * *', 'hourly at :05, :20 and :48'],
    ['0 9,17 * * *', 'daily at 09:00 and 17:00'],
    ['0 12 * * 6,0', 'weekends at 12:00'],
    ['0 12 * * 1,3,5', 'Mondays, Wednesdays and Fridays at 12:00'],
    ['0 0 1,15 * *', 'monthly on days 1 and 15 at 00:00'],
    ['0 0 1 * 7', 'monthly on day 1, only if it is a Sunday, at 00:00'],
    ['30 4 17 3 *', 'yearly on March 17 at 04:30'],
    ['0 6 * 6-8 *', 'daily in June–August at 06:00'],
    ['0 6 1 1,7 *', 'on day 1 of January and July at 06:00'],
    [
      '0 H/3 * * *',
      'every 3 hours at 02:00, 05:00, 08:00, 11:00, 14:00, 17:00, 20:00, 23:00',
    ],
    ['0 */2 * * *', 'every 2 hours from 00:00'],
    [
      '*/15 8-17 * * 1-5',
      'every 15 minutes at :00, :15, :30, :45 from 08:00 to 17:59 on weekdays',
    ],
    [
      '0,30 1,5,9 * * *',
      'every 30 minutes at :00, :30 during hours 01, 05 and 09',
    ],
    ['* 2-3 * * *', 'every minute from 02:00 to 03:59'],
    [
      'H/10 * 1 * *',
      'every 10 minutes at :06, :16, :26, :36, :46, :56 on day 1 of each month',
    ],
    ['0 0 * * 0\n30 12 * * 3', 'Sundays at 00:00; Wednesdays at 12:30'],
    ['# paused', 'never (no schedule lines)'],
  ])('%j → %s', (spec, expected) => {
    expect(describeFor(spec, 'stuff')).toBe(expected);
  });
});
