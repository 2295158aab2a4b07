import { CronLine } from './parser';
import { civilAt, instantsOf, isUtc, MINUTE } from './zone';

const HOUR = 60 * MINUTE;
// Wall clocks move back by at most this much at a transition (1 h for DST,
// more for rare zone changes); it bounds how far civil and instant order differ.
const MAX_BACKWARD_SHIFT = 3 * HOUR;
// Feb 29 on a given weekday recurs every 28 years; beyond that nothing matches.
const SEARCH_YEARS = 29;

interface LineMasks {
  minutes: boolean[];
  hours: boolean[];
  daysOfMonth: boolean[];
  months: boolean[];
  daysOfWeek: boolean[];
}

function mask(values: number[], size: number): boolean[] {
  const result = new Array<boolean>(size).fill(false);
  for (const v of values) result[v] = true;
  return result;
}

function masksOf(line: CronLine): LineMasks {
  return {
    minutes: mask(line.minutes, 60),
    hours: mask(line.hours, 24),
    daysOfMonth: mask(line.daysOfMonth, 32),
    months: mask(line.months, 13),
    daysOfWeek: mask(line.daysOfWeek, 7),
  };
}

function firstFrom(bits: boolean[], from: number): number {
  for (let i = from; i < bits.length; i++) if (bits[i]) return i;
  return -1;
}

/**
 * The first civil minute at or after `civil` whose wall-clock fields match,
 * skipping whole months, days and hours that cannot match; undefined if none
 * within SEARCH_YEARS (e.g. `0 0 30 2 *`, which Jenkins accepts but never runs).
 */
function nextCivilMatch(masks: LineMasks, civil: number): number | undefined {
  const date = new Date(Math.ceil(civil / MINUTE) * MINUTE);
  const limitYear = date.getUTCFullYear() + SEARCH_YEARS;
  for (;;) {
    if (date.getUTCFullYear() > limitYear) return undefined;
    const month = date.getUTCMonth() + 1;
    if (!masks.months[month]) {
      const next = firstFrom(masks.months, month + 1);
      if (next < 0) {
        date.setUTCFullYear(
          date.getUTCFullYear() + 1,
          firstFrom(masks.months, 1) - 1,
          1,
        );
      } else {
        date.setUTCMonth(next - 1, 1);
      }
      date.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (
      !masks.daysOfMonth[date.getUTCDate()] ||
      !masks.daysOfWeek[date.getUTCDay()]
    ) {
      date.setUTCDate(date.getUTCDate() + 1);
      date.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const hour = date.getUTCHours();
    if (!masks.hours[hour]) {
      const next = firstFrom(masks.hours, hour + 1);
      if (next < 0) {
        date.setUTCDate(date.getUTCDate() + 1);
        date.setUTCHours(0, 0, 0, 0);
      } else {
        date.setUTCHours(next, 0, 0, 0);
      }
      continue;
    }
    const minute = date.getUTCMinutes();
    if (!masks.minutes[minute]) {
      const next = firstFrom(masks.minutes, minute + 1);
      if (next < 0) {
        date.setUTCHours(hour + 1, 0, 0, 0);
      } else {
        date.setUTCMinutes(next, 0, 0);
      }
      continue;
    }
    return date.getTime();
  }
}

/**
 * The first `count` instants strictly after `after` at which `line` fires in
 * `zone`. Like Jenkins, which checks every real minute against the wall
 * clock: a time inside a spring-forward gap never fires, a time inside a
 * fall-back overlap fires twice.
 */
export function nextRunsOfLine(
  line: CronLine,
  zone: string,
  after: number,
  count: number,
): number[] {
  if (count <= 0) return [];
  const masks = masksOf(line);
  const found: number[] = [];
  const margin = isUtc(zone) ? 0 : MAX_BACKWARD_SHIFT;
  let civil = civilAt(after, zone) - margin;
  let stopAfterCivil = Infinity;
  for (;;) {
    const match = nextCivilMatch(masks, civil);
    if (match === undefined || match > stopAfterCivil) break;
    for (const instant of instantsOf(match, zone)) {
      if (instant > after) found.push(instant);
    }
    if (found.length >= count) {
      found.sort((a, b) => a - b);
      found.length = count;
      // Later wall-clock matches can still land earlier in real time only
      // within a backward shift of the kth run.
      stopAfterCivil = civilAt(found[count - 1], zone) + margin;
    }
    civil = match + MINUTE;
  }
  return found.sort((a, b) => a - b).slice(0, count);
}

/** Merges per-line runs: a minute matched by several lines fires once. */
export function mergeRuns(perLine: number[][], count: number): number[] {
  const all = [...new Set(perLine.flat())].sort((a, b) => a - b);
  return all.slice(0, count);
}
