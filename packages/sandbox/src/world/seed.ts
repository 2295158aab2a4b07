import type { Build, Cause, Folder, Job, JobProfile, Node, ParamDefinition, ParamValue } from './model';
import { Random } from './random';
import { NextRuns, SANDBOX_TIMEZONE, World, defaultParams, plannedOutcome } from './world';
import type { Clock } from './clock';
import { StagePlan, inputOf, workBeforeInput } from './stages';

export const VPCS = ['DEV', 'STG', 'PROD'] as const;

export const SANDBOX_USERS = [
  { id: 'admin', fullName: 'admin', password: 'admin', apiToken: 'sandbox-token' },
  { id: 'jane.doe', fullName: 'Jane Doe', password: 'jane', apiToken: '11a1b2c3d4e5f60718293a4b5c6d7e8f90' },
  { id: 'john.smith', fullName: 'John Smith', password: 'john', apiToken: '11f0e1d2c3b4a59687786950a4b3c2d1e0' },
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface JobTemplate {
  service: string;
  name: string | ((vpc: string) => string);
  kind: 'pipeline' | 'freestyle';
  description: string;
  timer: string | null;
  params: (vpc: string) => ParamDefinition[];
  profile: JobProfile;
  label?: (vpc: string) => string;
  /** Only in these VPCs; default every VPC. */
  vpcs?: string[];
}

const noParams = () => [];

const TEMPLATES: JobTemplate[] = [
  {
    service: 'payments-settlement',
    name: 'daily-settlement-report',
    kind: 'pipeline',
    description: 'Builds the daily settlement report for the previous business day.',
    timer: 'H 2 * * *',
    params: noParams,
    profile: { meanDurationMs: 4 * MINUTE, failureRate: 0.12, worker: false, topic: 'settlement' },
  },
  {
    service: 'payments-settlement',
    name: 'settlement-reconcile',
    kind: 'pipeline',
    description: 'Reconciles settlements against the bank statements.',
    timer: 'H/30 * * * *',
    params: noParams,
    profile: { meanDurationMs: 45_000, failureRate: 0.08, worker: false, topic: 'reconcile' },
  },
  {
    service: 'payments-settlement',
    name: 'migrate-ledger',
    kind: 'pipeline',
    description: 'Migrates ledger entries of one day to the target store.',
    timer: null,
    params: () => [
      { type: 'string', name: 'MIGRATION_DATE', description: 'Day to migrate (YYYY-MM-DD)', defaultValue: '' },
      { type: 'boolean', name: 'DRY_RUN', description: 'Only report what would change', defaultValue: true },
      { type: 'choice', name: 'TARGET', description: 'Where the entries go', choices: ['ledger', 'archive'] },
      { type: 'password', name: 'DB_PASSWORD', description: 'Password of the migration user', defaultValue: '' },
    ],
    profile: { meanDurationMs: 3 * MINUTE, failureRate: 0.2, worker: false, topic: 'migration' },
  },
  {
    service: 'push-notifier',
    name: 'push-dispatch',
    kind: 'pipeline',
    description: 'Dispatches scheduled push notifications.',
    timer: 'H/15 * * * *',
    params: noParams,
    profile: { meanDurationMs: 20_000, failureRate: 0.06, worker: false, topic: 'push' },
  },
  {
    service: 'push-notifier',
    name: vpc => `${vpc}-worker`,
    kind: 'pipeline',
    description: 'Long-running push worker. Redeploy by starting a new build.',
    timer: null,
    params: vpc => [{ type: 'string', name: 'ENV', description: 'Environment', defaultValue: vpc }],
    profile: { meanDurationMs: Infinity, failureRate: 0, worker: true, topic: 'push-worker' },
    label: vpc => `${vpc}-worker-agent`,
  },
  {
    service: 'push-notifier',
    name: 'weekly-token-cleanup',
    kind: 'pipeline',
    description: 'Removes expired device tokens.',
    timer: 'H 3 * * 0',
    params: noParams,
    profile: { meanDurationMs: 90_000, failureRate: 0.1, worker: false, topic: 'tokens' },
  },
  {
    service: 'report-builder',
    name: 'daily-report',
    kind: 'freestyle',
    description: 'Business report for the management dashboard.',
    timer: 'H 6 * * 1-5',
    params: noParams,
    profile: { meanDurationMs: 2 * MINUTE, failureRate: 0.1, worker: false, topic: 'report' },
  },
  {
    service: 'report-builder',
    name: 'weekly-backup',
    kind: 'pipeline',
    description: 'Backs up the report database.',
    timer: 'H H(0-3) * * 6',
    params: noParams,
    profile: { meanDurationMs: 12 * MINUTE, failureRate: 0.1, worker: false, topic: 'backup' },
  },
  {
    service: 'report-builder',
    name: 'monthly-export',
    kind: 'pipeline',
    description: 'Exports the month of reports for the data lake.',
    timer: '@monthly',
    params: () => [{ type: 'choice', name: 'FORMAT', description: 'Export format', choices: ['csv', 'parquet'] }],
    profile: { meanDurationMs: 6 * MINUTE, failureRate: 0.15, worker: false, topic: 'export' },
  },
  // DEV only: a data team scheduled six extracts with a fixed `0 1 * * *`
  // instead of `H`, so at 01:00 six runs compete for DEV's 4 batch executors
  // (the overlap the schedule timeline highlights).
  ...[
    ['nightly-extract-orders', 6],
    ['nightly-extract-payments', 8],
    ['nightly-extract-users', 10],
    ['nightly-extract-devices', 12],
    ['nightly-extract-events', 15],
    ['nightly-extract-refunds', 20],
  ].map(
    ([name, minutes]): JobTemplate => ({
      service: 'data-platform',
      name: name as string,
      kind: 'pipeline',
      description: 'Extracts a table for the data lake.',
      timer: '0 1 * * *',
      params: noParams,
      profile: { meanDurationMs: (minutes as number) * MINUTE, failureRate: 0.05, worker: false, topic: 'extract' },
      vpcs: ['DEV'],
    }),
  ),
];

const SERVICE_DESCRIPTIONS: Record<string, string> = {
  'payments-settlement': 'Settlement and ledger batch jobs',
  'push-notifier': 'Push notification dispatch and worker',
  'report-builder': 'Reports, exports and backups',
  'data-platform': 'Nightly extracts for the data lake',
};

export interface SeedOptions {
  seed: number;
  clock: Clock;
  nextRuns: NextRuns;
  /** Range of the number of builds of each job's history. */
  buildsPerJob?: [number, number];
  /** Fill each service folder with copies of its jobs up to this many (benchmarks). */
  jobsPerService?: number;
}

/** Creates the demo world described in the project's shared notes. */
export function createDemoWorld(options: SeedOptions): World {
  const { seed, clock, nextRuns } = options;
  const world = new World(seed, clock, nextRuns);
  const now = clock.now();
  for (const user of SANDBOX_USERS) world.addUser(user);

  const queueIds = { next: 1000 + Random.derive(seed, 'queue').int(0, 5000) };

  seedNodes(world, seed, now);

  for (const vpc of VPCS) {
    const vpcFolder = world.addFolder(world.root, vpc, `Batch jobs of the ${vpc} VPC`);
    const services = new Map<string, Folder>();
    const templates = TEMPLATES.filter(t => !t.vpcs || t.vpcs.includes(vpc));
    for (const [template, copy] of withCopies(templates, options.jobsPerService)) {
      let service = services.get(template.service);
      if (!service) {
        service = world.addFolder(vpcFolder, template.service, SERVICE_DESCRIPTIONS[template.service]);
        services.set(template.service, service);
      }
      const base = typeof template.name === 'function' ? template.name(vpc) : template.name;
      const name = copy > 1 ? `${base}-${copy}` : base;
      const job: Job = world.addJob({
        kind: template.kind,
        name,
        fullName: `${service.fullName}/${name}`,
        description: template.description,
        parent: service,
        params: template.params(vpc),
        timerSpec: template.timer,
        label: template.label ? template.label(vpc) : `${vpc}-batch-agent`,
        concurrentBuild: false,
        disabled: false,
        builds: [],
        nextBuildNumber: 1,
        profile: template.profile,
      });
      seedHistory(world, job, options, queueIds, now);
    }
  }
  // After every template, so that their seeded history stays as it was.
  seedMultibranch(world, world.item('DEV') as Folder, options, queueIds, now);
  world.reserveQueueIds(queueIds.next);
  world.start();
  return world;
}

/** Branches of the DEV orders multibranch project, as Git names them. */
export const MULTIBRANCH_BRANCHES = ['main', 'feature/ORD-214'];

/**
 * The orders pipeline: a build, tests in parallel branches, and on `main` a
 * person's go before the deployment (an `input` step with a parameter).
 */
export function ordersStages(branch: string): StagePlan[] {
  const stages: StagePlan[] = [
    { name: 'Build', share: 0.3 },
    {
      name: 'Test',
      share: 0.4,
      parallel: [
        { name: 'unit', share: 0.25 },
        { name: 'integration', share: 0.4 },
      ],
    },
  ];
  if (branch !== 'main') return [...stages, { name: 'Publish', share: 0.3 }];
  return [
    ...stages,
    {
      name: 'Approve',
      share: 0,
      input: {
        id: 'Deploy',
        message: 'Deploy orders to DEV?',
        ok: 'Deploy',
        params: [
          { type: 'choice', name: 'STRATEGY', description: 'How the release rolls out', choices: ['rolling', 'blue-green'] },
        ],
      },
    },
    { name: 'Deploy', share: 0.3 },
  ];
}

/**
 * DEV's orders service builds from a multibranch Pipeline project: one job
 * per branch, named as branch-api's NameEncoder names it (`feature/ORD-214`
 * → `feature%2FORD-214`, which is `feature%252FORD-214` in a URL).
 */
function seedMultibranch(
  world: World,
  vpcFolder: Folder,
  options: SeedOptions,
  queueIds: { next: number },
  now: number,
): void {
  const service = world.addFolder(vpcFolder, 'orders', 'Order intake pipelines');
  const project = world.addFolder(service, 'multibranch', 'Builds every branch of the orders repository');
  project.multibranch = true;
  for (const branch of MULTIBRANCH_BRANCHES) {
    const name = branch.replace(/\//g, '%2F');
    const job = world.addJob({
      kind: 'pipeline',
      name,
      displayName: branch,
      fullName: `${project.fullName}/${name}`,
      description: '',
      parent: project,
      params: [],
      timerSpec: null,
      label: `${vpcFolder.name}-batch-agent`,
      concurrentBuild: false,
      disabled: false,
      builds: [],
      nextBuildNumber: 1,
      profile: { meanDurationMs: 3 * MINUTE, failureRate: 0.2, worker: false, topic: 'orders', stages: ordersStages(branch) },
    });
    seedHistory(world, job, { ...options, buildsPerJob: [4, 8] }, queueIds, now);
    const last = job.builds[job.builds.length - 1];
    if (inputOf(job) && (!last || last.result !== null)) {
      // main waits at its input right now, for a person's go (the demo's and the journey's).
      const timestamp = now - 5 * MINUTE;
      job.builds.push({
        job,
        number: job.nextBuildNumber++,
        queueId: queueIds.next++,
        causes: [{ kind: 'user', userId: 'john.smith', userName: 'John Smith' }],
        params: null,
        timestamp,
        agentAt: timestamp + 600,
        workMs: 3 * MINUTE,
        plannedResult: 'SUCCESS',
        result: null,
        completedAt: null,
        // An input outside a node block holds no executor.
        builtOn: null,
        log: null,
        abortedBy: null,
        bigLog: false,
        queuedAt: timestamp - 5000,
      });
    }
  }
}

/** Each template once, then (benchmarks) copies of a service's non-worker templates up to `perService`. */
function withCopies(templates: JobTemplate[], perService?: number): Array<[JobTemplate, number]> {
  const out: Array<[JobTemplate, number]> = templates.map(t => [t, 1]);
  if (!perService) return out;
  for (const service of new Set(templates.map(t => t.service))) {
    const own = templates.filter(t => t.service === service && !t.profile.worker);
    let count = templates.filter(t => t.service === service).length;
    for (let copy = 2; count < perService && own.length > 0; copy++) {
      for (const t of own) {
        if (count >= perService) break;
        out.push([t, copy]);
        count++;
      }
    }
  }
  return out;
}

function seedNodes(world: World, seed: number, now: number): void {
  const random = Random.derive(seed, 'nodes');
  const node = (name: string, labels: string[], executors: number, extra: Partial<Node> = {}): Node => ({
    name,
    labels,
    numExecutors: executors,
    executors: new Array(executors).fill(null),
    builtIn: false,
    offline: false,
    temporarilyOffline: false,
    offlineCause: null,
    description: '',
    connectedSince: now - random.int(2, 400) * HOUR,
    monitor: {
      totalMemory: 8 * 1024 ** 3,
      freeMemory: random.int(1, 6) * 1024 ** 3,
      diskFree: random.int(20, 90) * 1024 ** 3,
      tmpFree: random.int(5, 15) * 1024 ** 3,
      responseMs: random.int(20, 120),
    },
    ...extra,
  });
  const ec2 = () => `i-0${random.hex(16)}-EC2-AGENT`;

  world.addNode({
    ...node('built-in', ['built-in'], 0),
    builtIn: true,
    description: "the Jenkins controller's built-in node",
  });
  for (const vpc of VPCS) {
    world.addNode(node(ec2(), [`${vpc}-batch-agent`], 2, { description: `${vpc} batch agent (EC2)` }));
    world.addNode(node(ec2(), [`${vpc}-batch-agent`], 2, { description: `${vpc} batch agent (EC2)` }));
    world.addNode(node(ec2(), [`${vpc}-worker-agent`], 1, { description: `${vpc} worker agent (EC2)` }));
  }
  // For later issues: a DEV agent whose instance is gone, and a STG agent a person paused.
  world.addNode(
    node(ec2(), ['DEV-batch-agent'], 2, {
      description: 'DEV batch agent (EC2)',
      offline: true,
      offlineCause: {
        kind: 'channel',
        message: 'Connection was broken: java.nio.channels.ClosedChannelException',
        timestamp: now - 26 * HOUR,
      },
    }),
  );
  world.addNode(
    node(ec2(), ['STG-batch-agent'], 2, {
      description: 'STG batch agent (EC2)',
      offline: true,
      temporarilyOffline: true,
      offlineCause: {
        kind: 'user',
        userId: 'jane.doe',
        message: 'paused for maintenance',
        timestamp: now - 3 * HOUR,
      },
    }),
  );
}

/** Past builds of a job: timer runs at the times its spec gives, reruns after failures, manual runs. */
function seedHistory(
  world: World,
  job: Job,
  options: SeedOptions,
  queueIds: { next: number },
  now: number,
): void {
  const random = Random.derive(options.seed, 'history', job.fullName);
  const [min, max] = options.buildsPerJob ?? [30, 60];
  const vpc = job.fullName.split('/')[0];
  const agents = world.nodes.filter(n => n.labels.includes(job.label) && !n.offline);
  const starts: Array<{ at: number; causes: Cause[]; params: ParamValue[] | null }> = [];

  if (job.profile.worker) {
    // A handful of redeploys, each running for days; the current one for hours.
    const count = random.int(4, 8);
    let at = now - random.int(3, 9) * HOUR;
    for (let i = 0; i < count; i++) {
      starts.unshift({ at, causes: [userCause(random)], params: defaultParams(job) });
      at -= random.int(1, 5) * DAY + random.int(0, 23) * HOUR;
    }
  } else if (job.timerSpec) {
    const count = random.int(min, max);
    const times = pastRuns(options.nextRuns, job, now, count);
    for (const t of times) {
      starts.push({ at: t, causes: [{ kind: 'timer' }], params: defaultParams(job) });
      if (random.chance(0.12)) {
        starts.push({ at: t + random.int(10, 50) * MINUTE, causes: [otherCause(random, job, vpc)], params: defaultParams(job) });
      }
    }
  } else {
    const count = random.int(min, max);
    for (let i = 0; i < count; i++) {
      starts.push({
        at: now - random.int(10, 60 * 24 * 60) * MINUTE,
        causes: [otherCause(random, job, vpc)],
        params: randomParams(job, random, now),
      });
    }
  }
  starts.sort((a, b) => a.at - b.at);

  job.nextBuildNumber = random.int(1, 180);
  let previousEnd = 0;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i];
    const number = job.nextBuildNumber++;
    const outcome = plannedOutcome(job, Random.derive(options.seed, job.fullName, number));
    // A job does not run twice at once: a start waits for the previous end.
    const timestamp = Math.max(start.at + random.int(20, 400), previousEnd + random.int(500, 3000));
    if (timestamp >= now) break;
    const agentAt = timestamp + random.int(300, 900);
    const agent = agents.length > 0 ? random.pick(agents) : undefined;
    const last = i === starts.length - 1;
    const build: Build = {
      job,
      number,
      queueId: queueIds.next++,
      causes: start.causes,
      params: start.params,
      timestamp,
      agentAt,
      workMs: outcome.workMs,
      plannedResult: outcome.result,
      result: null,
      completedAt: null,
      builtOn: agent?.name ?? null,
      log: null,
      abortedBy: null,
      bigLog: false,
      queuedAt: start.at,
    };
    if (job.profile.worker && !last) {
      // Replaced by the next redeploy.
      const next = Math.max(starts[i + 1].at, agentAt + 1000);
      build.result = 'ABORTED';
      build.completedAt = next;
      build.abortedBy = random.pick(['Jane Doe', 'John Smith', 'admin']);
    } else if (!job.profile.worker && random.chance(0.02)) {
      build.result = 'ABORTED';
      build.completedAt = agentAt + Math.round(outcome.workMs / 2);
      build.abortedBy = random.pick(['Jane Doe', 'John Smith']);
    } else if (agentAt + outcome.workMs <= now) {
      build.result = outcome.result;
      build.completedAt = agentAt + outcome.workMs;
    }
    if (build.completedAt !== null && build.completedAt > now) {
      build.result = null;
      build.completedAt = null;
      build.abortedBy = null;
    }
    if (inputOf(job)) {
      // Seeded history was approved when it got there.
      build.inputDecision = { kind: 'proceed', by: 'Jane Doe', at: agentAt + workBeforeInput(build), values: [] };
    }
    previousEnd = build.completedAt ?? Infinity;
    job.builds.push(build);
  }

  if (job.fullName === 'DEV/report-builder/weekly-backup') {
    // One big log to show that logs stream, and one build running right now.
    const lastDone = [...job.builds].reverse().find(b => b.result !== null && b.result !== 'ABORTED');
    if (lastDone) lastDone.bigLog = true;
    const tail = job.builds[job.builds.length - 1];
    if (tail && tail.result !== null) {
      const number = job.nextBuildNumber++;
      const timestamp = now - 4 * MINUTE;
      job.builds.push({
        job,
        number,
        queueId: queueIds.next++,
        causes: [{ kind: 'user', userId: 'jane.doe', userName: 'Jane Doe' }],
        params: null,
        timestamp,
        agentAt: timestamp + 600,
        workMs: 20 * MINUTE,
        plannedResult: 'SUCCESS',
        result: null,
        completedAt: null,
        builtOn: agents[0]?.name ?? null,
        log: null,
        abortedBy: null,
        bigLog: false,
        queuedAt: timestamp - 5000,
      });
    }
  }
}

