import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  fourEyesVpcs,
  sandboxAws,
  sandboxConfig,
  startTestSandbox,
  capturingNotifications,
} from './__testUtils__/integration';
import { batchJobsPlugin } from './plugin';

/*
 * Issue 6 end to end against the sandbox (manual clock), over HTTP:
 * worker redeploy, the four-eyes gate on PROD, and build alerts to a local
 * Slack receiver that must see one message per failing build, even with
 * two backends (a restart, or a second replica) over one database.
 */

jest.setTimeout(180_000);

const JANE = 'user:default/jane';
const BOB = 'user:default/bob';
const as = (user: string) => mockCredentials.user.header(user);

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-settlement',
    namespace: 'default',
    annotations: {
      'batch-jobs.io/jobs': 'payments-settlement',
      'batch-jobs.io/vpcs': 'DEV,PROD',
      'batch-jobs.io/slack-webhook': 'payments',
    },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('operations against the sandbox', () => {
  let sandbox: Sandbox;
  let knex: Knex;
  let receiver: http.Server;
  let hookBase: string;
  const slack: Array<{ path: string; body: any }> = [];
  const notifications: any[] = [];
  const backends: Array<{
    server: any;
    stop: () => Promise<void>;
    scheduler: any;
  }> = [];

  async function startBackend() {
    const scheduler = mockServices.scheduler() as any;
    const backend = await startTestBackend({
      features: [
        batchJobsPlugin,
        mockServices.database.factory({ knex }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: sandboxConfig(sandbox, {
            root: { app: { baseUrl: 'http://portal.test' } },
            batchJobs: {
              vpcs: fourEyesVpcs({
                alerts: { slackWebhookUrl: `${hookBase}/prod` },
                aws: sandboxAws(sandbox),
              }),
              stop: { escalateAfterSeconds: 1 },
              workers: { startTimeoutSeconds: 30 },
              alerts: {
                timezone: 'Europe/Paris',
                slackWebhooks: { payments: `${hookBase}/payments` },
                maxAttempts: 3,
              },
              approvals: { notify: ['group:default/approvers'] },
            },
          }),
        }),
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.permissions.factory(),
        capturingNotifications(notifications),
      ],
    });
    const started = {
      server: backend.server,
      stop: () => backend.stop(),
      scheduler,
    };
    backends.push(started);
    return started;
  }

  const api = (server: any, user = JANE) => apiOf(server, as(user));

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        slack.push({ path: req.url ?? '', body: JSON.parse(body) });
        res.end('ok');
      });
    });
    await new Promise<void>(r => receiver.listen(0, '127.0.0.1', r));
    hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    sandbox = await startTestSandbox();
    knex = await databases.init('SQLITE_3');
  });

  afterAll(async () => {
    for (const b of backends) await b.stop().catch(() => undefined);
    await closeSandbox(sandbox);
    await new Promise(r => receiver?.close(r));
  });

  /** Polls an operation, moving sandbox time so queued builds can start. */
  async function untilDone(server: any, id: string) {
    const end = Date.now() + 60_000;
    for (;;) {
      const res = await api(server).get(`/operations/${id}`);
      expect(res.status).toBe(200);
      if (res.body.state !== 'running') return res.body;
      if (Date.now() > end)
        throw new Error(`operation still running: ${JSON.stringify(res.body)}`);
      await sandbox.advance(1000);
      await new Promise(r => setTimeout(r, 100));
    }
  }

  it('redeploys the STG workers with their parameters and per-job results', async () => {
    const { server } = await startBackend();
    const job = sandbox.world.item('STG/push-notifier/STG-worker') as any;
    const before = job.builds[job.builds.length - 1];
    expect(before.result).toBeNull();

    const workers = await api(server).get('/vpcs/STG/workers');
    expect(workers.status).toBe(200);
    expect(workers.body).toMatchObject({
      vpc: 'STG',
      pattern: 'STG-worker*',
      requireApproval: false,
      jobs: [
        {
          fullName: 'STG/push-notifier/STG-worker',
          runningBuild: before.number,
        },
      ],
    });

    const started = await api(server).post('/vpcs/STG/workers/redeploy', {});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      kind: 'workers.redeploy',
      state: 'running',
      vpc: 'STG',
    });

    const done = await untilDone(server, started.body.id);
    expect(done.state).toBe('succeeded');
    expect(done.jobs).toHaveLength(1);
    const [result] = done.jobs;
    expect(result).toMatchObject({
      job: 'STG/push-notifier/STG-worker',
      state: 'succeeded',
      stoppedBuild: before.number,
      newBuild: before.number + 1,
      parameters: { ENV: 'STG' },
      error: null,
    });
    expect(result.steps.map((s: any) => s.message).join('\n')).toMatch(
      /Stopping build[\s\S]*ended \(ABORTED\)[\s\S]*Queued with ENV=STG[\s\S]*started/,
    );

    // Jenkins side: the old build really ended, the new one runs with ENV=STG.
    expect(before.result).toBe('ABORTED');
    const after = job.builds[job.builds.length - 1];
    expect(after.number).toBe(before.number + 1);
    expect(after.params).toEqual([
      { type: 'string', name: 'ENV', value: 'STG' },
    ]);
    expect(after.result).toBeNull();

    // Asking for a job that is no worker is refused before anything happens.
    const wrong = await api(server).post('/vpcs/STG/workers/redeploy', {
      jobs: ['STG/push-notifier/push-dispatch'],
    });
    expect(wrong.status).toBe(400);
  });

  it('holds a PROD rerun until another person approves it and the requester executes it, and audits all', async () => {
    const { server } = backends[0];
    const jobName = 'PROD/payments-settlement/daily-settlement-report';
    const builds = await api(server).get('/builds', {
      vpc: 'PROD',
      job: jobName,
      limit: 5,
    });
    const source = builds.body.items.find((b: any) => !b.building);
    const job = sandbox.world.item(jobName) as any;
    const buildsBefore = job.builds.length;
    const triggers = () =>
      sandbox.requests.filter(
        r =>
          r.method === 'POST' &&
          r.path.includes('daily-settlement-report/build'),
      ).length;
    const triggersBefore = triggers();

    const held = await api(server).post('/builds/rerun', {
      vpc: 'PROD',
      job: jobName,
      number: source.number,
      entityRef: 'component:default/payments-settlement',
    });
    expect(held.status).toBe(202);
    expect(held.body).toMatchObject({
      approvalRequired: true,
      approval: { status: 'pending' },
    });
    const id = held.body.requestId;
    expect(held.body.approval.id).toBe(id);
    await sandbox.advance(10_000);
    expect(triggers()).toBe(triggersBefore);

    const pending = await api(server, BOB).get('/approvals', {
      status: 'pending',
    });
    expect(pending.body.items.map((a: any) => a.id)).toContain(id);
    expect(
      notifications.some(n => n.payload.title.startsWith('Approval needed')),
    ).toBe(true);

    // Four eyes: the requester cannot approve.
    const self = await api(server, JANE).post(`/approvals/${id}/approve`);
    expect(self.status).toBe(403);
    expect(triggers()).toBe(triggersBefore);

    const approved = await api(server, BOB).post(`/approvals/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'approved',
      requestedBy: JANE,
      decidedBy: BOB,
      result: null,
    });
    // Approval starts nothing: the requester executes it with her own rights.
    expect(triggers()).toBe(triggersBefore);
    // Deciding twice is a conflict.
    expect(
      (await api(server, 'user:default/eve').post(`/approvals/${id}/approve`))
        .status,
    ).toBe(409);
    const executed = await api(server, JANE).post(`/approvals/${id}/execute`);
    expect(executed.status).toBe(200);
    expect(executed.body).toMatchObject({
      status: 'completed',
      requestedBy: JANE,
      decidedBy: BOB,
      result: { state: 'queued', job: jobName },
    });
    expect(triggers()).toBe(triggersBefore + 1);

    await sandbox.advance(10_000);
    expect(job.builds.length).toBe(buildsBefore + 1);

    const audit = await api(server).get('/audit', {
      entityRef: 'component:default/payments-settlement',
      vpc: 'PROD',
    });
    const rerun = audit.body.items.find((e: any) => e.action === 'build.rerun');
    expect(rerun).toMatchObject({
      actor: JANE,
      outcome: 'succeeded',
      detail: { approvedBy: BOB, approvalId: id },
    });
    const approval = audit.body.items.find(
      (e: any) => e.action === 'approval.approve',
    );
    expect(approval).toMatchObject({
      actor: BOB,
      detail: { requestedBy: JANE },
    });
    expect(
      audit.body.items.find((e: any) => e.action === 'approval.execute'),
    ).toMatchObject({
      actor: JANE,
      outcome: 'succeeded',
      detail: { approvalId: id, approvedBy: BOB },
    });
    expect(
      audit.body.items.some(
        (e: any) => e.action === 'approval.request' && e.actor === JANE,
      ),
    ).toBe(true);

    // A rejected request never acts.
    const second = await api(server).post('/fleet/agents', {
      vpc: 'PROD',
      type: 'batch',
      reason: 'more',
    });
    expect(second.status).toBe(202);
    expect(second.body.approvalRequired).toBe(true);
    const rejected = await api(server, BOB).post(
      `/approvals/${second.body.requestId}/reject`,
      {
        reason: 'not now',
      },
    );
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      reason: 'not now',
      decidedBy: BOB,
    });
    expect(
      sandbox.aws.requests.filter(r => r.action === 'RunInstances'),
    ).toHaveLength(0);
  });

  it('sends exactly one Slack message per failing build, across a restart and two replicas', async () => {
    const first = backends[0];
    const jobName = 'DEV/payments-settlement/daily-settlement-report';
    const tick = (b: { scheduler: any }) =>
      b.scheduler.triggerTask('batch-jobs-build-alerts');

    // First look: remembers where each job is; reports nothing old.
    await tick(first);
    expect(slack.filter(m => m.path === '/payments')).toHaveLength(0);
    const job = sandbox.world.item(jobName) as any;
    const source = job.builds.filter((b: any) => b.result !== null).pop();

    const rerun = await api(first.server).post('/builds/rerun', {
      vpc: 'DEV',
      job: jobName,
      number: source.number,
      entityRef: 'component:default/payments-settlement',
    });
    expect(rerun.status).toBe(202);
    expect(rerun.body.queueItemId).toBeGreaterThan(0);
    await sandbox.advance(6_000);
    const build = job.builds[job.builds.length - 1];
    expect(build.queueId).toBe(rerun.body.queueItemId);
    // The sandbox decides outcomes from its seed: make this one fail.
    build.plannedResult = 'FAILURE';
    await sandbox.advance(
      Number.isFinite(build.workMs) ? build.workMs + 1000 : 60_000,
    );
    expect(build.result).toBe('FAILURE');

    const second = await startBackend();
    // Both replicas look at once, then again, then the first one stops and a restarted one looks.
    await Promise.all([tick(first), tick(second)]);
    await Promise.all([tick(first), tick(second)]);
    await first.stop();
    const third = await startBackend();
    await tick(third);

    const mine = slack.filter(
      m =>
        m.path === '/payments' &&
        m.body.text.includes(`${jobName} #${build.number}`),
    );
    expect(mine).toHaveLength(1);
    const [message] = mine;
    expect(message.body.blocks[0].text.text).toBe('Failure Batch (DEV)');
    const fields = message.body.blocks[1].fields.map((f: any) => f.text);
    expect(fields).toEqual([
      '*App Name:*\npayments-settlement',
      `*Job Name:*\ndaily-settlement-report #${build.number}`,
      expect.stringMatching(/^\*When:\*\n2026-11-02 \d\d:\d\d:\d\d CET$/),
      `*Build Cause:*\nRerun by ${JANE} in the portal`,
    ]);
    const buttons = message.body.blocks[2].elements.map((e: any) => e.url);
    expect(buttons[0]).toMatch(
      /^http:\/\/portal\.test\/catalog\/default\/component\/payments-settlement\/batch-jobs\?/,
    );
    expect(buttons[1]).toBe(
      `${sandbox.jenkinsUrl}/job/DEV/job/payments-settlement/job/daily-settlement-report/${build.number}/`,
    );

    // No event anywhere was reported twice.
    const texts = slack.map(m => `${m.path} ${m.body.text}`);
    expect(new Set(texts).size).toBe(texts.length);
    // The owner got a Backstage notification too.
    expect(
      notifications.filter(
        n =>
          n.payload.title.includes(
            `daily-settlement-report #${build.number}`,
          ) && n.recipients.entityRef.includes('group:default/team-payments'),
      ),
    ).toHaveLength(1);
  });
});
