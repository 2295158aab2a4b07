import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { JsonObject } from '@backstage/types';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { Knex, knex as createKnex } from 'knex';
import net from 'node:net';
import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Issue 15, the fault suite's restarts of destructive operations: a backend
 * killed mid worker redeploy (its database and Jenkins connections cut at
 * once, as a dead process leaves them) and another started on the same
 * database; two replicas asked to redeploy one VPC at once; "Run now" of a
 * routine switched off in config, and one in flight when the backend stops.
 */

jest.setTimeout(120_000);

const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;

// At module level: its teardown then runs after startTestBackend's, so no
// backend (scheduler poller, redeploy heartbeat) outlives the database.
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A TCP proxy to `target` whose `cut` drops every connection and refuses new ones. */
async function cuttableProxy(target: string) {
  const url = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(Number(url.port), url.hostname);
    sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${url.pathname.replace(/\/$/, '')}`,
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

(PG ? describe : describe.skip)(
  'worker redeploys across a kill and two replicas (PostgreSQL)',
  () => {
    let sandbox: Sandbox;
    let shared: Knex;

    beforeAll(async () => {
      sandbox = await startTestSandbox();
      shared = await databases.init('POSTGRES_15');
    });

    afterAll(() => closeSandbox(sandbox));

    /**
     * A backend with its own connection pool to the shared database. `real`
     * gives it Backstage's scheduler (it resumes on its own); otherwise a
     * mock scheduler whose tasks run only when triggered.
     */
    async function replica(
      options: { jenkinsUrl?: string; real?: boolean } = {},
    ) {
      const own = createKnex(shared.client.config);
      // The mock scheduler's own type (factory, triggerTask).
      const scheduler = mockServices.scheduler() as any;
      const backend = await startSandboxBackend(sandbox, {
        jenkins: {
          timeoutMs: 30_000,
          ...(options.jenkinsUrl ? { baseUrl: options.jenkinsUrl } : {}),
        },
        batchJobs: {
          stop: { escalateAfterSeconds: 1 },
          workers: { startTimeoutSeconds: 60, leaseSeconds: 1 },
        },
        features: [
          mockServices.database.factory({ knex: own }),
          options.real
            ? schedulerServiceFactory
            : scheduler.factory({ skipTaskRunOnStartup: true }),
        ],
      });
      return {
        server: backend.server,
        stop: () => backend.stop(),
        knex: own,
        scheduler,
      };
    }

    const api = (server: any) => apiOf(server);
    const jobOf = (fullName: string) => sandbox.world.item(fullName) as any;
    const lastBuild = (fullName: string) => {
      const builds = jobOf(fullName).builds;
      return builds[builds.length - 1];
    };
    const triggerPosts = (mark: number, vpc: string) =>
      sandbox.requests
        .slice(mark)
        .filter(
          r =>
            r.method === 'POST' &&
            r.path.startsWith(`/job/${vpc}/job/push-notifier/job/`) &&
            /\/build(WithParameters)?(\?|$)/.test(r.path),
        ).length;

    /** Polls an operation, moving sandbox time so queued builds can start. */
    async function untilSettled(server: any, id: string, what: string) {
      const end = Date.now() + 60_000;
      for (;;) {
        const res = await api(server).get(`/operations/${id}`);
        expect(res.status).toBe(200);
        if (res.body.state !== 'running') return res.body;
        if (Date.now() > end) {
          throw new Error(
            `${what}: operation ${id} is still running: ${JSON.stringify(
              res.body.jobs.map((j: any) => [
                j.job,
                j.state,
                j.steps.at(-1)?.message,
              ]),
            )}`,
          );
        }
        await sandbox.advance(1000);
        await sleep(100);
      }
    }

    /** A second DEV worker (the pattern DEV-worker* selects it), running with ENV=blue. */
    async function blueWorker() {
      const world = sandbox.world as any;
      const parent = world.item('DEV/push-notifier');
      const fullName = 'DEV/push-notifier/DEV-worker-blue';
      world.createJob({
        kind: 'pipeline',
        name: 'DEV-worker-blue',
        fullName,
        description: 'A second push worker',
        parent,
        params: [
          {
            type: 'string',
            name: 'ENV',
            description: 'Environment',
            defaultValue: 'DEV',
          },
        ],
        timerSpec: null,
        // The worker agent's one executor runs DEV-worker.
        label: 'DEV-batch-agent',
        concurrentBuild: false,
        disabled: false,
        builds: [],
        nextBuildNumber: 1,
        profile: {
          meanDurationMs: Infinity,
          failureRate: 0,
          worker: true,
          topic: 'push-worker',
        },
      });
      const res = await fetch(
        `${sandbox.jenkinsUrl}/job/DEV/job/push-notifier/job/DEV-worker-blue/buildWithParameters?ENV=blue`,
        {
          method: 'POST',
          redirect: 'manual',
          headers: {
            Authorization: `Basic ${Buffer.from(
              `${sandbox.credentials.username}:${sandbox.credentials.apiToken}`,
            ).toString('base64')}`,
          },
        },
      );
      expect(res.status).toBe(201);
      for (let i = 0; i < 30 && !lastBuild(fullName)?.builtOn; i++) {
        await sandbox.advance(1000);
      }
      expect(lastBuild(fullName)).toMatchObject({ result: null });
      return fullName;
    }

    it('a backend killed mid-redeploy: after a restart every DEV worker runs again with its parameters, the operation and its audit rows are settled', async () => {
      const red = 'DEV/push-notifier/DEV-worker';
      const blue = await blueWorker();
      const before = new Map(
        [red, blue].map(job => [job, { ...lastBuild(job) }] as const),
      );
      for (const job of [red, blue]) {
        expect({ job, result: before.get(job)!.result }).toEqual({
          job,
          result: null,
        });
      }
      const buildsBefore = new Map(
        [red, blue].map(j => [j, jobOf(j).builds.length]),
      );

      // Backend A reaches Jenkins through a proxy: the kill cuts it.
      const proxy = await cuttableProxy(sandbox.jenkinsUrl);
      const a = await replica({ jenkinsUrl: proxy.url });
      // Jenkins is slow to take the new builds: A dies while it waits.
      sandbox.faults.set({
        path: '/job/DEV/job/push-notifier/job/*/buildWithParameters',
        method: 'POST',
        latencyMs: 25_000,
      });
      const mark = sandbox.requests.length;
      const started = await api(a.server).post(
        '/vpcs/DEV/workers/redeploy',
        {},
      );
      expect(started.status).toBe(202);
      const id = started.body.id;
      const end = Date.now() + 30_000;
      while (triggerPosts(mark, 'DEV') < 2) {
        if (Date.now() > end) {
          throw new Error(
            `A never asked Jenkins to start both workers (${triggerPosts(
              mark,
              'DEV',
            )} of 2)`,
          );
        }
        await sandbox.advance(500);
        await sleep(50);
      }

      // The kill: A's database pool and its Jenkins connections go at once.
      await a.knex.destroy();
      proxy.cut();
      sandbox.faults.clear();
      await sleep(300);

      // What the kill left: both workers stopped, nothing started, the
      // operation running and its audit rows pending.
      for (const job of [red, blue]) {
        expect({
          job,
          old: jobOf(job).builds.find(
            (b: any) => b.number === before.get(job)!.number,
          ).result,
        }).toEqual({ job, old: 'ABORTED' });
        expect({ job, builds: jobOf(job).builds.length }).toEqual({
          job,
          builds: buildsBefore.get(job),
        });
      }
      const row = await shared('batch_operations').where({ id }).first();
      expect(row.state).toBe('running');
      const pending = await shared('audit_events')
        .where({ action: 'worker.redeploy', vpc: 'DEV' })
        .select('id', 'job', 'outcome', 'detail');
      const ours = pending.filter(
        (e: any) => JSON.parse(e.detail).operationId === id,
      );
      expect(ours.map((e: any) => [e.job, e.outcome]).sort()).toEqual(
        [
          [red, 'pending'],
          [blue, 'pending'],
        ].sort(),
      );

      // B starts on the same database, with Backstage's scheduler.
      const b = await replica({ real: true });
      const done = await untilSettled(b.server, id, 'after the restart');
      expect(done.state).toBe('succeeded');
      for (const job of [red, blue]) {
        const entry = done.jobs.find((j: any) => j.job === job);
        expect(entry).toMatchObject({
          state: 'succeeded',
          stoppedBuild: before.get(job)!.number,
          newBuild: before.get(job)!.number + 1,
          error: null,
        });
        expect(entry.steps.map((s: any) => s.message).join('\n')).toMatch(
          /Stopping build[\s\S]*Resumed after a restart[\s\S]*Queued with ENV=[\s\S]*started/,
        );
      }

      // Jenkins: each worker runs again, once, with the parameters it ran with.
      expect(lastBuild(red)).toMatchObject({
        result: null,
        params: [{ name: 'ENV', value: 'DEV' }],
      });
      expect(lastBuild(blue)).toMatchObject({
        result: null,
        params: [{ name: 'ENV', value: 'blue' }],
      });
      for (const job of [red, blue]) {
        expect({ job, builds: jobOf(job).builds.length }).toEqual({
          job,
          builds: buildsBefore.get(job)! + 1,
        });
      }

      // The audit rows are settled, one per worker, with the new build.
      const audit = await api(b.server).get('/audit', {
        vpc: 'DEV',
        limit: 500,
      });
      expect(audit.status).toBe(200);
      const rows = audit.body.items.filter(
        (e: any) =>
          e.action === 'worker.redeploy' && e.detail.operationId === id,
      );
      expect(rows.map((e: any) => [e.job, e.outcome]).sort()).toEqual(
        [
          [red, 'succeeded'],
          [blue, 'succeeded'],
        ].sort(),
      );
      await b.stop();
    });

    it('two replicas asked to redeploy one VPC at once: one runs, the other answers 409 naming it; a live replica keeps its operation', async () => {
      const worker = 'STG/push-notifier/STG-worker';
      const x = await replica();
      const y = await replica();
      const buildsBefore = jobOf(worker).builds.length;
      // Jenkins is slow to take the new build: the first redeploy runs a while.
      sandbox.faults.set({
        path: '/job/STG/job/push-notifier/job/*/buildWithParameters',
        method: 'POST',
        latencyMs: 2500,
        times: 1,
      });
      const [first, second] = await Promise.all([
        api(x.server).post('/vpcs/STG/workers/redeploy', {}),
        api(y.server).post('/vpcs/STG/workers/redeploy', {}),
      ]);
      expect([first.status, second.status].sort()).toEqual([202, 409]);
      const [winner, loser] =
        first.status === 202 ? [first, second] : [second, first];
      expect(loser.body.error.message).toContain(winner.body.id);
      expect(loser.body.error.message).toMatch(/already running/);

      // Asked again while it runs, on either replica: the same answer.
      const again = await api(first.status === 202 ? y.server : x.server).post(
        '/vpcs/STG/workers/redeploy',
        {},
      );
      expect(again.status).toBe(409);
      expect(again.body.error.message).toContain(winner.body.id);

      // The other replica's resumer leaves a live replica's operation alone.
      const other = first.status === 202 ? y : x;
      await other.scheduler.triggerTask('batch-jobs-worker-redeploys');

      const done = await untilSettled(x.server, winner.body.id, 'two replicas');
      expect(done.state).toBe('succeeded');
      expect(
        done.jobs[0].steps.map((s: any) => s.message).join('\n'),
      ).not.toMatch(/Resumed/);
      // One redeploy, one new build.
      expect(jobOf(worker).builds.length).toBe(buildsBefore + 1);
      expect(lastBuild(worker).result).toBeNull();

      // Once it ended the VPC is free again.
      const next = await api(y.server).post('/vpcs/STG/workers/redeploy', {});
      expect(next.status).toBe(202);
      expect(
        (await untilSettled(y.server, next.body.id, 'the next redeploy')).state,
      ).toBe('succeeded');
      await Promise.all([x.stop(), y.stop()]);
    });
  },
);

describe('routine "Run now": config and shutdown', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    // The manual clock starts at the real now (EC2 launch times line up).
    sandbox = await startTestSandbox({ startTime: Date.now() });
  });

  afterAll(() => closeSandbox(sandbox));

  async function backend(knex: Knex, orphanReaper: JsonObject) {
    return startSandboxBackend(sandbox, {
      aws: {},
      batchJobs: {
        routines: {
          'offline-node-sweep': { enabled: false },
          'jenkins-backup': { enabled: false },
          'orphan-reaper': orphanReaper,
        },
      },
      features: [mockServices.database.factory({ knex })],
    });
  }

  it('refuses a real run of a routine disabled in config with a 409 that says so; a dry run is allowed', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await backend(knex, { enabled: false });
    const terminations = sandbox.aws.requests.filter(
      r => r.action === 'TerminateInstances',
    ).length;
    const res = await apiOf(server).post('/routines/orphan-reaper/run', {
      dryRun: false,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      /orphan-reaper is disabled \(batchJobs\.routines\.orphan-reaper\.enabled: false\)/,
    );
    expect(
      await knex('routine_runs').where({ routine: 'orphan-reaper' }),
    ).toEqual([]);

    const dry = await apiOf(server).post('/routines/orphan-reaper/run', {
      dryRun: true,
    });
    expect(dry.status).toBe(202);
    const end = Date.now() + 30_000;
    let run = await apiOf(server).get(`/routines/runs/${dry.body.runId}`);
    while (run.body.outcome === 'running') {
      if (Date.now() > end)
        throw new Error(`dry run ${dry.body.runId} never ended`);
      await sleep(50);
      run = await apiOf(server).get(`/routines/runs/${dry.body.runId}`);
    }
    expect(run.body).toMatchObject({ outcome: 'succeeded', dryRun: true });
    expect(
      sandbox.aws.requests.filter(r => r.action === 'TerminateInstances'),
    ).toHaveLength(terminations);
  });

  it('finishes a "Run now" run in flight before the backend stops', async () => {
    const knex = await databases.init('SQLITE_3');
    const started = await backend(knex, { frequency: { trigger: 'manual' } });
    // EC2 answers slowly: the run is still going when the backend stops.
    sandbox.aws.faults.set({ action: 'DescribeInstances', latencyMs: 2000 });
    const mark = sandbox.aws.requests.length;
    const res = await apiOf(started.server).post(
      '/routines/orphan-reaper/run',
      { dryRun: true },
    );
    expect(res.status).toBe(202);
    const end = Date.now() + 10_000;
    while (
      !sandbox.aws.requests
        .slice(mark)
        .some(r => r.action === 'DescribeInstances')
    ) {
      if (Date.now() > end)
        throw new Error('the run never asked EC2 for instances');
      await sleep(20);
    }
    await started.stop();
    sandbox.aws.faults.clear();

    const run = await knex('routine_runs')
      .where({ id: res.body.runId })
      .first();
    expect({
      outcome: run.outcome,
      finished: run.finished_at !== null,
    }).toEqual({
      outcome: 'succeeded',
      finished: true,
    });
  });
});
