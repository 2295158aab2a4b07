/** Small formatting helpers for times and durations shown in tables. */

const UNITS: Array<[limitMs: number, unitMs: number, label: string]> = [
  [60_000, 1000, 's'],
  [3_600_000, 60_000, 'min'],
  [86_400_000, 3_600_000, 'h'],
  [Infinity, 86_400_000, 'd'],
];

/** "5 min ago", "in 2 h"; `now` is injectable for tests. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '—';
  const delta = now - time;
  const abs = Math.abs(delta);
  if (abs < 10_000) return 'just now';
  const [, unitMs, label] = UNITS.find(([limit]) => abs < limit)!;
  const value = Math.floor(abs / unitMs);
  return delta >= 0 ? `${value} ${label} ago` : `in ${value} ${label}`;
}

/** "1 h 4 min", "3 min 20 s", "12 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) {
    return '—';
  }
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
  return `${seconds} s`;
}

/** Local date and time for tooltips. */
export function formatTimestamp(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toLocaleString();
}

/** `user:default/jane.doe` → `jane.doe`. */
export function shortEntityRefName(ref: string): string {
  const slash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':');
  return ref.slice(Math.max(slash, colon) + 1) || ref;
}

/** The message a backend `ResponseError` carries, else the error's own. */
export function errorMessage(error: unknown): string {
  const body = (error as { body?: { error?: { message?: unknown } } })?.body;
  if (typeof body?.error?.message === 'string') return body.error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
