/**
 * A local server that speaks the Jenkins REST API over a simulated,
 * seeded world: builds queue, run on matching agents, write logs and
 * finish; timers fire on their schedule.
 *
 * @packageDocumentation
 */
import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import { Clock, ManualClock, RealClock } from './world/clock';
import { SANDBOX_USERS, createDemoWorld } from './world/seed';
import type { World } from './world/world';
import { RecordedRequest, advanceWorld, createSandboxServer } from './server';
import {
  AwsWorld,
  createAwsWorld,
  seedInstancesForNodes,
  startAwsServer,
} from './aws';
import { bootstrapAgents } from './agentBootstrap';
import { BackupJob, installBackupJob } from './backupJob';
import type { JenkinsFaults } from './faults';

export type { World } from './world/world';
// Tests give a build a log of their own (`build.log = new BuildLog()…`).
export { BuildLog } from './world/logs';
export type { RecordedRequest } from './server';
export { JENKINS_VERSION } from './server';
export type { AwsWorld, Ec2Instance, FaultRule } from './aws';
export type { JenkinsFaultRule, JenkinsFaults } from './faults';
export { AGENT_CONNECT_DELAY_MS } from './agentBootstrap';
export type { BackupJob, BackupJobMode } from './backupJob';
export { tarOf } from './backupJob';

/** @public */
export interface SandboxOptions {
  /**
   * The AWS account of each VPC (e.g. `{ PROD: '222222222222' }`); the
   * others stay in the default account. Roles assumed through STS reach
   * their own account's VPCs only.
   */
  awsAccounts?: Record<string, string>;
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed of the demo world. Default 42. */
  seed?: number;
  /** Credentials of the Jenkins admin user. */
  username?: string;
  apiToken?: string;
  password?: string;
  /** `real` (default): time flows. `manual`: time moves only with `advance`. */
  clock?: 'real' | 'manual';
  /** Epoch ms the world's "now" starts at. Default: the current time. */
  startTime?: number;
  /** Number of builds in each job's history. Default [30, 60]. */
  buildsPerJob?: [number, number];
  /**
   * Jobs in each service folder (benchmarks): the demo jobs, then copies of
   * them named `<job>-2`, `<job>-3`, … until the folder holds this many.
   */
  jobsPerService?: number;
  /** Port of the AWS endpoint (EC2 + S3); 0 picks a free one. Default 4566, or 0 when `port` is 0. */
  awsPort?: number;
}

/** @public */
export interface Sandbox {
  /** The Jenkins URL, without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  jenkinsUrl: string;
  credentials: { username: string; apiToken: string; password: string };
  /** Manual clock only: moves time; queued builds start, logs grow, builds finish, timers fire. */
  advance(ms: number): Promise<void>;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Jenkins-side faults: `sandbox.faults.set({ path: '/job/**', method: 'GET', status: 503, times: 1 })`. */
  faults: JenkinsFaults;
  /** Response body bytes the Jenkins endpoint sent since start. */
  bytesSent(): number;
  close(): Promise<void>;
  /** The simulated world, for assertions. */
  world: World;
  /** The AWS endpoint (EC2 Query API, S3), e.g. `http://127.0.0.1:4566`; any access key works. */
  awsUrl: string;
  /** The simulated AWS account (instances, launch templates, faults), for assertions. */
  aws: AwsWorld;
  /**
   * The seeded backup pipeline (root job `jenkins-backup`, uploading to
   * `s3://jenkins-backups/jenkins/`): set `mode` to `empty`, `none`,
   * `truncated` or `fail` to make its next runs misbehave.
   */
  backup: BackupJob;
}

/** @public */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 42;
  const startTime = options.startTime ?? Date.now();
  const clock: Clock =
    options.clock === 'manual'
      ? new ManualClock(startTime)
      : new RealClock(startTime);

  const world = createDemoWorld({
    seed,
    clock,
    nextRuns: nextRunsOf,
    buildsPerJob: options.buildsPerJob,
    jobsPerService: options.jobsPerService,
  });
  const admin = world.users.get('admin')!;
  const credentials = {
    username: options.username ?? SANDBOX_USERS[0].id,
    apiToken: options.apiToken ?? SANDBOX_USERS[0].apiToken,
    password: options.password ?? SANDBOX_USERS[0].password,
  };
  if (credentials.username !== admin.id) {
    world.users.delete(admin.id);
    admin.id = credentials.username;
    admin.fullName = credentials.username;
    world.users.set(admin.id, admin);
  }
  admin.apiToken = credentials.apiToken;
  admin.password = credentials.password;

  // EC2 agents: every seeded agent node gets its instance; instances that
  // boot later create and connect their nodes like the real bootstrap.
  const aws = createAwsWorld({
    seed,
    clock,
    vpcs: ['DEV', 'STG', 'PROD'],
    vpcAccounts: options.awsAccounts,
  });
  seedInstancesForNodes(aws, world.nodes);
  bootstrapAgents(world, aws);
  const backup = installBackupJob(world, aws);

  /** Manual clock: Jenkins events and EC2 state changes, each at its own time, in order. */
  const advance = (ms: number) => {
    if (!(clock instanceof ManualClock)) {
      throw new Error('advance() needs a sandbox started with clock: "manual"');
    }
    const target = clock.now() + ms;
    for (;;) {
      const next = aws.nextTransitionAt();
      if (next === undefined || next > target) break;
      world.runUntil(next);
      clock.set(Math.max(next, clock.now()));
      aws.advance(next);
    }
    advanceWorld(world, target - clock.now());
  };

  const server = createSandboxServer(world, {
    beforeRequest: () => aws.tick(),
    advance,
  });
  const port = await server.listen(options.port ?? 8080, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let awsServer;
  try {
    awsServer = await startAwsServer({
      world: aws,
      host,
      // A test that asks for a free Jenkins port wants a free AWS port too.
      port: options.awsPort ?? (options.port === 0 ? 0 : 4566),
      tickIntervalMs: clock.kind === 'real' ? 1000 : undefined,
    });
  } catch (error) {
    await server.close();
    throw error;
  }

  return {
    jenkinsUrl: `http://${urlHost}:${port}`,
    credentials,
    async advance(ms: number) {
      advance(ms);
    },
    requests: server.requests,
    faults: server.faults,
    bytesSent: () => server.stats.bytesSent,
    async close() {
      await Promise.all([server.close(), awsServer.close()]);
    },
    world,
    awsUrl: awsServer.url,
    aws,
    backup,
  };
}
