import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import {
  AgentNaming,
  readAgentNaming,
  resolveAgentNaming,
} from './services/fleet/agentNaming';
import {
  OwnershipBinding,
  normalizeEntityRef,
  parseSelector,
} from './services/jenkins/JobDirectory';

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
  /** Where the VPC's EC2 agents live; absent: the fleet shows Jenkins only and cannot launch. */
  aws?: VpcAwsConfig;
  /** Jenkins labels of the VPC's agents (the same as `naming.labels`). */
  agentLabels: { batch: string; worker: string };
  /** How the VPC's agents are tagged and named (`fleet.naming`, `vpcs[].naming`). */
  naming: AgentNaming;
  /** Glob of the short names of the VPC's long-running worker jobs (default `<VPC>-worker*`). */
  workerJobPattern: string;
  /** Rerun, agent launch and worker redeploy wait for a second person's approval. */
  requireApproval: boolean;
  /** Slack incoming webhook of the VPC's alerts. */
  alerts: { slackWebhookUrl?: string };
}

/** EC2 access for one VPC. @public */
export interface VpcAwsConfig {
  region: string;
  /** Endpoint override (the sandbox, LocalStack); absent: AWS itself. */
  endpoint?: string;
  /** Static credentials; absent: the account's (accountId), else the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The VPC's AWS account: credentials from Backstage's AWS integration (aws.accounts[]). */
  accountId?: string;
  launchTemplates: { batch: string; worker: string };
  /** Attempts per EC2 call (SDK standard retry mode, throttling included). */
  maxAttempts: number;
  /** The VPC's own VPC id: only instances in it are terminated. Absent: not checked. */
  vpcId?: string;
  /** The VPC's subnets: only instances in them are terminated. Absent: not checked. */
  subnetIds?: string[];
}

/** Agent fleet behaviour. @public */
export interface FleetConfig {
  /** How long a launched agent may take to come online before it is rolled back. */
  connectTimeoutSeconds: number;
  /** How often running launch operations are advanced. */
  pollIntervalSeconds: number;
  /** An agent whose AMI is older than this (days) is stale. */
  maxImageAgeDays: number;
  /** Defaults of a rolling refresh (`fleet.refresh`). */
  refresh: {
    batchSize: number;
    minHealthyExecutors: number;
    drainTimeoutSeconds: number;
  };
}

/** Build alerts (Slack and Backstage notifications). @public */
export interface AlertsConfig {
  /** The watcher runs when `batchJobs.alerts` is configured. */
  enabled: boolean;
  /** Events that notify. */
  events: Array<'start' | 'success' | 'failure' | 'recovery'>;
  /** IANA zone of the "When" field. */
  timezone: string;
  /** Named webhooks an entity picks with `batch-jobs.io/slack-webhook`. */
  slackWebhooks: Record<string, string>;
  /** How often the watcher looks at Jenkins. */
  intervalSeconds: number;
  /** Attempts per Slack message (first try included). */
  maxAttempts: number;
  /** Base URL of the portal, for the "Open in portal" button. */
  portalBaseUrl: string;
  /** Send Backstage notifications to the entity's owner. */
  notifyOwners: boolean;
}

/** The four-eyes gate. @public */
export interface ApprovalsConfig {
  /** How long a request waits for a decision. */
  expiresAfterHours: number;
  /** Entity refs (users or groups) notified of new requests. */
  notify: string[];
}

