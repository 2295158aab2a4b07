import {
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import {
  Config,
  ConfigReader,
  readDurationFromConfig,
} from '@backstage/config';
import { JsonObject, durationToMilliseconds } from '@backstage/types';
import { RoutineId } from '@batch-jobs/plugin-batch-jobs-common';
import { isUrl } from '../config';
import { BackupBucketConfig } from '../services/aws/BackupBucket';

/** Schedule and switches every routine has. @public */
export interface RoutineCommonConfig {
  enabled: boolean;
  /** Scheduled runs only report what they would do. */
  dryRun: boolean;
  schedule: SchedulerServiceTaskScheduleDefinition;
}

/** @public */
export interface RoutinesConfig {
  'offline-node-sweep': RoutineCommonConfig & { gracePeriodMs: number };
  'orphan-reaper': RoutineCommonConfig & { gracePeriodMs: number };
  'jenkins-backup': RoutineCommonConfig & {
    /** Controller name in batchJobs.jenkins. */
    jenkins: string;
    /** Full name of the backup job. */
    job: string;
    waitTimeoutMs: number;
    pollIntervalMs: number;
    /** Absent: the routine is listed but fails with what to configure. */
    s3?: BackupBucketConfig;
    retention: { keepLast?: number; maxAgeDays?: number };
  };
}

const DEFAULTS: Record<RoutineId, SchedulerServiceTaskScheduleDefinition> = {
  'offline-node-sweep': {
    frequency: { minutes: 15 },
    timeout: { minutes: 10 },
    initialDelay: { minutes: 2 },
    scope: 'global',
  },
  'orphan-reaper': {
    frequency: { minutes: 15 },
    timeout: { minutes: 10 },
    initialDelay: { minutes: 3 },
    scope: 'global',
  },
  'jenkins-backup': {
    frequency: { cron: '0 1 * * *' },
    timeout: { hours: 2 },
    initialDelay: { minutes: 5 },
    scope: 'global',
  },
};

function fail(key: string, message: string): never {
  throw new Error(`Invalid config at '${key}': ${message}`);
}

function durationMs(
  config: Config,
  key: string,
  at: string,
  fallback: number,
): number {
  if (!config.has(key)) return fallback;
  try {
    return durationToMilliseconds(readDurationFromConfig(config, { key }));
  } catch (error) {
    return fail(
      `${at}.${key}`,
      `expected a duration like { hours: 2 } or 'PT2H' (${error})`,
    );
  }
}

function pick(c: Config, keys: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const k of keys) if (c.has(k)) out[k] = c.get(k);
  return out;
}

