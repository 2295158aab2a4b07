import { CronSpecError } from './errors';
import { CronHash, jenkinsHash } from './hash';
import { isValidTimezone, parseCronSpecLines } from './parser';

const fixed = (pick: (n: number) => number): CronHash => ({ next: pick });
/** A hash that always picks 0 and records the bounds it was asked for. */
const recording = (draws: number[]): CronHash => ({
  next: n => {
    draws.push(n);
    return 0;
  },
});
const parseOne = (line: string, hash: CronHash = fixed(() => 0)) =>
  parseCronSpecLines(line, hash).lines[0];
const range = (from: number, to: number, step = 1) => {
  const out: number[] = [];
  for (let i = from; i <= to; i += step) out.push(i);
  return out;
};

function errorOf(spec: string): CronSpecError {
  try {
    parseCronSpecLines(
      spec,
      fixed(() => 0),
    );
  } catch (error) {
    if (error instanceof CronSpecError) return error;
    throw error;
  }
  throw new Error(`expected "${spec}" to be rejected`);
}

describe('parseCronSpecLines', () => {
  it('resolves H, H(a-b), H/n and H(a-b)/n like Jenkins testHash1 (hash = n-1)', () => {
    const line = parseOne(
      'H H(5-8) H/3 H(1-10)/4 *',
      fixed(n => n - 1),
    );
    expect(line.minutes).toEqual([59]);
    expect(line.hours).toEqual([8]);
    // Plain H in day of month only spans 1-28.
    expect(line.daysOfMonth).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(line.months).toEqual([4, 8]);
    expect(line.daysOfWeek).toEqual(range(0, 6));
  });

  it('resolves like Jenkins testHash2 (hash = 1)', () => {
    const line = parseOne(
      'H H(5-8) H/3 H(1-10)/4 *',
      fixed(() => 1),
    );
    expect(line.minutes).toEqual([1]);
    expect(line.hours).toEqual([6]);
    expect(line.daysOfMonth).toEqual([2, 5, 8, 11, 14, 17, 20, 23, 26]);
    expect(line.months).toEqual([2, 6, 10]);
  });

  it('steps H/n from the hashed offset, and */n from the field start', () => {
    expect(
      parseOne(
        'H/15 * * * *',
        fixed(() => 7),
      ).minutes,
    ).toEqual([7, 22, 37, 52]);
    expect(parseOne('*/15 * * * *').minutes).toEqual([0, 15, 30, 45]);
    // H/7 does not divide 60: the offset repeats until 59, then the hour restarts.
    expect(
      parseOne(
        'H/7 * * * *',
        fixed(() => 6),
      ).minutes,
    ).toEqual([6, 13, 20, 27, 34, 41, 48, 55]);
    // H/3 in hours with offset 2 leaves 2..23; in days of month it stops at 28.
    expect(
      parseOne(
        '0 H/3 * * *',
        fixed(() => 2),
      ).hours,
    ).toEqual(range(2, 23, 3));
    expect(
      parseOne(
        '0 0 H/3 * *',
        fixed(() => 0),
      ).daysOfMonth,
    ).toEqual(range(1, 28, 3));
    expect(
      parseOne(
        'H(0-29)/10 * * * *',
        fixed(() => 3),
      ).minutes,
    ).toEqual([3, 13, 23]);
  });

  it('draws H values left to right from one stream shared by all lines (Jenkins repeatedHash)', () => {
    const { lines } = parseCronSpecLines(
      'H * * * *\nH * * * *',
      jenkinsHash('seed'),
    );
    expect(lines.map(l => l.minutes)).toEqual([[35], [56]]);
    const draws: number[] = [];
    parseCronSpecLines('H H(0-3) * * 6\n@monthly', recording(draws));
    expect(draws).toEqual([60, 4, 60, 24, 28]);
  });

  it('limits plain H in day of week to 0-6 but accepts H(0-7) and 7 = Sunday', () => {
    const draws: number[] = [];
    parseOne('0 0 * * H', recording(draws));
    expect(draws).toEqual([7]);
    expect(
      parseOne(
        '0 0 * * H(0-7)',
        fixed(n => n - 1),
      ).daysOfWeek,
    ).toEqual([0]);
    expect(parseOne('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseOne('0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
    expect(parseOne('0 0 * * *').daysOfWeek).toEqual(range(0, 6));
  });

  it('parses ranges, steps on ranges, lists and the full field bounds', () => {
    const line = parseOne('0,30 1-5/2 1,15 1-10/3 1-5');
    expect(line.minutes).toEqual([0, 30]);
    expect(line.hours).toEqual([1, 3, 5]);
    expect(line.daysOfMonth).toEqual([1, 15]);
    expect(line.months).toEqual([1, 4, 7, 10]);
    expect(line.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseOne('H(0-59) H(0-23) H(1-31) H(1-12) H(0-7)').fields).toBe(
      'H(0-59) H(0-23) H(1-31) H(1-12) H(0-7)',
    );
    // A step larger than a plain range is allowed (Jenkins only checks H steps).
    expect(parseOne('*/100 * * * *').minutes).toEqual([0]);
    expect(parseOne('05 \t 02 * * *').minutes).toEqual([5]);
  });

  it('expands aliases with H as Jenkins does', () => {
    const picks = fixed(n => n - 1);
    expect(parseOne('@hourly', picks)).toMatchObject({
      alias: '@hourly',
      fields: 'H * * * *',
      minutes: [59],
    });
    expect(parseOne('@daily', picks)).toMatchObject({
      fields: 'H H * * *',
      hours: [23],
    });
    expect(parseOne('@midnight', picks)).toMatchObject({
      fields: 'H H(0-2) * * *',
      hours: [2],
    });
    expect(parseOne('@weekly', picks)).toMatchObject({
      fields: 'H H * * H',
      daysOfWeek: [6],
    });
    expect(parseOne('@monthly', picks)).toMatchObject({
      fields: 'H H H * *',
      daysOfMonth: [28],
    });
    expect(parseOne('@yearly', picks)).toMatchObject({
      fields: 'H H H H *',
      months: [12],
    });
    expect(parseOne('@annually', picks).fields).toBe('H H H H *');
  });

  it('skips comments and blank lines, keeps line numbers, reads a leading TZ= line', () => {
    const spec = 'TZ=Europe/Paris\n\n# nightly\n  H 2 * * *  \r\n@daily';
    const parsed = parseCronSpecLines(
      spec,
      fixed(() => 0),
    );
    expect(parsed.timezone).toBe('Europe/Paris');
    expect(parsed.lines.map(l => [l.lineNumber, l.text, l.timezone])).toEqual([
      [4, 'H 2 * * *', 'Europe/Paris'],
      // Jenkins re-parses aliases without the TZ, so they run in the controller zone.
      [5, '@daily', undefined],
    ]);
    expect(
      parseCronSpecLines(
        '',
        fixed(() => 0),
      ).lines,
    ).toEqual([]);
  });

  it.each([
    [
      'H H(12-24) * * *',
      1,
      8,
      '24 is not a valid hour: must be within 0 and 23',
    ],
    [
      'H(33-66) * * * *',
      1,
      6,
      '66 is not a valid minute: must be within 0 and 59',
    ],
    [
      'H(0-3)/15 * * * *',
      1,
      8,
      'step 15 is larger than the 4 values of the H range 0-3',
    ],
    [
      'H 2 * *',
      1,
      8,
      'expected 5 fields (minute hour day-of-month month day-of-week) but found 4',
    ],
    ['H 2 * * * *', 1, 10, 'more than 5 fields'],
    ['0 0 * * MON', 1, 9, 'Jenkins does not accept month or weekday names'],
    ['0 0 * JAN *', 1, 7, 'Jenkins does not accept month or weekday names'],
    ['H 2 * * * # nightly', 1, 10, 'more than 5 fields'],
    ['H/0 * * * *', 1, 3, 'step must be positive'],
    ['5-1 * * * *', 1, 1, 'range 5-1 is reversed'],
    ['H(5-1) * * * *', 1, 1, 'H(5-1) is reversed'],
    ['@sometimes', 1, 2, 'unknown alias'],
    ['h * * * *', 1, 1, 'the hash symbol is an upper-case "H"'],
    ['0 0 ? * *', 1, 5, 'Jenkins cron has no "?"'],
    [
      'H 2 * * *\nTZ=UTC',
      2,
      1,
      'a TZ= line is only allowed as the very first line',
    ],
    [
      'TZ=Mars/Olympus\nH * * * *',
      1,
      4,
      'invalid or unsupported time zone "Mars/Olympus"',
    ],
    ['TZ=europe/paris\nH * * * *', 1, 4, 'invalid or unsupported time zone'],
    ['0 0 1 13 *', 1, 7, '13 is not a valid month'],
    ['0 0 0 * *', 1, 5, '0 is not a valid day of month'],
    ['0 0 * * 8', 1, 9, '8 is not a valid day of week'],
    ['H H,H * * *\n0 99 * * *', 2, 3, '99 is not a valid hour'],
  ])('rejects %j at line %i column %i: %s', (spec, line, column, reason) => {
    const error = errorOf(spec);
    expect(error.reason).toContain(reason);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
    expect(error.message).toContain(`line ${line}, column ${column}`);
  });

  it('ignores what follows an alias once the next token lexes, like ANTLR does', () => {
    expect(parseOne('@daily whatever').alias).toBe('@daily');
    expect(errorOf('@daily#').reason).toContain('"#"');
  });
});

describe('isValidTimezone', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers as Java would, case included, and asks Intl once per zone', () => {
    const asked = jest.spyOn(Intl, 'DateTimeFormat');
    const answers = () => [
      isValidTimezone('Pacific/Chatham'),
      isValidTimezone('pacific/chatham'),
      isValidTimezone('Mars/Olympus_Mons'),
      isValidTimezone(' UTC'),
    ];
    expect(answers()).toEqual([true, false, false, false]);
    const first = asked.mock.calls.length;
    expect(first).toBe(3); // ' UTC' is refused before Intl is asked
    expect(answers()).toEqual([true, false, false, false]);
    expect(asked.mock.calls.length).toBe(first);
  });
});
