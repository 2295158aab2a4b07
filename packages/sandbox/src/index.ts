/**
 * A local server that speaks the Jenkins REST API over a simulated,
 * seeded world: builds queue, run on matching agents, write logs and
 * finish; timers fire on their schedule.
 *
 * @packageDocumentation
 */
import { nextRunsOf } from '@internal/plugin-batch-jobs-common';
import { Clock, ManualClock, RealClock } from './world/clock';
import { SANDBOX_USERS, createDemoWorld } from './world/seed';
import type { World } from './world/world';
import { RecordedRequest, advanceWorld, createSandboxServer } from './server';

export type { World } from './world/world';
export type { RecordedRequest } from './server';
export { JENKINS_VERSION } from './server';

/** @public */
export interface SandboxOptions {
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
  close(): Promise<void>;
  /** The simulated world, for assertions. */
  world: World;
}

/** @public */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 42;
  const startTime = options.startTime ?? Date.now();
  const clock: Clock =
    options.clock === 'manual' ? new ManualClock(startTime) : new RealClock(startTime);

  const world = createDemoWorld({
    seed,
    clock,
    nextRuns: nextRunsOf,
    buildsPerJob: options.buildsPerJob,
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

  const server = createSandboxServer(world);
  const port = await server.listen(options.port ?? 8080, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    jenkinsUrl: `http://${urlHost}:${port}`,
    credentials,
    async advance(ms: number) {
      advanceWorld(world, ms);
    },
    requests: server.requests,
    close: () => server.close(),
    world,
  };
}
