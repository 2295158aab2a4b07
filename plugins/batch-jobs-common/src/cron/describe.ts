import { CronLine } from './parser';

const MONTHS = [
  '',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (hour: number, minute: number) => `${pad(hour)}:${pad(minute)}`;

/** "a", "a and b", "a, b and c". */
function joinWords(items: string[], last = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

function isFull(values: number[], from: number, to: number): boolean {
  return values.length === to - from + 1;
}

/** The step when values are start, start+step, ... up to the field's end. */
function stepOf(values: number[], max: number): number | undefined {
  if (values.length < 2) return undefined;
  const step = values[1] - values[0];
  if (values[0] >= step) return undefined;
  for (let i = 1; i < values.length; i++) {
    if (values[i] - values[i - 1] !== step) return undefined;
  }
  return values[values.length - 1] + step > max ? step : undefined;
}

/** Consecutive runs folded into ranges: [1,2,3,5] -> ["1-3", "5"]. */
function ranges(
  values: number[],
  name: (v: number) => string,
  minRun = 3,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    if (j - i + 1 >= minRun) {
      out.push(`${name(values[i])}–${name(values[j])}`);
    } else {
      for (let k = i; k <= j; k++) out.push(name(values[k]));
    }
    i = j + 1;
  }
  return out;
}

function weekdaysText(days: number[]): string {
  const key = days.join(',');
  if (key === '1,2,3,4,5') return 'weekdays';
  if (key === '0,6') return 'weekends';
  // Monday first reads naturally; Sunday is 0 in cron.
  const ordered = [...days.filter(d => d !== 0), ...days.filter(d => d === 0)];
  return joinWords(ordered.map(d => `${WEEKDAYS[d]}s`));
}

function daysOfMonthText(days: number[]): string {
  const parts = ranges(days, String);
  return `${days.length === 1 ? 'day' : 'days'} ${joinWords(parts)}`;
}

function monthsText(months: number[]): string {
  return joinWords(ranges(months, m => MONTHS[m]));
}

/** Times of day when there are only a few of them, else undefined. */
function fewTimes(line: CronLine): string | undefined {
  if (line.minutes.length * line.hours.length > 4) return undefined;
  const times: string[] = [];
  for (const h of line.hours)
    for (const m of line.minutes) times.push(clock(h, m));
  return `at ${joinWords(times)}`;
}

/** Recurrence within a day, for lines that fire more than a few times a day. */
function recurringTimes(line: CronLine): string {
  const { minutes, hours } = line;
  const allMinutes = isFull(minutes, 0, 59);
  const allHours = isFull(hours, 0, 23);
  const minuteStep = stepOf(minutes, 59);
  const minuteList = joinWords(minutes.map(m => `:${pad(m)}`));
  let within: string;
  if (allMinutes) {
    within = 'every minute';
  } else if (minutes.length === 1) {
    within = allHours
      ? `hourly at :${pad(minutes[0])}`
      : `at :${pad(minutes[0])}`;
  } else if (minuteStep) {
    within =
      minutes.length <= 6
        ? `every ${minuteStep} minutes at ${minutes
            .map(m => `:${pad(m)}`)
            .join(', ')}`
        : `every ${minuteStep} minutes from :${pad(minutes[0])}`;
  } else {
    within = allHours ? `hourly at ${minuteList}` : `at ${minuteList}`;
  }
  if (allHours) return within;

  const hourStep = stepOf(hours, 23);
  if (minutes.length === 1 && hourStep) {
    const times = hours.map(h => clock(h, minutes[0]));
    return hours.length <= 8
      ? `every ${hourStep} hours at ${times.join(', ')}`
      : `every ${hourStep} hours from ${times[0]}`;
  }
  const contiguous = hours[hours.length - 1] - hours[0] + 1 === hours.length;
  if (contiguous) {
    return `${within} from ${clock(hours[0], 0)} to ${clock(
      hours[hours.length - 1],
      59,
    )}`;
  }
  return `${within} during hours ${joinWords(hours.map(pad))}`;
}

function describeLine(line: CronLine): string {
  const allDom = isFull(line.daysOfMonth, 1, 31);
  const allMonths = isFull(line.months, 1, 12);
  const allDow = isFull(line.daysOfWeek, 0, 6);
  const times = fewTimes(line);
  const dow = weekdaysText(line.daysOfWeek);
  const dom = daysOfMonthText(line.daysOfMonth);
  const months = monthsText(line.months);
  // Jenkins requires day of month AND day of week to match.
  const onlyIf = allDow
    ? ''
    : `, only if it is a ${joinWords(
        line.daysOfWeek.map(d => WEEKDAYS[d]),
        'or',
      )}`;

  if (times) {
    if (allDom && allDow)
      return allMonths ? `daily ${times}` : `daily in ${months} ${times}`;
    if (allDom)
      return allMonths ? `${dow} ${times}` : `${dow} in ${months} ${times}`;
    if (allMonths)
      return `monthly on ${dom}${onlyIf}${onlyIf ? ',' : ''} ${times}`;
    if (line.months.length === 1 && line.daysOfMonth.length === 1 && allDow) {
      return `yearly on ${MONTHS[line.months[0]]} ${
        line.daysOfMonth[0]
      } ${times}`;
    }
    return `on ${dom} of ${months}${onlyIf}${onlyIf ? ',' : ''} ${times}`;
  }

  const recurring = recurringTimes(line);
  if (allDom && allDow)
    return allMonths ? recurring : `${recurring} in ${months}`;
  if (allDom)
    return allMonths
      ? `${recurring} on ${dow}`
      : `${recurring} on ${dow} in ${months}`;
  return `${recurring} on ${dom} of ${
    allMonths ? 'each month' : months
  }${onlyIf}`;
}

/**
 * Words for schedule lines with `H` resolved. A line whose zone differs from
 * the spec's display zone (alias lines under a `TZ=` line) says its zone.
 */
export function describeLines(
  lines: CronLine[],
  timezone: string,
  controllerZone: string,
): string {
  if (lines.length === 0) return 'never (no schedule lines)';
  return lines
    .map(line => {
      const zone = line.timezone ?? controllerZone;
      const text = describeLine(line);
      return zone === timezone ? text : `${text} (${zone})`;
    })
    .join('; ');
}