function common(root: Config | undefined, id: RoutineId): RoutineCommonConfig {
  const at = `batchJobs.routines.${id}`;
  const c = root?.getOptionalConfig(id);
  const base = DEFAULTS[id];
  let schedule = base;
  if (c && (c.has('frequency') || c.has('timeout') || c.has('initialDelay'))) {
    try {
      // The Backstage reader wants both frequency and timeout: fill in ours.
      const merged = readSchedulerServiceTaskScheduleDefinitionFromConfig(
        new ConfigReader({
          frequency: base.frequency,
          timeout: base.timeout,
          initialDelay: base.initialDelay,
          ...pick(c, ['frequency', 'timeout', 'initialDelay']),
        } as JsonObject),
      );
      schedule = { ...merged, scope: 'global' };
    } catch (error) {
      fail(
        at,
        `bad schedule: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    dryRun: c?.getOptionalBoolean('dryRun') ?? false,
    schedule,
  };
}

/**
 * Reads `batchJobs.routines` once at startup; every key is optional, with
 * the defaults documented in config.d.ts.
 * @public
 */
export function readRoutinesConfig(
  root: Config,
  jenkinsNames: string[],
): RoutinesConfig {
  const r = root.getOptionalConfig('batchJobs.routines');
  const at = 'batchJobs.routines';
  const sweep = r?.getOptionalConfig('offline-node-sweep');
  const reaper = r?.getOptionalConfig('orphan-reaper');
  const backup = r?.getOptionalConfig('jenkins-backup');
  const HOUR = 3_600_000;

  const jenkins = backup?.getOptionalString('jenkins') ?? jenkinsNames[0];
  if (!jenkinsNames.includes(jenkins)) {
    fail(
      `${at}.jenkins-backup.jenkins`,
      `'${jenkins}' is not in batchJobs.jenkins (known: ${jenkinsNames.join(
        ', ',
      )})`,
    );
  }
  const s3 = backup?.getOptionalConfig('s3');
  let bucket: BackupBucketConfig | undefined;
  if (s3) {
    const endpoint = s3.getOptionalString('endpoint');
    if (endpoint && !isUrl(endpoint)) {
      fail(`${at}.jenkins-backup.s3.endpoint`, `'${endpoint}' is not a URL`);
    }
    const creds = s3.getOptionalConfig('credentials');
    const accountId = s3.getOptionalString('accountId');
    if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
      fail(
        `${at}.jenkins-backup.s3.accountId`,
        `'${accountId}' is not an AWS account id (12 digits)`,
      );
    }
    if (accountId !== undefined && creds) {
      fail(
        `${at}.jenkins-backup.s3`,
        'give either accountId (credentials from the AWS integration) or credentials, not both',
      );
    }
    // getOptional: getOptionalString would refuse '' with a type error that hides why.
    const raw = s3.getOptional('prefix') ?? '';
    if (typeof raw !== 'string') {
      fail(`${at}.jenkins-backup.s3.prefix`, 'must be a string, e.g. jenkins/');
    }
    const prefix = raw.replace(/^\/+/, '');
    if (!prefix.trim()) {
      fail(
        `${at}.jenkins-backup.s3.prefix`,
        "a non-empty key prefix is required (e.g. 'jenkins/'), so retention never spans the whole bucket",
      );
    }
    bucket = {
      bucket: s3.getString('bucket'),
      prefix,
      region: s3.getOptionalString('region') ?? 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      ...(accountId ? { accountId } : {}),
      ...(creds
        ? {
            credentials: {
              accessKeyId: creds.getString('accessKeyId'),
              secretAccessKey: creds.getString('secretAccessKey'),
            },
          }
        : {}),
      forcePathStyle:
        s3.getOptionalBoolean('forcePathStyle') ?? Boolean(endpoint),
    };
  }
  const keepLast = backup?.getOptionalNumber('retention.keepLast');
  const maxAgeDays = backup?.getOptionalNumber('retention.maxAgeDays');
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 1)) {
    fail(
      `${at}.jenkins-backup.retention.keepLast`,
      'must be a whole number of at least 1',
    );
  }
  if (maxAgeDays !== undefined && !(maxAgeDays > 0)) {
    fail(
      `${at}.jenkins-backup.retention.maxAgeDays`,
      'must be a positive number',
    );
  }

  return {
    'offline-node-sweep': {
      ...common(r, 'offline-node-sweep'),
      gracePeriodMs: sweep
        ? durationMs(sweep, 'gracePeriod', `${at}.offline-node-sweep`, HOUR)
        : HOUR,
    },
    'orphan-reaper': {
      ...common(r, 'orphan-reaper'),
      gracePeriodMs: reaper
        ? durationMs(reaper, 'gracePeriod', `${at}.orphan-reaper`, 2 * HOUR)
        : 2 * HOUR,
    },
    'jenkins-backup': {
      ...common(r, 'jenkins-backup'),
      jenkins,
      job: (backup?.getOptionalString('job') ?? 'jenkins-backup').replace(
        /^\/+|\/+$/g,
        '',
      ),
      waitTimeoutMs: backup
        ? durationMs(backup, 'waitTimeout', `${at}.jenkins-backup`, HOUR)
        : HOUR,
      pollIntervalMs: backup
        ? durationMs(backup, 'pollInterval', `${at}.jenkins-backup`, 5000)
        : 5000,
      ...(bucket ? { s3: bucket } : {}),
      retention:
        keepLast === undefined && maxAgeDays === undefined
          ? { keepLast: 7 }
          : {
              ...(keepLast !== undefined ? { keepLast } : {}),
              ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
            },
    },
  };
}