/** The whole `batchJobs` section, validated. @public */
export interface BatchJobsConfig {
  jenkins: JenkinsInstanceConfig[];
  vpcs: VpcConfig[];
  cache: {
    ttlSeconds: number;
    scheduleTtlSeconds: number;
    /** Poll interval of watched job lists. */
    watchIntervalSeconds: number;
    /** How long a job list waits for uncached schedules and stats. */
    extrasWaitMs: number;
  };
  /** Rows left `pending` by a crash are settled after this long. */
  audit: { staleAfterSeconds: number };
  fleet: FleetConfig;
  alerts: AlertsConfig;
  approvals: ApprovalsConfig;
  /** Worker redeploys. */
  workers: { startTimeoutSeconds: number; leaseSeconds: number };
  /**
   * Operator-owned bindings: which jobs each catalog entity may claim. An
   * entity's annotation counts only for jobs a binding gives it.
   */
  ownership: OwnershipBinding[];
  /** Built-in job locators besides the `batch-jobs.io/jobs` annotation. */
  locators: { communityAnnotation: boolean };
  /** Build logs streamed through the backend. */
  logs: { maxStreamsPerUser: number };
}

/** A VPC's naming over the fleet's; its older `agentLabels` win for labels. */
function readVpcNaming(
  c: Config,
  name: string,
  at: string,
  fleetNaming: ReturnType<typeof readAgentNaming>,
): Pick<VpcConfig, 'agentLabels' | 'naming'> {
  const resolved = resolveAgentNaming(
    readAgentNaming(c.getOptionalConfig('naming'), `${at}.naming`, fleetNaming),
    name,
  );
  const labels = {
    batch: c.getOptionalString('agentLabels.batch') ?? resolved.labels.batch,
    worker: c.getOptionalString('agentLabels.worker') ?? resolved.labels.worker,
  };
  if (labels.batch === labels.worker) {
    fail(
      `${at}.agentLabels`,
      `batch and worker agents need different labels (both '${labels.batch}')`,
    );
  }
  return { agentLabels: labels, naming: { ...resolved, labels } };
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function fail(key: string, message: string): never {
  throw new Error(`Invalid config at '${key}': ${message}`);
}

/** True when `value` parses as an absolute URL. */
export function isUrl(value: string): boolean {
  try {
    return Boolean(new URL(value));
  } catch {
    return false;
  }
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
  const naming = readAgentNaming(
    section.getOptionalConfig('fleet.naming'),
    'batchJobs.fleet.naming',
  );
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
      ...readVpcAws(c, name, at),
      ...readVpcNaming(c, name, at, naming),
      workerJobPattern:
        c.getOptionalString('workerJobPattern') ?? `${name}-worker*`,
      requireApproval: c.getOptionalBoolean('requireApproval') ?? false,
      alerts: readVpcAlerts(c, at),
    };
  });

  return {
    jenkins,
    vpcs,
    ownership: readOwnership(section, vpcNames),
    locators: {
      communityAnnotation:
        section.getOptionalBoolean('locators.communityAnnotation') ?? true,
    },
    logs: {
      maxStreamsPerUser: Math.max(
        1,
        positiveNumber(
          section,
          'logs.maxStreamsPerUser',
          'batchJobs.logs.maxStreamsPerUser',
          8,
        ),
      ),
    },
    alerts: readAlerts(section, root),
    approvals: {
      expiresAfterHours: positiveNumber(
        section,
        'approvals.expiresAfterHours',
        'batchJobs.approvals.expiresAfterHours',
        24,
      ),
      notify: section.getOptionalStringArray('approvals.notify') ?? [],
    },
    workers: {
      startTimeoutSeconds: positiveNumber(
        section,
        'workers.startTimeoutSeconds',
        'batchJobs.workers.startTimeoutSeconds',
        120,
      ),
      // Zero would hand every running redeploy to whichever replica asks.
      leaseSeconds:
        positiveNumber(
          section,
          'workers.leaseSeconds',
          'batchJobs.workers.leaseSeconds',
          60,
        ) || fail('batchJobs.workers.leaseSeconds', 'expected more than 0'),
    },
    fleet: {
      connectTimeoutSeconds: positiveNumber(
        section,
        'fleet.connectTimeoutSeconds',
        'batchJobs.fleet.connectTimeoutSeconds',
        300,
      ),
      pollIntervalSeconds: positiveNumber(
        section,
        'fleet.pollIntervalSeconds',
        'batchJobs.fleet.pollIntervalSeconds',
        5,
      ),
      maxImageAgeDays: positiveNumber(
        section,
        'fleet.maxImageAgeDays',
        'batchJobs.fleet.maxImageAgeDays',
        30,
      ),
      refresh: {
        batchSize:
          positiveNumber(
            section,
            'fleet.refresh.batchSize',
            'batchJobs.fleet.refresh.batchSize',
            1,
          ) || fail('batchJobs.fleet.refresh.batchSize', 'expected at least 1'),
        minHealthyExecutors: positiveNumber(
          section,
          'fleet.refresh.minHealthyExecutors',
          'batchJobs.fleet.refresh.minHealthyExecutors',
          0,
        ),
        drainTimeoutSeconds: positiveNumber(
          section,
          'fleet.refresh.drainTimeoutSeconds',
          'batchJobs.fleet.refresh.drainTimeoutSeconds',
          3600,
        ),
      },
    },
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
      watchIntervalSeconds: positiveNumber(
        section,
        'cache.watchIntervalSeconds',
        'batchJobs.cache.watchIntervalSeconds',
        15,
      ),
      extrasWaitMs: positiveNumber(
        section,
        'cache.extrasWaitMs',
        'batchJobs.cache.extrasWaitMs',
        0,
      ),
    },
    audit: {
      staleAfterSeconds: positiveNumber(
        section,
        'audit.staleAfterSeconds',
        'batchJobs.audit.staleAfterSeconds',
        300,
      ),
    },
  };
}

