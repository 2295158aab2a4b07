/**
 * Wall-clock arithmetic in an IANA zone with nothing but Intl.
 * "Civil" times are wall-clock minutes encoded as if they were UTC instants
 * (Date.UTC of the wall-clock fields), which makes calendar stepping trivial.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

export function isUtc(zone: string): boolean {
  return (
    zone === 'UTC' || zone === 'Etc/UTC' || zone === 'GMT' || zone === 'Etc/GMT'
  );
}

/** The wall-clock time at `instant` in `zone`, as a civil timestamp (ms). */
export function civilAt(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  if (isUtc(zone)) return whole;
  const fields: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(whole)) {
    fields[part.type] = part.value;
  }
  let year = Number(fields.year);
  if (fields.era === 'BC' || fields.era === 'B') year = 1 - year;
  const civil = new Date(0);
  civil.setUTCFullYear(year, Number(fields.month) - 1, Number(fields.day));
  civil.setUTCHours(
    Number(fields.hour) % 24,
    Number(fields.minute),
    Number(fields.second),
    0,
  );
  return civil.getTime();
}

/** UTC offset of `zone` at `instant`, in ms (positive east of Greenwich). */
export function offsetAt(instant: number, zone: string): number {
  return civilAt(instant, zone) - Math.floor(instant / 1000) * 1000;
}

/**
 * Instants whose wall clock in `zone` reads `civil`: none in a spring-forward
 * gap, two in a fall-back overlap, otherwise one. Sorted ascending.
 */
export function instantsOf(civil: number, zone: string): number[] {
  if (isUtc(zone)) return [civil];
  const before = offsetAt(civil - DAY, zone);
  const after = offsetAt(civil + DAY, zone);
  if (before === after) {
    const instant = civil - before;
    // A transition and its reversal within two days is unheard of, but check.
    return offsetAt(instant, zone) === before ? [instant] : [];
  }
  const result: number[] = [];
  for (const offset of [before, after]) {
    const instant = civil - offset;
    if (civilAt(instant, zone) === civil && !result.includes(instant)) {
      result.push(instant);
    }
  }
  return result.sort((a, b) => a - b);
}

export { MINUTE, DAY };
