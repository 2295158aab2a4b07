import {
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import {
  JANE,
  PAYMENTS_SETTLEMENT,
  Sandbox,
  buildPosts as buildPostsSince,
  captureLogs,
  closeSandbox,
  recordedApi,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';
import { DatabaseAuditStore } from './database/DatabaseAuditStore';
import { DatabaseIdempotencyStore } from './database/DatabaseIdempotencyStore';
import { DatabasePauseStore } from './database/DatabasePauseStore';
import { NewAuditEvent } from './database/types';
import { INTERRUPTED_REASON } from './services/actions/PendingActionReconciler';
import { JenkinsClient, jobPath } from './services/jenkins/JenkinsClient';
import { readCapture } from './testing/captures';

/*
 * The fault suite: the backend against a sandbox whose Jenkins and EC2
 * misbehave on purpose. What must hold: clear errors, retries only for
 * reads, never a double build, no orphan instance, no lost audit row, a 4xx
 * with a message for every bad input, and no secret anywhere.
 */

jest.setTimeout(60_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';
const AWS_SECRET = 'sandbox-aws-SECRET-do-not-leak';

const entities = [PAYMENTS_SETTLEMENT];

/** Every log line of every backend, as text, to search for secrets. */
const {
  lines: logLines,
  logger: capturingLogger,
  features: loggerFeatures,
} = captureLogs();

/** Every response body and header set, to search for secrets. */
const responses: string[] = [];

// At module level: its teardown then runs after startTestBackend's, so no
// backend (scheduler poller, launch follower) outlives the database.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('fault suite: the backend against a misbehaving sandbox', () => {
  let sandbox: Sandbox;
  let knex: Knex;
  let server: any;

  async function backend(
    options: { secret?: string; readRetries?: number; db?: Knex } = {},
  ) {
    return startSandboxBackend(sandbox, {
      jenkins: {
        apiToken: options.secret ?? sandbox.credentials.apiToken,
        timeoutMs: 2000,
        readRetries: options.readRetries ?? 1,
      },
      aws: {
        credentials: {
          accessKeyId: 'AKIASANDBOX',
          secretAccessKey: AWS_SECRET,
        },
      },
      batchJobs: {
        audit: { staleAfterSeconds: 60 },
        fleet: { connectTimeoutSeconds: 2, pollIntervalSeconds: 0.2 },
      },
      entities,
      features: [
        ...loggerFeatures,
        ...(options.db ? [mockServices.database.factory({ knex: options.db })] : []),
      ],
    });
  }

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    knex = await databases.init('SQLITE_3');
    server = (await backend({ db: knex })).server;
  });

  afterEach(() => {
    sandbox.faults.clear();
    sandbox.aws.faults.clear();
  });

  afterAll(() => closeSandbox(sandbox));

  const record = (res: request.Response) => {
    responses.push(`${JSON.stringify(res.headers)} ${res.text ?? ''}`);
    return res;
  };
  const api = (s: any = server) => recordedApi(s, record);

  const since = (mark: number) => sandbox.requests.slice(mark);
  const buildPosts = (mark: number) => buildPostsSince(sandbox, mark);
  const jobOf = (fullName: string) => sandbox.world.item(fullName) as any;
  const buildCount = (fullName: string) => jobOf(fullName).builds.length;
  const lastBuildNumber = async (fullName: string) => {
    const res = await api().get('/builds', {
      vpc: fullName.split('/')[0],
      job: fullName,
      limit: 1,
    });
    expect(res.status).toBe(200);
    return res.body.items[0].number as number;
  };

  describe('clear errors, retries only for reads', () => {
    it('retries a read once after a 5xx and succeeds', async () => {
      sandbox.faults.set({ path: `/job/DEV/**/api/json`, method: 'GET', status: 503, times: 1 });
      const mark = sandbox.requests.length;
      const res = await api().get('/builds', { vpc: 'DEV', job: JOB, limit: 5 });
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(5);
      const reads = since(mark).filter(r => r.path.startsWith('/job/DEV/job/payments-settlement/job/daily-settlement-report/api/json'));
      expect(reads).toHaveLength(2);
    });

    it.each([
      ['a 500', { status: 500 }, /HTTP 500/],
      ["Jenkins' Oops page", { html: 'oops' as const }, /HTTP 500.*A problem occurred/],
      ["a proxy's 502 page", { html: 'proxy-502' as const }, /HTTP 502.*Bad Gateway/],
      ['a connection reset', { reset: true }, /unreachable.*ECONNRESET/],
      ['cut-off JSON', { malformedJson: true }, /invalid JSON|not JSON/],
    ])('answers 503 naming Jenkins and what failed on %s', async (_what, fault, reason) => {
      sandbox.faults.set({ path: '/job/DEV/**', method: 'GET', ...fault });
      const res = await api().get('/builds', { vpc: 'DEV', job: JOB, limit: 5 });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(/Jenkins 'sandbox'/);
      expect(res.body.error.message).toMatch(/daily-settlement-report/);
      expect(res.body.error.message).toMatch(reason);
      // Never the whole HTML page.
      expect(res.body.error.message.length).toBeLessThan(600);
      expect(res.body.error.message).not.toMatch(/<html|<body/i);
    });

    it("shows a failing VPC's error in the entity's job list and the other VPCs' jobs", async () => {
      sandbox.faults.set({ path: '/job/STG/**', method: 'GET', status: 502 });
      const res = await api().get('/entity/default/component/payments-settlement/jobs');
      expect(res.status).toBe(200);
      const byVpc = Object.fromEntries(res.body.vpcs.map((v: any) => [v.vpc, v]));
      expect(byVpc.STG.error).toMatch(/Jenkins 'sandbox'.*HTTP 502/);
      expect(byVpc.DEV.error).toBeUndefined();
      expect(byVpc.DEV.jobs.length).toBeGreaterThan(0);
    });

    it('never retries a rerun POST that failed with a 5xx, and reports it', async () => {
      const number = await lastBuildNumber(JOB);
      const builds = buildCount(JOB);
      sandbox.faults.set({ path: '/job/**/build', method: 'POST', status: 503, times: 1 });
      const mark = sandbox.requests.length;
      const res = await api().post('/builds/rerun', { vpc: 'DEV', job: JOB, number });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(/Jenkins 'sandbox'.*failed on build of job/);
      expect(buildPosts(mark)).toBe(1);
      await sandbox.advance(10_000);
      expect(buildCount(JOB)).toBe(builds);
      const audit = await api().get('/audit', { vpc: 'DEV', job: JOB });
      expect(audit.body.items[0]).toMatchObject({
        action: 'build.rerun',
        outcome: 'failed',
        detail: { error: expect.stringMatching(/HTTP 503/) },
      });
    });

    it('never retries a rerun POST whose connection was reset', async () => {
      const number = await lastBuildNumber(JOB);
      sandbox.faults.set({ path: '/job/**/build', method: 'POST', reset: true, times: 1 });
      const mark = sandbox.requests.length;
      const res = await api().post('/builds/rerun', { vpc: 'DEV', job: JOB, number });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(/Jenkins 'sandbox'.*unreachable/);
      expect(buildPosts(mark)).toBe(1);
    });
  });

  describe('no double build', () => {
    it('starts one build for two concurrent reruns with one Idempotency-Key (a double click)', async () => {
      const number = await lastBuildNumber(JOB);
      // Jenkins is slow: the second click arrives while the first is in flight.
      sandbox.faults.set({ path: '/job/**/build', method: 'POST', latencyMs: 500, times: 1 });
      const mark = sandbox.requests.length;
      const body = { vpc: 'DEV', job: JOB, number };
      const [a, b] = await Promise.all([
        api().post('/builds/rerun', body, 'double-click-1'),
        api().post('/builds/rerun', body, 'double-click-1'),
      ]);
      expect([a.status, b.status].sort()).toEqual([202, 409]);
      expect([a, b].find(r => r.status === 409)!.body.error.message).toMatch(/still in progress/);
      // A retry after the first finished replays its answer.
      const again = await api().post('/builds/rerun', body, 'double-click-1');
      expect(again.status).toBe(202);
      expect(again.body.queueItemId).toBe([a, b].find(r => r.status === 202)!.body.queueItemId);
      expect(buildPosts(mark)).toBe(1);
    });

    it('refetches the crumb once when Jenkins rejects it, and builds once (password auth)', async () => {
      const { server: passwordServer } = await backend({ secret: sandbox.credentials.password });
      const number = await lastBuildNumber(JOB);
      const crumbs = (mark: number) =>
        since(mark).filter(r => r.path.startsWith('/crumbIssuer/api/json')).length;

      // First POST: no crumb yet; Jenkins asks for one.
      let mark = sandbox.requests.length;
      const first = await api(passwordServer).post('/builds/rerun', { vpc: 'DEV', job: JOB, number });
      expect(first.status).toBe(202);
      expect(crumbs(mark)).toBe(1);
      expect(buildPosts(mark)).toBe(2);

      // The crumb's session expired: one rejection, one refetch, one build.
      sandbox.faults.set({ path: '/job/**/build', method: 'POST', crumbExpired: true, times: 1 });
      mark = sandbox.requests.length;
      const builds = buildCount(JOB);
      const second = await api(passwordServer).post('/builds/rerun', { vpc: 'DEV', job: JOB, number });
      expect(second.status).toBe(202);
      expect(crumbs(mark)).toBe(1);
      expect(buildPosts(mark)).toBe(2);
      await sandbox.advance(10_000);
      expect(buildCount(JOB)).toBe(builds + 1);

      // Rejected even with a fresh crumb: a clear error, no loop.
      sandbox.faults.set({ path: '/job/**/build', method: 'POST', crumbExpired: true, times: 2 });
      mark = sandbox.requests.length;
      const third = await api(passwordServer).post('/builds/rerun', { vpc: 'DEV', job: JOB, number });
      expect(third.status).toBe(502);
      expect(third.body.error.message).toMatch(/even with a fresh CSRF crumb/);
      expect(buildPosts(mark)).toBe(2);
    });
  });

  describe('no orphan instance after a launch failure', () => {
    it('leaves every instance it started terminated or connected as an agent', async () => {
      const before = new Set(sandbox.aws.instances.keys());
      const launch = (vpc: string) => api().post('/fleet/agents', { vpc, type: 'batch' });

      sandbox.aws.faults.set({ action: 'RunInstances', error: 'InsufficientInstanceCapacity', times: 1 });
      const capacity = await launch('PROD');
      expect(capacity.status).toBe(503);
      expect(capacity.body.error.message).toMatch(/capacity/i);

      sandbox.aws.faults.set({ action: 'RunInstances', error: 'RequestLimitExceeded', times: 1 });
      const throttled = await launch('PROD');
      expect(throttled.status).toBeGreaterThanOrEqual(500);
      expect(throttled.body.error.message).toMatch(/AWS EC2/);

      sandbox.aws.faults.set({ action: 'RunInstances', agentNeverConnects: true, times: 1 });
      const neverConnects = await launch('DEV');
      expect(neverConnects.status).toBe(202);

      // Jenkins fails to create the node and the agent never connects.
      sandbox.aws.faults.set({ action: 'RunInstances', agentNeverConnects: true, times: 1 });
      sandbox.faults.set({ path: '/computer/doCreateItem', method: 'POST', status: 500, times: 1 });
      const noNode = await launch('STG');
      expect(noNode.status).toBe(202);

      // EC2 answers slowly.
      sandbox.aws.faults.set({ action: 'RunInstances', latencyMs: 1500, times: 1 });
      const slow = await launch('DEV');
      expect(slow.status).toBe(202);

      // Past the connect timeout; the poller rolls back what never connected.
      const ids = [neverConnects, noNode, slow].map(r => r.body.id);
      const end = Date.now() + 20_000;
      for (;;) {
        await sandbox.advance(5_000);
        const states = await Promise.all(ids.map(id => api().get(`/fleet/operations/${id}`)));
        if (states.every(s => s.body.state !== 'running') || Date.now() > end) break;
        await new Promise(r => setTimeout(r, 250));
      }
      await sandbox.advance(60_000);

      const started = [...sandbox.aws.instances.values()].filter(i => !before.has(i.instanceId));
      expect(started).toHaveLength(3);
      for (const instance of started) {
        const node = sandbox.world.node(`${instance.instanceId}-EC2-AGENT`);
        const connected = instance.state === 'running' && node && !node.offline;
        const gone = ['shutting-down', 'terminated'].includes(instance.state);
        expect({ id: instance.instanceId, ok: Boolean(connected || gone) }).toEqual({
          id: instance.instanceId,
          ok: true,
        });
      }
      const audit = await api().get('/audit', { vpc: 'DEV', limit: 20 });
      expect(audit.body.items.filter((e: any) => e.action === 'agent.launch' && e.outcome === 'pending')).toEqual([]);
    });
  });

  describe('restarts', () => {
    it('keeps the audit row of a rerun in flight when the backend stops', async () => {
      const first = await backend({ db: knex });
      const number = await lastBuildNumber(JOB);
      const known = new Set(
        (await api().get('/audit', { vpc: 'DEV', job: JOB, limit: 500 })).body.items.map((e: any) => e.id),
      );
      const mark = sandbox.requests.length;
      // Jenkins takes its time to accept the build: the backend stops meanwhile.
      sandbox.faults.set({ path: '/job/**/build', method: 'POST', latencyMs: 1500, times: 1 });
      const inFlight = api(first.server)
        .post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, 'restart-1')
        .then(
          res => ({ status: res.status }),
          error => ({ error: String(error) }),
        );
      const end = Date.now() + 5000;
      while (buildPosts(mark) === 0 && Date.now() < end) {
        await new Promise(r => setTimeout(r, 20));
      }
      expect(buildPosts(mark)).toBe(1);
      const stopStarted = Date.now();
      await first.stop();
      const stopMs = Date.now() - stopStarted;
      const answer = await inFlight;

      // Backstage's stop drains requests in flight: the rerun finished and was recorded.
      expect(answer).toEqual({ status: 202 });
      expect(stopMs).toBeGreaterThan(500);

      const second = await backend({ db: knex });
      const audit = await api(second.server).get('/audit', { vpc: 'DEV', job: JOB, limit: 500 });
      const rows = audit.body.items.filter((e: any) => !known.has(e.id));
      expect(rows).toEqual([
        expect.objectContaining({
          action: 'build.rerun',
          outcome: 'succeeded',
          detail: expect.objectContaining({ queueItemId: expect.any(Number) }),
        }),
      ]);
      // The same key on the new backend replays the answer and starts nothing.
      const retry = await api(second.server).post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, 'restart-1');
      expect(retry.status).toBe(202);
      expect(retry.body.auditId).toBe(rows[0].id);
      expect(buildPosts(mark)).toBe(1);
      await second.stop();
    });

    /** What a crash leaves: a `pending` rerun row and its key claimed and linked, written `at`. */
    async function crashedRerun(at: number, key: string, number: number, job = JOB) {
      const audit = DatabaseAuditStore.create({ db: knex, now: () => new Date(at) });
      const keys = DatabaseIdempotencyStore.create({ db: knex, now: () => new Date(at) });
      const hash = require('node:crypto')
        .createHash('sha256')
        .update(JSON.stringify(['DEV', job, number, null]))
        .digest('hex');
      expect(await keys.claim('user:default/jane', key, hash)).toEqual({ state: 'new' });
      const id = await audit.create({
        actor: 'user:default/jane',
        action: 'build.rerun',
        entityRef: 'component:default/payments-settlement',
        vpc: 'DEV',
        job,
        target: `${job}#${number}`,
        parameters: {},
        detail: { jenkins: 'sandbox', sourceBuild: number },
      });
      await keys.attach('user:default/jane', key, id);
      return id;
    }
    async function settled(s: any, id: string, job = JOB) {
      const end = Date.now() + 10_000;
      for (;;) {
        const res = await api(s).get('/audit', { vpc: 'DEV', job, limit: 500 });
        const row = res.body.items.find((e: any) => e.id === id);
        if (row?.outcome !== 'pending' || Date.now() > end) return row;
        await new Promise(r => setTimeout(r, 200));
      }
    }

    it('settles a rerun a crash cut off before Jenkins answered: failed "interrupted", key released', async () => {
      const number = await lastBuildNumber(JOB);
      // The crash happened ten minutes ago, in a backend that never stopped.
      const id = await crashedRerun(Date.now() - 600_000, 'crash-1', number);
      const before = await api().post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, 'crash-1');
      expect(before.status).toBe(409);

      const fresh = await backend({ db: knex });
      const row = await settled(fresh.server, id);
      expect(row).toEqual(
        expect.objectContaining({
          outcome: 'failed',
          finishedAt: expect.any(String),
          detail: expect.objectContaining({ error: INTERRUPTED_REASON, interrupted: true }),
        }),
      );
      // The key no longer blocks: a retry is a new attempt, and Jenkins gets one build.
      const mark = sandbox.requests.length;
      const retry = await api(fresh.server).post('/builds/rerun', { vpc: 'DEV', job: JOB, number }, 'crash-1');
      expect(retry.status).toBe(202);
      expect(retry.body.auditId).not.toBe(id);
      expect(buildPosts(mark)).toBe(1);
      await fresh.stop();
    });

    it('settles a rerun whose build Jenkins did start before the crash: succeeded with that build, key replays it', async () => {
      // Parameters of their own: Jenkins folds a request into an identical queued item.
      const job = 'DEV/payments-settlement/migrate-ledger';
      const number = await lastBuildNumber(job);
      // Jenkins accepted the POST (as the portal's user); the backend died before the answer.
      const res = await fetch(
        `${sandbox.jenkinsUrl}/job/DEV/job/payments-settlement/job/migrate-ledger/buildWithParameters?MIGRATION_DATE=crash-2`,
        {
          method: 'POST',
          headers: {
            Authorization: `Basic ${Buffer.from(`${sandbox.credentials.username}:${sandbox.credentials.apiToken}`).toString('base64')}`,
          },
        },
      );
      expect(res.status).toBe(201);
      const queueId = Number(/\/queue\/item\/(\d+)/.exec(res.headers.get('location') ?? '')![1]);
      await sandbox.advance(60_000);
      const started = jobOf(job).builds.find((b: any) => b.queueId === queueId);
      expect(started).toBeDefined();
      const id = await crashedRerun(started.timestamp - 1000, 'crash-2', number, job);

      const fresh = await backend({ db: knex });
      const row = await settled(fresh.server, id, job);
      expect(row).toEqual(
        expect.objectContaining({
          outcome: 'succeeded',
          detail: expect.objectContaining({
            queueItemId: queueId,
            buildNumber: started.number,
            reconciled: expect.stringContaining('after a backend restart'),
          }),
        }),
      );
      // The same key now replays that answer and starts nothing.
      const mark = sandbox.requests.length;
      const retry = await api(fresh.server).post('/builds/rerun', { vpc: 'DEV', job, number }, 'crash-2');
      expect(retry.status).toBe(202);
      expect(retry.body).toEqual(
        expect.objectContaining({ auditId: id, queueItemId: queueId, state: 'queued' }),
      );
      expect(buildPosts(mark)).toBe(0);
      await fresh.stop();
    });

    /** A POST to Jenkins as the portal's user: what the crashed action had sent. */
    const jenkinsPost = (path: string) =>
      fetch(`${sandbox.jenkinsUrl}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          Authorization: `Basic ${Buffer.from(
            `${sandbox.credentials.username}:${sandbox.credentials.apiToken}`,
          ).toString('base64')}`,
        },
      });
    const queueIdOf = (res: Response) =>
      Number(/\/queue\/item\/(\d+)/.exec(res.headers.get('location') ?? '')![1]);

    /** What a crash leaves of any action: its `pending` row, written `minutesAgo`. */
    async function crashed(
      minutesAgo: number,
      event: Pick<NewAuditEvent, 'action' | 'target'> & Partial<NewAuditEvent>,
    ) {
      const at = new Date(Date.now() - minutesAgo * 60_000);
      return DatabaseAuditStore.create({ db: knex, now: () => at }).create({
        actor: 'user:default/jane',
        entityRef: 'component:default/payments-settlement',
        vpc: 'DEV',
        job: null,
        parameters: {},
        ...event,
      });
    }
    /** The row once a fresh backend's first pass settled it. */
    async function settledRow(id: string) {
      const fresh = await backend({ db: knex });
      try {
        const audit = DatabaseAuditStore.create({ db: knex });
        const end = Date.now() + 10_000;
        for (;;) {
          const row = await audit.get(id);
          if (row?.outcome !== 'pending' || Date.now() > end) return row;
          await new Promise(r => setTimeout(r, 100));
        }
      } finally {
        await fresh.stop();
      }
    }
    /** A fresh backend's pass that could not settle the row: it stays pending. */
    async function unsettledRow(id: string) {
      const fresh = await backend({ db: knex });
      try {
        const line = `Could not settle interrupted`;
        const end = Date.now() + 10_000;
        while (
          !logLines.some(l => l.includes(line) && l.includes(id)) &&
          Date.now() < end
        ) {
          await new Promise(r => setTimeout(r, 100));
        }
        return await DatabaseAuditStore.create({ db: knex }).get(id);
      } finally {
        await fresh.stop();
      }
    }

    it('settles a rerun whose item still waits in the Jenkins queue: succeeded with that item, key replays it', async () => {
      const job = 'DEV/payments-settlement/migrate-ledger';
      const number = await lastBuildNumber(job);
      // Jenkins queued it (as the portal's user); the backend died before the answer.
      const res = await jenkinsPost(`${jobPath(job)}/buildWithParameters?MIGRATION_DATE=crash-3`);
      expect(res.status).toBe(201);
      const queueId = queueIdOf(res);
      // No time passes in the sandbox: the item waits out its quiet period, no build yet.
      const item = sandbox.world.queueItem(queueId)!;
      expect(item.state).toBe('waiting');
      expect(jobOf(job).builds.some((b: any) => b.queueId === queueId)).toBe(false);

      // The queue listing names who queued each item, in the shape real Jenkins answers.
      const client = JenkinsClient.fromConfig(
        {
          name: 'sandbox',
          baseUrl: sandbox.jenkinsUrl,
          username: sandbox.credentials.username,
          apiToken: sandbox.credentials.apiToken,
          crumb: true,
          timeoutMs: 2000,
          readRetries: 0,
          timezone: 'UTC',
        },
        { logger: capturingLogger() },
      );
      const listed = (await client.listQueue({ causes: true })).items!.find(i => i.id === queueId)!;
      const causes = listed.actions!.flatMap(a => a?.causes ?? []);
      const real = JSON.parse(readCapture('queue-list/jenkins-rest__queue.json')).items[0];
      const realCause = real.actions.flatMap((a: any) => a.causes ?? [])[0];
      expect(causes).toEqual([
        expect.objectContaining({ userId: sandbox.credentials.username }),
      ]);
      expect(Object.keys(causes[0])).toEqual(expect.arrayContaining(Object.keys(realCause)));
      expect(listed.inQueueSince).toBe(item.inQueueSince);

      const id = await crashedRerun(item.inQueueSince - 1000, 'crash-3', number, job);
      const fresh = await backend({ db: knex });
      const row = await settled(fresh.server, id, job);
      expect(row).toEqual(
        expect.objectContaining({
          outcome: 'succeeded',
          detail: expect.objectContaining({
            queueItemId: queueId,
            reconciled: expect.stringContaining("waiting in Jenkins' queue"),
          }),
        }),
      );
      expect(row.detail.buildNumber).toBeUndefined();
      // The same key replays the queued answer and starts nothing.
      const mark = sandbox.requests.length;
      const retry = await api(fresh.server).post('/builds/rerun', { vpc: 'DEV', job, number }, 'crash-3');
      expect(retry.status).toBe(202);
      expect(retry.body).toEqual(
        expect.objectContaining({ auditId: id, queueItemId: queueId, state: 'queued' }),
      );
      expect(buildPosts(mark)).toBe(0);
      await fresh.stop();
      expect((await jenkinsPost(`/queue/cancelItem?id=${queueId}`)).status).toBeLessThan(400);
    });

    it('settles a stop from the build: failed "interrupted" while it runs, succeeded with its result once it ended; waits while Jenkins is down', async () => {
      const job = 'DEV/push-notifier/DEV-worker';
      const build = jobOf(job).builds.at(-1);
      expect(build.result).toBeNull();
      const stop = {
        action: 'build.stop',
        job,
        target: `${job}#${build.number}`,
        detail: { jenkins: 'sandbox', number: build.number },
      };

      // Jenkins does not answer: the row waits for the next pass.
      sandbox.faults.set({ path: '/job/DEV/job/push-notifier/**', method: 'GET', status: 503 });
      const early = await crashed(10, stop);
      expect(await unsettledRow(early)).toMatchObject({ outcome: 'pending' });
      sandbox.faults.clear();

      // The crash came before Jenkins got the stop: the build runs on.
      expect(await settledRow(early)).toMatchObject({
        outcome: 'failed',
        detail: {
          error: `${INTERRUPTED_REASON}; build #${build.number} is still running in Jenkins`,
          interrupted: true,
          number: build.number,
        },
      });

      // A stop younger than three escalation delays (+1 min) may still be escalating: left alone.
      const young = await crashed(2, stop);
      // Settled after it in the same pass (oldest first): a rerun only one minute stale.
      const marker = await crashed(1.5, {
        action: 'build.rerun',
        job: JOB,
        target: `${JOB}#1`,
        detail: { jenkins: 'sandbox' },
      });
      expect(await settledRow(marker)).toMatchObject({ outcome: 'failed' });
      expect(await DatabaseAuditStore.create({ db: knex }).get(young)).toMatchObject({ outcome: 'pending' });

      // The crash came after Jenkins took the stop.
      expect((await jenkinsPost(`${jobPath(job)}/${build.number}/stop`)).status).toBeLessThan(400);
      const late = await crashed(9, stop);
      expect(await settledRow(late)).toMatchObject({
        outcome: 'succeeded',
        detail: {
          outcome: 'stopped',
          buildNumber: build.number,
          result: 'ABORTED',
          reconciled: expect.stringContaining('after a backend restart'),
        },
      });
    });

    it('settles a stop of a queued item: failed "interrupted" while it waits, succeeded once cancelled', async () => {
      const job = 'DEV/payments-settlement/settlement-reconcile';
      const res = await jenkinsPost(`${jobPath(job)}/build`);
      expect(res.status).toBe(201);
      const queueId = queueIdOf(res);
      const stop = {
        action: 'build.stop',
        job,
        target: `${job} queue item ${queueId}`,
        detail: { jenkins: 'sandbox', queueItemId: queueId },
      };
      expect(await settledRow(await crashed(10, stop))).toMatchObject({
        outcome: 'failed',
        detail: { error: `${INTERRUPTED_REASON}; queue item ${queueId} still waits in Jenkins' queue` },
      });

      expect((await jenkinsPost(`/queue/cancelItem?id=${queueId}`)).status).toBeLessThan(400);
      const row = await settledRow(await crashed(9, stop));
      expect(row).toMatchObject({ outcome: 'succeeded', detail: { outcome: 'cancelled' } });
      // A stop row never claims the queue item: it stays the run's, not the stop's.
      expect(row!.queueItemId).toBeNull();
    });

    it('settles a pause and a resume from the job in Jenkins, and keeps the pause record in step', async () => {
      const job = 'DEV/payments-settlement/settlement-reconcile';
      const pauses = DatabasePauseStore.create({ db: knex });
      const pause = {
        action: 'job.pause',
        job,
        target: job,
        parameters: { reason: 'bank holiday', until: '2027-01-04T00:00:00.000Z' },
        detail: { jenkins: 'sandbox' },
      };
      const listedPause = async () => {
        const res = await api().get('/entity/default/component/payments-settlement/jobs');
        expect(res.status).toBe(200);
        const dev = res.body.vpcs.find((v: any) => v.vpc === 'DEV');
        return dev.jobs.find((j: any) => j.fullName === job).pause;
      };

      // The crash came before Jenkins disabled it.
      expect(await settledRow(await crashed(10, pause))).toMatchObject({
        outcome: 'failed',
        detail: { error: `${INTERRUPTED_REASON}; Jenkins still shows job '${job}' enabled` },
      });
      expect(await pauses.get('DEV', job)).toBeUndefined();

      // Jenkins disabled it; the crash came before the pause was recorded.
      expect((await jenkinsPost(`${jobPath(job)}/disable`)).status).toBeLessThan(400);
      const paused = await crashed(9, pause);
      expect(await settledRow(paused)).toMatchObject({
        outcome: 'succeeded',
        detail: { reconciled: expect.stringContaining('pause recorded') },
      });
      // Who paused it and why show in the jobs list, as after an uninterrupted pause.
      expect(await listedPause()).toEqual({
        by: 'user:default/jane',
        reason: 'bank holiday',
        at: (await DatabaseAuditStore.create({ db: knex }).get(paused))!.createdAt,
        until: '2027-01-04T00:00:00.000Z',
      });

      // Jenkins enabled it again; the crash came before the pause record was removed.
      expect((await jenkinsPost(`${jobPath(job)}/enable`)).status).toBeLessThan(400);
      expect(
        await settledRow(
          await crashed(8, { action: 'job.resume', job, target: job, detail: { jenkins: 'sandbox' } }),
        ),
      ).toMatchObject({
        outcome: 'succeeded',
        detail: { reconciled: expect.stringContaining('pause record removed') },
      });
      expect(await pauses.get('DEV', job)).toBeUndefined();
      expect(await listedPause()).toBeUndefined();

      // A later pause is what Jenkins shows now: it says nothing of the crashed one.
      const later = await api().post('/jobs/disable', { vpc: 'DEV', job, reason: 'later pause' });
      expect(later.status).toBe(200);
      const crashedPause = await crashed(7, pause);
      expect(await settledRow(crashedPause)).toMatchObject({
        outcome: 'failed',
        detail: { error: expect.stringContaining('a later job.pause by user:default/jane changed') },
      });
      expect(await pauses.get('DEV', job)).toMatchObject({ reason: 'later pause' });
      expect((await api().post('/jobs/enable', { vpc: 'DEV', job })).status).toBe(200);
    });

    it('settles an agent termination from EC2 and Jenkins: failed while the instance runs, succeeded with the node deleted once it is going', async () => {
      const fleet = await api().get('/fleet', { vpc: 'PROD' });
      expect(fleet.status).toBe(200);
      const agent = fleet.body.vpcs[0].agents.find((a: any) => a.status === 'online' && a.type === 'batch');
      const { node, instanceId } = agent;
      const terminate = {
        action: 'agent.terminate',
        vpc: 'PROD',
        entityRef: null,
        target: node,
        parameters: { force: true, reason: null },
        detail: { instanceId },
      };
      // The crash came after the drain, before TerminateInstances.
      expect(
        (await jenkinsPost(`/computer/${node}/toggleOffline?offlineMessage=Draining`)).status,
      ).toBeLessThan(400);
      // EC2 throttles: the row waits for the next pass.
      sandbox.aws.faults.set({ action: 'DescribeInstances', error: 'RequestLimitExceeded' });
      const early = await crashed(10, terminate);
      expect(await unsettledRow(early)).toMatchObject({ outcome: 'pending' });
      sandbox.aws.faults.clear();

      expect(await settledRow(early)).toMatchObject({
        outcome: 'failed',
        detail: {
          error: `${INTERRUPTED_REASON}; EC2 instance ${instanceId} is still running; node ${node} stays drained (temporarily offline)`,
          interrupted: true,
        },
      });
      expect(sandbox.world.node(node)).toBeDefined();

      // The crash came after TerminateInstances, before the node was deleted.
      sandbox.aws.terminateInstances([instanceId]);
      const row = await settledRow(await crashed(9, terminate));
      expect(row).toMatchObject({
        outcome: 'succeeded',
        detail: { ec2State: 'shutting-down', nodeDeleted: true },
      });
      expect(sandbox.world.node(node)).toBeUndefined();
    });
  });

  describe('bad input', () => {
    const long = 'x'.repeat(10_000);
    const badJobs = ['../../etc/passwd', 'payments-settlement/../secret', 'a%2Fb', 'päyments/💥', long, ''];

    it.each([
      ['unknown VPC', '/builds', { vpc: 'NOPE', job: JOB }],
      ['repeated vpc', '/builds', { vpc: ['DEV', 'STG'], job: JOB }],
      ['limit not a number', '/builds', { vpc: 'DEV', job: JOB, limit: 'abc' }],
      ['limit too large', '/builds', { vpc: 'DEV', job: JOB, limit: 100000 }],
      ['missing job', '/builds', { vpc: 'DEV' }],
      ['10 kB cursor', '/builds', { vpc: 'DEV', job: JOB, cursor: long }],
      ['log of no build number', '/builds/log', { vpc: 'DEV', job: JOB }],
      ['log negative start', '/builds/log', { vpc: 'DEV', job: JOB, number: 1, start: -1 }],
      ['queue id not a number', '/queue', { vpc: 'DEV', id: 'x' }],
      ['audit without filter', '/audit', {}],
      ['audit bad entityRef', '/audit', { entityRef: '::::' }],
      ['audit unknown VPC', '/audit', { vpc: 'NOPE' }],
      ['parameters unknown VPC', '/jobs/parameters', { vpc: 'NOPE', job: JOB }],
      ['fleet unknown VPC', '/fleet', { vpc: 'NOPE' }],
      ['operation id not a uuid', '/fleet/operations/not-a-uuid', {}],
      ['timeline unknown VPC', '/vpcs/NOPE/timeline', {}],
      ['unknown entity', '/entity/default/component/nope/jobs', {}],
    ])('GET: %s → 4xx with a message', async (_what, path, query) => {
      const res = await api().get(path, query);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error.message).toEqual(expect.any(String));
      expect(res.body.error.message.length).toBeGreaterThan(5);
    });

    it.each(badJobs.map(job => [job.slice(0, 40), job]))(
      'every job route refuses the job name %j with a 4xx and a message',
      async (_label, job) => {
        const results = await Promise.all([
          api().get('/builds', { vpc: 'DEV', job }),
          api().get('/builds/log', { vpc: 'DEV', job, number: 1 }),
          api().get('/jobs/parameters', { vpc: 'DEV', job }),
          api().get('/audit', { vpc: 'DEV', job }),
          api().post('/builds/rerun', { vpc: 'DEV', job, number: 1 }),
          api().post('/jobs/run', { vpc: 'DEV', job }),
          api().post('/builds/stop', { vpc: 'DEV', job, number: 1 }),
          api().post('/jobs/disable', { vpc: 'DEV', job, reason: 'x' }),
          api().post('/jobs/enable', { vpc: 'DEV', job }),
        ]);
        const routes = ['GET /builds', 'GET /builds/log', 'GET /jobs/parameters', 'GET /audit', 'POST /builds/rerun', 'POST /jobs/run', 'POST /builds/stop', 'POST /jobs/disable', 'POST /jobs/enable'];
        results.forEach((res, i) => {
          expect({ route: routes[i], status: res.status }).toEqual({
            route: routes[i],
            status: expect.toBeWithin4xx(),
          });
          expect(res.body.error.message).toEqual(expect.any(String));
        });
      },
    );

    it.each([
      ['rerun: number as a string', '/builds/rerun', { vpc: 'DEV', job: JOB, number: '1' }],
      ['rerun: missing number', '/builds/rerun', { vpc: 'DEV', job: JOB }],
      ['rerun: unknown VPC', '/builds/rerun', { vpc: 'NOPE', job: JOB, number: 1 }],
      ['rerun: vpc as an object', '/builds/rerun', { vpc: { a: 1 }, job: JOB, number: 1 }],
      ['rerun: body is an array', '/builds/rerun', [1, 2, 3]],
      ['run: parameters as a string', '/jobs/run', { vpc: 'DEV', job: JOB, parameters: 'x' }],
      ['run: a 10 kB parameter name', '/jobs/run', { vpc: 'DEV', job: 'DEV/payments-settlement/migrate-ledger', parameters: { [long]: 'x' } }],
      ['stop: number negative', '/builds/stop', { vpc: 'DEV', job: JOB, number: -1 }],
      ['pause: 10 kB reason', '/jobs/disable', { vpc: 'DEV', job: JOB, reason: long }],
      ['pause: until not a date', '/jobs/disable', { vpc: 'DEV', job: JOB, reason: 'x', until: 'tomorrow-ish' }],
      ['launch: unknown type', '/fleet/agents', { vpc: 'DEV', type: 'gpu' }],
      ['launch: unknown VPC', '/fleet/agents', { vpc: 'NOPE', type: 'batch' }],
      ['launch: missing type', '/fleet/agents', { vpc: 'DEV' }],
    ])('POST: %s → 4xx with a message', async (_what, path, body) => {
      const res = await api().post(path, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error.message).toEqual(expect.any(String));
    });

    it('answers a malformed JSON body and a bad Idempotency-Key with a 400', async () => {
      const res = record(
        await request(server)
          .post('/api/batch-jobs/builds/rerun')
          .set('Authorization', JANE)
          .set('Content-Type', 'application/json')
          .send('{"vpc": "DEV", '),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toEqual(expect.any(String));
      const key = await api().post('/builds/rerun', { vpc: 'DEV', job: JOB, number: 1 }, 'has spaces in it');
      expect(key.status).toBe(400);
      expect(key.body.error.message).toMatch(/Idempotency-Key/);
    });

    it('answers terminating an unknown node or in an unknown VPC with a 4xx', async () => {
      for (const [node, vpc] of [
        ['no-such-node', 'DEV'],
        ['i-0123-EC2-AGENT', 'NOPE'],
        ['x'.repeat(300), 'DEV'],
      ]) {
        const res = await api().del(`/fleet/agents/${encodeURIComponent(node)}`, { vpc });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.body.error.message).toEqual(expect.any(String));
      }
    });
  });

  describe('secrets', () => {
    it('never shows the Jenkins token, the password or the AWS key in a response or a log line', () => {
      const secrets = [
        sandbox.credentials.apiToken,
        Buffer.from(`admin:${sandbox.credentials.apiToken}`).toString('base64'),
        Buffer.from(`admin:${sandbox.credentials.password}`).toString('base64'),
        AWS_SECRET,
      ];
      expect(responses.length).toBeGreaterThan(50);
      expect(logLines.length).toBeGreaterThan(20);
      for (const secret of secrets) {
        expect(responses.filter(r => r.includes(secret))).toEqual([]);
        expect(logLines.filter(l => l.includes(secret))).toEqual([]);
      }
    });
  });
});

expect.extend({
  toBeWithin4xx(received: number) {
    const pass = received >= 400 && received < 500;
    return {
      pass,
      message: () => `expected ${received} to be a 4xx status`,
    };
  },
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Expect {
      toBeWithin4xx(): any;
    }
  }
}
