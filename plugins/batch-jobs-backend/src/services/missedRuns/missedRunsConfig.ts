import { Config, ConfigReader } from '@backstage/config';

/** `batchJobs.missedRuns`, validated. @public */
export interface MissedRunsConfig {
  /** A timer build that left the queue later than this is late. */
  graceMs: number;
  /** The parameter a catch-up run gets the scheduled time in, when the job declares it. */
  scheduledTimeParameter: string;
  /** How often each Jenkins is probed and missed runs alerted. */
  pollIntervalMs: number;
  /** How far back the job view and the fleet page look. */
  lookbackMs: number;
}

function nonNegative(config: Config, key: string, fallback: number): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(
      `Invalid config at batchJobs.missedRuns.${key}: must be a non-negative number`,
    );
  }
  return value;
}

/** Reads `batchJobs.missedRuns`; every key has a default. */
export function readMissedRunsConfig(root: Config): MissedRunsConfig {
  const c =
    root.getOptionalConfig('batchJobs.missedRuns') ?? new ConfigReader({});
  const parameter =
    c.getOptionalString('scheduledTimeParameter') ?? 'SCHEDULED_TIME';
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(parameter)) {
    throw new Error(
      `Invalid config at batchJobs.missedRuns.scheduledTimeParameter: '${parameter}' is not a Jenkins parameter name`,
    );
  }
  const pollIntervalMs = nonNegative(c, 'pollIntervalSeconds', 30) * 1000;
  if (pollIntervalMs < 1000) {
    throw new Error(
      'Invalid config at batchJobs.missedRuns.pollIntervalSeconds: must be at least 1',
    );
  }
  return {
    graceMs: nonNegative(c, 'graceMinutes', 10) * 60_000,
    scheduledTimeParameter: parameter,
    pollIntervalMs,
    lookbackMs: nonNegative(c, 'lookbackHours', 24) * 3_600_000,
  };
}
