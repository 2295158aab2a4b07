import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { cacheServiceFactory } from '@backstage/backend-defaults/cache';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api,
  buildPosts as buildPostsSince,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The production topology in one process: two backends (replicas) on one
 * PostgreSQL database and one Redis, behind an imaginary load balancer.
 * Needs BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING (and Redis at
 * BATCH_JOBS_TEST_REDIS_URL, default redis://127.0.0.1:6379), as `.ci/run` provides.
 */

jest.setTimeout(60_000);

const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const REDIS = process.env.BATCH_JOBS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOB = 'DEV/payments-settlement/daily-settlement-report';

const entities = [PAYMENTS_SETTLEMENT];

/** A global task every second on each replica; counts where it ran. */
const ticks: string[] = [];
const tickerPlugin = (replica: string) =>
  createBackendPlugin({
    pluginId: 'replica-ticker',
    register(env) {
      env.registerInit({
        deps: { scheduler: coreServices.scheduler },
        async init({ scheduler }) {
          await scheduler.scheduleTask({
            id: 'replica-tick',
            frequency: { seconds: 1 },
            timeout: { seconds: 10 },
            initialDelay: { milliseconds: 0 },
            scope: 'global',
            fn: async () => {
              ticks.push(replica);
            },
          });
        },
      });
    },
  });

// At module level: its teardown then runs after startTestBackend's, so no
// backend (scheduler poller, launch follower) outlives the database.
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

(PG ? describe : describe.skip)('two replicas on one PostgreSQL and one Redis', () => {
  let sandbox: Sandbox;
  let knex: Knex;
  let tickerKnex: Knex;
  let a: any;
  let b: any;

  async function replica(name: string) {
    const backend = await startSandboxBackend(sandbox, {
      root: {
        backend: {
          cache: { store: 'redis', connection: REDIS, defaultTtl: 60_000 },
        },
      },
      jenkins: { readRetries: undefined },
      batchJobs: { cache: { ttlSeconds: 60 } },
      entities,
      features: [
        tickerPlugin(name),
        mockServices.database.factory({ knex }),
        cacheServiceFactory,
        schedulerServiceFactory,
      ],
    });
    return backend.server;
  }

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    knex = await databases.init('POSTGRES_15');
    tickerKnex = knex;
    a = await replica('a');
    b = await replica('b');
  });

  afterAll(() => closeSandbox(sandbox));

  const buildPosts = (mark: number) => buildPostsSince(sandbox, mark);

  it("shares the Jenkins read cache: the second replica's page view costs Jenkins nothing", async () => {
    const first = await api(a).get('/entity/default/component/payments-settlement/jobs');
    expect(first.status).toBe(200);
    const mark = sandbox.requests.length;
    const second = await api(b).get('/entity/default/component/payments-settlement/jobs');
    expect(second.status).toBe(200);
    expect(sandbox.requests.slice(mark)).toEqual([]);
    expect(second.body.vpcs.map((v: any) => v.jobs.length)).toEqual(
      first.body.vpcs.map((v: any) => v.jobs.length),
    );
  });

  it('holds an Idempotency-Key across replicas: a rerun repeated on the other replica starts nothing', async () => {
    const page = await api(a).get('/builds', { vpc: 'DEV', job: JOB, limit: 1 });
    const number = page.body.items[0].number;
    const key = `replica-key-${Date.now()}`;
    const mark = sandbox.requests.length;
    const first = await api(a).post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, key);
    expect(first.status).toBe(202);
    const again = await api(b).post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, key);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);

    // Both replicas at once with a fresh key: one build.
    sandbox.faults.set({ path: '/job/**/build', method: 'POST', latencyMs: 300, times: 1 });
    const both = `replica-both-${Date.now()}`;
    const [x, y] = await Promise.all([
      api(a).post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, both),
      api(b).post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, both),
    ]);
    expect([x.status, y.status].sort()).toEqual([202, 409]);
    expect(buildPosts(mark)).toBe(2);

    // One audit row per rerun, whichever replica is asked.
    for (const s of [a, b]) {
      const audit = await api(s).get('/audit', { vpc: 'DEV', job: JOB, limit: 500 });
      const ids = audit.body.items.map((e: any) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const ours = audit.body.items.filter(
        (e: any) => e.action === 'build.rerun' && [first.body.auditId, (x.status === 202 ? x : y).body.auditId].includes(e.id),
      );
      expect(ours).toHaveLength(2);
    }
  });

  it('runs a global scheduled task once per period across both replicas', async () => {
    ticks.length = 0;
    await new Promise(r => setTimeout(r, 4500));
    // Two replicas each running it would tick about twice as often.
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(6);
    // Our own global routine is one row in the shared task table, not one per replica.
    const tasks = await tickerKnex('backstage_backend_tasks__tasks')
      .where('id', 'batch-jobs-resume-expired-pauses')
      .select('id');
    expect(tasks).toHaveLength(1);
  });
});