/**
 * `batchJobs.ownership`: entries `{ entity, jobs, vpcs? }`. Written by the
 * operators (in config, reviewed like code), never by an entity's author.
 */
function readOwnership(
  section: Config,
  vpcNames: Set<string>,
): OwnershipBinding[] {
  return (section.getOptionalConfigArray('ownership') ?? []).map((c, i) => {
    const at = `batchJobs.ownership[${i}]`;
    const entity = c.getString('entity');
    if (!entity.includes(':')) {
      fail(
        `${at}.entity`,
        `'${entity}' must name the kind, e.g. 'component:default/${entity}'`,
      );
    }
    let entityRef: string;
    try {
      entityRef = normalizeEntityRef(
        stringifyEntityRef(parseEntityRef(entity)),
      );
    } catch (error) {
      fail(
        `${at}.entity`,
        `'${entity}' is not an entity ref (kind:namespace/name): ${
          (error as Error).message
        }`,
      );
    }
    const jobs = c.getStringArray('jobs');
    if (jobs.length === 0)
      fail(`${at}.jobs`, 'at least one selector is required');
    const selectors = jobs.map((raw, j) => {
      try {
        return parseSelector(raw.trim());
      } catch (error) {
        return fail(`${at}.jobs[${j}]`, (error as Error).message);
      }
    });
    const vpcs = c.getOptionalStringArray('vpcs');
    vpcs?.forEach((name, j) => {
      if (!vpcNames.has(name)) {
        fail(
          `${at}.vpcs[${j}]`,
          `'${name}' is not a configured VPC (known: ${[...vpcNames].join(
            ', ',
          )})`,
        );
      }
    });
    return { entityRef, selectors, ...(vpcs ? { vpcs } : {}) };
  });
}

