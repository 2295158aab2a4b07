import { CronLine } from './parser';

const pad = (n: number) => String(n).padStart(2, '0');

/** Placeholder until the full describer lands: lists the resolved fields. */
export function describeLines(
  lines: CronLine[],
  _timezone: string,
  _controllerZone: string,
): string {
  if (lines.length === 0) return 'never';
  return lines
    .map(l => `${l.minutes.map(m => `:${pad(m)}`).join(', ')} (${l.fields})`)
    .join('; ');
}
