import { Config } from '@backstage/config';

/** One configured Jenkins controller. @public */
export interface JenkinsInstanceConfig {
  name: string;
  baseUrl: string;
  username: string;
  apiToken: string;
  crumb: boolean;
  timeoutMs: number;
  readRetries: number;
  /** IANA zone of the controller's clock: timer specs without `TZ=` run in it. */
  timezone: string;
}

/** One configured VPC. @public */
export interface VpcConfig {
  name: string;
  jenkins: string;
  /** Folder full name without leading/trailing slashes; '' for the root. */
  folder: string;
  namePattern?: string;
}

/** The whole `batchJobs` section, validated. @public */
export interface BatchJobsConfig {
  jenkins: JenkinsInstanceConfig[];
  vpcs: VpcConfig[];
  cache: { ttlSeconds: number; scheduleTtlSeconds: number };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function fail(key: string, message: string): never {
  throw new Error(`Invalid config at '${key}': ${message}`);
}

function positiveNumber(
  config: Config,
  key: string,
  fullKey: string,
  fallback: number,
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value < 0) {
    fail(fullKey, `expected a non-negative number, got ${value}`);
  }
  return value;
}

function timezone(config: Config, fullKey: string): string {
  const zone = config.getOptionalString('timezone') ?? 'UTC';
  try {
    // Throws a RangeError for a zone the runtime does not know.
    new Intl.DateTimeFormat('en-US', { timeZone: zone }).format(0);
  } catch {
    fail(fullKey, `'${zone}' is not an IANA time zone (e.g. 'Europe/Paris')`);
  }
  return zone;
}

/**
 * Reads and validates `batchJobs` once at startup, failing with a message that
 * names the offending key.
 * @public
 */
export function readBatchJobsConfig(root: Config): BatchJobsConfig {
  if (!root.has('batchJobs')) {
    fail(
      'batchJobs',
      'the section is missing; configure batchJobs.jenkins and batchJobs.vpcs',
    );
  }
  const section = root.getConfig('batchJobs');

  const jenkinsConfigs = section.getOptionalConfigArray('jenkins') ?? [];
  if (jenkinsConfigs.length === 0) {
    fail('batchJobs.jenkins', 'at least one Jenkins controller is required');
  }
  const jenkins = jenkinsConfigs.map((c, i): JenkinsInstanceConfig => {
    const at = `batchJobs.jenkins[${i}]`;
    const name = c.getString('name');
    if (!NAME_RE.test(name)) {
      fail(`${at}.name`, `'${name}' must be letters, digits, '.', '_' or '-'`);
    }
    const baseUrl = c.getString('baseUrl').replace(/\/+$/, '');
    let parsed: URL;
    try {
      parsed = new URL(baseUrl);
    } catch {
      fail(`${at}.baseUrl`, `'${baseUrl}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      fail(`${at}.baseUrl`, `'${baseUrl}' must be http(s)`);
    }
    return {
      name,
      baseUrl,
      username: c.getString('username'),
      apiToken: c.getString('apiToken'),
      crumb: c.getOptionalBoolean('crumb') ?? true,
      timeoutMs: positiveNumber(c, 'timeoutMs', `${at}.timeoutMs`, 15000),
      readRetries: positiveNumber(c, 'readRetries', `${at}.readRetries`, 2),
      timezone: timezone(c, `${at}.timezone`),
    };
  });
  const seen = new Set<string>();
  jenkins.forEach((j, i) => {
    if (seen.has(j.name)) {
      fail(
        `batchJobs.jenkins[${i}].name`,
        `duplicate controller name '${j.name}'`,
      );
    }
    seen.add(j.name);
  });

  const vpcConfigs = section.getOptionalConfigArray('vpcs') ?? [];
  if (vpcConfigs.length === 0) {
    fail('batchJobs.vpcs', 'at least one VPC is required');
  }
  const vpcNames = new Set<string>();
  const vpcs = vpcConfigs.map((c, i): VpcConfig => {
    const at = `batchJobs.vpcs[${i}]`;
    const name = c.getString('name');
    if (!NAME_RE.test(name)) {
      fail(`${at}.name`, `'${name}' must be letters, digits, '.', '_' or '-'`);
    }
    if (vpcNames.has(name)) {
      fail(`${at}.name`, `duplicate VPC name '${name}'`);
    }
    vpcNames.add(name);
    const instance = c.getString('jenkins');
    if (!seen.has(instance)) {
      fail(
        `${at}.jenkins`,
        `VPC '${name}' names Jenkins '${instance}', which is not in batchJobs.jenkins (known: ${[
          ...seen,
        ].join(', ')})`,
      );
    }
    const folder = (c.getOptionalString('folder') ?? '').replace(
      /^\/+|\/+$/g,
      '',
    );
    if (folder.split('/').some(s => s === '..' || s === '.')) {
      fail(`${at}.folder`, `'${folder}' must not contain '.' or '..' segments`);
    }
    const namePattern = c.getOptionalString('namePattern');
    return {
      name,
      jenkins: instance,
      folder,
      ...(namePattern ? { namePattern } : {}),
    };
  });

  return {
    jenkins,
    vpcs,
    cache: {
      ttlSeconds: positiveNumber(
        section,
        'cache.ttlSeconds',
        'batchJobs.cache.ttlSeconds',
        10,
      ),
      scheduleTtlSeconds: positiveNumber(
        section,
        'cache.scheduleTtlSeconds',
        'batchJobs.cache.scheduleTtlSeconds',
        600,
      ),
    },
  };
}