function readVpcAws(
  c: Config,
  vpc: string,
  at: string,
): { aws?: VpcAwsConfig } {
  const aws = c.getOptionalConfig('aws');
  if (!aws) return {};
  const region = aws.getString('region');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    fail(
      `${at}.aws.region`,
      `'${region}' is not an AWS region (e.g. us-east-1)`,
    );
  }
  const endpoint = aws.getOptionalString('endpoint');
  if (endpoint && !isUrl(endpoint)) {
    fail(`${at}.aws.endpoint`, `'${endpoint}' is not a URL`);
  }
  const creds = aws.getOptionalConfig('credentials');
  const accountId = aws.getOptionalString('accountId');
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    fail(
      `${at}.aws.accountId`,
      `'${accountId}' is not an AWS account id (12 digits)`,
    );
  }
  if (accountId !== undefined && creds) {
    fail(
      `${at}.aws`,
      'give either accountId (credentials from the AWS integration) or credentials, not both',
    );
  }
  const maxAttempts = positiveNumber(
    aws,
    'maxAttempts',
    `${at}.aws.maxAttempts`,
    3,
  );
  if (maxAttempts < 1) fail(`${at}.aws.maxAttempts`, 'must be at least 1');
  const vpcId = aws.getOptionalString('vpcId');
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
    fail(
      `${at}.aws.vpcId`,
      `'${vpcId}' is not a VPC id (vpc-0123456789abcdef0)`,
    );
  }
  const subnetIds = aws.getOptionalStringArray('subnetIds');
  subnetIds?.forEach((id, i) => {
    if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) {
      fail(
        `${at}.aws.subnetIds[${i}]`,
        `'${id}' is not a subnet id (subnet-0123456789abcdef0)`,
      );
    }
  });
  return {
    aws: {
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(creds
        ? {
            credentials: {
              accessKeyId: creds.getString('accessKeyId'),
              secretAccessKey: creds.getString('secretAccessKey'),
            },
          }
        : {}),
      ...(accountId ? { accountId } : {}),
      launchTemplates: {
        batch:
          aws.getOptionalString('launchTemplates.batch') ??
          `${vpc}-BATCH-JENKINS-AGENT`,
        worker:
          aws.getOptionalString('launchTemplates.worker') ??
          `${vpc}-WORKER-JENKINS-AGENT`,
      },
      maxAttempts,
      ...(vpcId ? { vpcId } : {}),
      ...(subnetIds?.length ? { subnetIds } : {}),
    },
  };
}

function webhookUrl(value: string, key: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(key, 'is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    fail(key, 'must be an http(s) URL');
  }
  return value;
}

function readVpcAlerts(c: Config, at: string): VpcConfig['alerts'] {
  const url = c.getOptionalString('alerts.slackWebhookUrl');
  return url
    ? { slackWebhookUrl: webhookUrl(url, `${at}.alerts.slackWebhookUrl`) }
    : {};
}

const ALERT_EVENTS = ['start', 'success', 'failure', 'recovery'] as const;

function readAlerts(section: Config, root: Config): AlertsConfig {
  const at = 'batchJobs.alerts';
  const events = section.getOptionalStringArray('alerts.events') ?? [
    'failure',
    'recovery',
  ];
  events.forEach(e => {
    if (!(ALERT_EVENTS as readonly string[]).includes(e)) {
      fail(`${at}.events`, `'${e}' is not one of ${ALERT_EVENTS.join(', ')}`);
    }
  });
  const hooks = section.getOptionalConfig('alerts.slackWebhooks');
  const slackWebhooks: Record<string, string> = {};
  for (const name of hooks?.keys() ?? []) {
    slackWebhooks[name] = webhookUrl(
      hooks!.getString(name),
      `${at}.slackWebhooks.${name}`,
    );
  }
  const maxAttempts = positiveNumber(
    section,
    'alerts.maxAttempts',
    `${at}.maxAttempts`,
    4,
  );
  if (maxAttempts < 1) fail(`${at}.maxAttempts`, 'must be at least 1');
  const alerts = section.getOptionalConfig('alerts');
  return {
    enabled: section.has('alerts'),
    events: events as AlertsConfig['events'],
    timezone: alerts ? timezone(alerts, `${at}.timezone`) : 'UTC',
    slackWebhooks,
    intervalSeconds: positiveNumber(
      section,
      'alerts.intervalSeconds',
      `${at}.intervalSeconds`,
      60,
    ),
    maxAttempts,
    portalBaseUrl: (
      section.getOptionalString('alerts.portalBaseUrl') ??
      root.getOptionalString('app.baseUrl') ??
      'http://localhost:3000'
    ).replace(/\/+$/, ''),
    notifyOwners: section.getOptionalBoolean('alerts.notifyOwners') ?? true,
  };
}