/** The `count` most recent times the job's timer fired before `now`. */
function pastRuns(nextRuns: NextRuns, job: Job, now: number, count: number): number[] {
  const probe = nextRuns(job.timerSpec!, {
    jobFullName: job.fullName,
    after: new Date(now - 400 * DAY),
    count: 12,
    timezone: SANDBOX_TIMEZONE,
  }).map(d => d.getTime());
  let gap = MINUTE;
  for (let i = 1; i < probe.length; i++) gap = Math.max(gap, probe[i] - probe[i - 1]);
  const from = now - (count + 2) * gap;
  const runs = nextRuns(job.timerSpec!, {
    jobFullName: job.fullName,
    after: new Date(from),
    count: count * 3 + 10,
    timezone: SANDBOX_TIMEZONE,
  })
    .map(d => d.getTime())
    .filter(t => t < now);
  return runs.slice(-count);
}

function userCause(random: Random): Cause {
  const who = random.pick(SANDBOX_USERS);
  return random.chance(0.1)
    ? { kind: 'user', userId: null, userName: 'anonymous' }
    : { kind: 'user', userId: who.id, userName: who.fullName };
}

function otherCause(random: Random, job: Job, vpc: string): Cause {
  const roll = random.next();
  if (roll < 0.6) return userCause(random);
  if (roll < 0.8) {
    return {
      kind: 'remote',
      addr: `10.${random.int(0, 40)}.${random.int(0, 255)}.${random.int(1, 254)}`,
      note: random.chance(0.5) ? 'triggered by ops-scheduler' : null,
    };
  }
  const upstreamName = job.parent.name === 'payments-settlement' ? 'daily-settlement-report' : 'weekly-backup';
  const upstreamFolder = job.parent.name === 'payments-settlement' ? 'payments-settlement' : 'report-builder';
  const project = `${vpc}/${upstreamFolder}/${upstreamName}`;
  return {
    kind: 'upstream',
    project,
    build: random.int(20, 200),
    url: `job/${project.split('/').join('/job/')}/`,
    upstreamCauses: [{ kind: 'timer' }],
  };
}

function randomParams(job: Job, random: Random, now: number): ParamValue[] | null {
  if (job.params.length === 0) return null;
  return job.params.map((def): ParamValue => {
    switch (def.type) {
      case 'boolean':
        return { type: 'boolean', name: def.name, value: random.chance(0.6) };
      case 'choice':
        return { type: 'string', name: def.name, value: random.pick(def.choices) };
      case 'password':
        return { type: 'password', name: def.name, value: 'secret' };
      default:
        return {
          type: 'string',
          name: def.name,
          value: def.name === 'MIGRATION_DATE'
            ? new Date(now - random.int(1, 60) * DAY).toISOString().slice(0, 10)
            : def.defaultValue,
        };
    }
  });
}
