import {
  TestDatabases,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  api as apiOf,
  buildPosts,
  closeSandbox,
  permissionsPerUser,
  sandboxAws,
  startSandboxBackend,
  startTestSandbox,
  capturingNotifications,
} from './__testUtils__/integration';

/*
 * Issue 14, the four-eyes gate with no side doors, through the real
 * backend against the sandbox: in PROD every action that starts, changes or
 * removes something answers 202 with an approval request and starts
 * nothing; approvals are pinned to what was reviewed; only the requester
 * executes, with their own permissions checked again; a crash between
 * approval and the end of execution is settled.
 */

jest.setTimeout(180_000);

const JANE = 'user:default/jane';
const BOB = 'user:default/bob';
/** Loses batch-jobs permissions between her request and its execution. */
const CAROL = 'user:default/carol';
const as = (user: string) => mockCredentials.user.header(user);

const MIGRATE = 'PROD/payments-settlement/migrate-ledger';
const REPORT = 'PROD/payments-settlement/daily-settlement-report';
const SPEC = {
  folder: 'payments-settlement',
  name: 'nightly-import',
  schedule: 'H/30 * * * *',
  agentType: 'batch',
  parameters: [{ name: 'RUN_DATE', type: 'string', defaultValue: 'yesterday' }],
  application: 'payments-batch',
  batchName: 'import-settlements',
};

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('the four-eyes gate in PROD', () => {
  let sandbox: Sandbox;
  let knex: Knex;
  let server: any;
  let scheduler: any;
  const notifications: any[] = [];
  /** Users whose every batch-jobs permission is denied from now on. */
  const revoked = new Set<string>();

  const api = (user = JANE) => apiOf(server, as(user));
  /** Jenkins requests that write something (anything but reads). */
  const writes = (mark: number) =>
    sandbox.requests
      .slice(mark)
      .filter(r => r.method === 'POST' || r.method === 'DELETE')
      .filter(r => !/\/crumbIssuer\//.test(r.path));
  const ec2Writes = (mark: number) =>
    sandbox.aws.requests
      .slice(mark)
      .filter(r => /^(RunInstances|TerminateInstances)$/.test(r.action));
  const approval = async (id: string) =>
    (await api(BOB).get(`/approvals/${id}`)).body;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    knex = await databases.init('SQLITE_3');
    scheduler = mockServices.scheduler() as any;
    const aws = sandboxAws(sandbox);
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER],
      batchJobs: {
        vpcs: [
          { name: 'DEV', jenkins: 'sandbox', folder: 'DEV', aws },
          { name: 'STG', jenkins: 'sandbox', folder: 'STG', aws },
          {
            name: 'PROD',
            jenkins: 'sandbox',
            folder: 'PROD',
            requireApproval: true,
            aws,
          },
        ],
        cache: { ttlSeconds: 0 },
        stop: { escalateAfterSeconds: 1 },
        audit: { staleAfterSeconds: 60 },
        approvals: { notify: ['group:default/approvers'] },
      },
      permissions: permissionsPerUser(user => !revoked.has(user)),
      features: [
        mockServices.database.factory({ knex }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
        capturingNotifications(notifications),
      ],
    }));
  });

  afterAll(async () => {
    await closeSandbox(sandbox);
  });

  describe('without approval, every gated action starts nothing and answers 202', () => {
    const held = (res: any) => {
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        approvalRequired: true,
        approval: { status: 'pending' },
      });
      return res.body.requestId as string;
    };

    it('run: held with the exact values it will run with, defaults included', async () => {
      const mark = sandbox.requests.length;
      const res = await api().post('/jobs/run', {
        vpc: 'PROD',
        job: MIGRATE,
        parameters: { MIGRATION_DATE: '2026-11-01', DRY_RUN: false },
      });
      const id = held(res);
      await sandbox.advance(10_000);
      expect(buildPosts(sandbox, mark)).toBe(0);
      const request = await approval(id);
      expect(request).toMatchObject({
        action: 'job.run',
        requestedBy: JANE,
        entityRef: 'component:default/payments-settlement',
        review: {
          parameters: {
            MIGRATION_DATE: '2026-11-01',
            DRY_RUN: 'false',
            TARGET: 'ledger',
            DB_PASSWORD: null,
          },
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      });
    });

    it('run: a password value is refused, never stored', async () => {
      const mark = sandbox.requests.length;
      const before = (await api(BOB).get('/approvals')).body.items.length;
      const res = await api().post('/jobs/run', {
        vpc: 'PROD',
        job: MIGRATE,
        parameters: { MIGRATION_DATE: '2026-11-01', DB_PASSWORD: 's3cret!' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(
        /PROD needs a second person's approval.*password parameter DB_PASSWORD.*Leave it empty/,
      );
      expect(buildPosts(sandbox, mark)).toBe(0);
      const after = await api(BOB).get('/approvals');
      expect(after.body.items).toHaveLength(before);
      expect(JSON.stringify(after.body)).not.toContain('s3cret!');
    });

    it('rerun: held with the original build’s parameters, read at request time', async () => {
      const job = sandbox.world.item(REPORT) as any;
      const source = job.builds.find((b: any) => b.result !== null);
      const mark = sandbox.requests.length;
      const id = held(
        await api().post('/builds/rerun', {
          vpc: 'PROD',
          job: REPORT,
          number: source.number,
        }),
      );
      await sandbox.advance(10_000);
      expect(buildPosts(sandbox, mark)).toBe(0);
      expect((await approval(id)).review).toMatchObject({
        parameters: {},
        hashOf: `the parameters of ${REPORT} #${source.number}`,
      });
    });

    it('pause and resume: held, the job stays as it is', async () => {
      const job = sandbox.world.item(REPORT) as any;
      const mark = sandbox.requests.length;
      held(
        await api().post('/jobs/disable', {
          vpc: 'PROD',
          job: REPORT,
          reason: 'bank holiday',
        }),
      );
      held(
        await api().post('/jobs/enable', {
          vpc: 'PROD',
          job: REPORT,
          reason: 'back',
        }),
      );
      expect(job.disabled).toBe(false);
      expect(writes(mark)).toEqual([]);
    });

    it('launch and terminate: held, EC2 is not called', async () => {
      const mark = sandbox.aws.requests.length;
      held(
        await api().post('/fleet/agents', {
          vpc: 'PROD',
          type: 'batch',
          reason: 'month end',
        }),
      );
      held(
        await api().del('/fleet/agents/i-0123456789abcdef0-EC2-AGENT', {
          vpc: 'PROD',
          force: 'true',
        }),
      );
      expect(ec2Writes(mark)).toEqual([]);
    });

    it('worker redeploy: held, nothing stopped or started', async () => {
      const mark = sandbox.requests.length;
      const res = await api().post('/vpcs/PROD/workers/redeploy', {});
      held(res);
      expect(writes(mark)).toEqual([]);
    });

    it('create, update and create with update: held with each config.xml and its diff', async () => {
      const mark = sandbox.requests.length;
      // Created in DEV and PROD together: PROD holds the whole write.
      const created = held(
        await api().post('/jobs/create', { ...SPEC, vpcs: ['DEV', 'PROD'] }),
      );
      const request = await approval(created);
      expect(request.action).toBe('job.create');
      expect(request.review.configs.map((c: any) => [c.vpc, c.exists])).toEqual(
        [
          ['DEV', false],
          ['PROD', false],
        ],
      );
      expect(request.review.configs[1].diff).toMatch(
        /^--- \/dev\/null\n\+\+\+ PROD\/payments-settlement\/nightly-import\/config\.xml \(requested\)\n@@ -0,0 \+1,\d+ @@\n\+<\?xml/,
      );
      expect(request.review.configs[1].configXml).toContain('PROD-batch-agent');

      // An existing PROD job, by update and by create with update: true.
      // It is hand-written (no template marker): replacing it needs force.
      const existing = {
        ...SPEC,
        folder: 'payments-settlement',
        name: 'daily-settlement-report',
        vpcs: ['PROD'],
        force: true,
      };
      for (const [path, body] of [
        ['/jobs/update', existing],
        ['/jobs/create', { ...existing, update: true }],
      ] as const) {
        const id = held(await api().post(path, body));
        const review = (await approval(id)).review;
        expect(review.configs[0]).toMatchObject({
          fullName: REPORT,
          exists: true,
        });
        expect(review.configs[0].diff).toMatch(
          new RegExp(`^--- ${REPORT}/config\\.xml \\(now\\)\\n`),
        );
        expect(review.configs[0].diff).toMatch(/\n-.*\n/);
        expect(review.configs[0].diff).toMatch(/\n\+.*H\/30 \* \* \* \*/);
        expect(review.targetHash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(writes(mark)).toEqual([]);
      expect(
        sandbox.world.item('PROD/payments-settlement/nightly-import'),
      ).toBe(undefined);
    });

    it('a write recorded under an entity that does not claim the job is refused', async () => {
      const mark = sandbox.requests.length;
      const res = await api().post('/jobs/update', {
        ...SPEC,
        name: 'daily-settlement-report',
        vpcs: ['PROD'],
        entityRef: 'component:default/push-notifier',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(
        /push-notifier' does not select job 'PROD\/payments-settlement\/daily-settlement-report'/,
      );
      expect(writes(mark)).toEqual([]);
    });

    it('promote: held, PROD is not written', async () => {
      const mark = sandbox.requests.length;
      const id = held(
        await api().post('/jobs/promote', {
          job: 'payments-settlement/settlement-reconcile',
          from: 'DEV',
          to: 'PROD',
        }),
      );
      expect((await approval(id)).review.hashOf).toBe(
        'the source config.xml of DEV/payments-settlement/settlement-reconcile in DEV',
      );
      expect(writes(mark)).toEqual([]);
    });

    it('routine run now: held unless a dry run', async () => {
      const res = await api().post('/routines/orphan-reaper/run', {
        dryRun: false,
      });
      held(res);
      const dry = await api().post('/routines/orphan-reaper/run', {
        dryRun: true,
      });
      expect(dry.status).toBe(202);
      expect(dry.body.runId).toEqual(expect.any(String));
      expect(dry.body.approvalRequired).toBeUndefined();
    });

    it('stop: immediate, audited, and the approvers are told', async () => {
      const before = notifications.length;
      const job = sandbox.world.item(REPORT) as any;
      const finished = job.builds.find((b: any) => b.result !== null);
      const res = await api().post('/builds/stop', {
        vpc: 'PROD',
        job: REPORT,
        number: finished.number,
      });
      expect(res.status).toBe(200);
      expect(res.body.outcome).toBe('already-finished');
      const told = notifications.slice(before);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatchObject({
        recipients: {
          type: 'entity',
          entityRef: ['group:default/approvers'],
          excludeEntityRef: JANE,
        },
        payload: {
          title: `Stopped without approval: ${REPORT}#${finished.number}`,
        },
      });
      const audit = await api().get('/audit', { vpc: 'PROD', job: REPORT });
      expect(
        audit.body.items.find((e: any) => e.action === 'build.stop'),
      ).toMatchObject({ actor: JANE, outcome: 'succeeded' });
    });
  });

  describe('approve, then the requester executes', () => {
    it('refuses self-approval and execution by anyone but the requester', async () => {
      const mark = sandbox.requests.length;
      const { body } = await api().post('/jobs/run', {
        vpc: 'PROD',
        job: MIGRATE,
        parameters: { MIGRATION_DATE: '2026-11-02' },
      });
      const id = body.requestId;
      const self = await api(JANE).post(`/approvals/${id}/approve`);
      expect(self.status).toBe(403);
      expect(self.body.error.message).toMatch(
        /cannot approve your own request/,
      );
      // Not approved yet: even the requester cannot execute.
      const early = await api(JANE).post(`/approvals/${id}/execute`);
      expect(early.status).toBe(409);
      expect(early.body.error.message).toMatch(/another person must approve/);

      const approved = await api(BOB).post(`/approvals/${id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        status: 'approved',
        decidedBy: BOB,
        result: null,
      });
      // Approving starts nothing: the requester runs it.
      expect(buildPosts(sandbox, mark)).toBe(0);
      expect(
        notifications.some(
          n =>
            n.recipients.entityRef.includes(JANE) &&
            n.payload.title === `Approved: run it: Run ${MIGRATE}`,
        ),
      ).toBe(true);

      const other = await api(BOB).post(`/approvals/${id}/execute`);
      expect(other.status).toBe(403);
      expect(other.body.error.message).toMatch(
        new RegExp(`Only ${JANE}, who asked, can execute`),
      );
      expect((await approval(id)).status).toBe('approved');
      expect(buildPosts(sandbox, mark)).toBe(0);

      const done = await api(JANE).post(`/approvals/${id}/execute`);
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({
        status: 'completed',
        result: { state: 'queued', job: MIGRATE },
      });
      expect(buildPosts(sandbox, mark)).toBe(1);
      // Once is all.
      expect((await api(JANE).post(`/approvals/${id}/execute`)).status).toBe(
        409,
      );
      expect(buildPosts(sandbox, mark)).toBe(1);

      // Jenkins got exactly the reviewed values, defaults made explicit.
      await sandbox.advance(10_000);
      const job = sandbox.world.item(MIGRATE) as any;
      const build = job.builds[job.builds.length - 1];
      expect(build.queueId).toBe(done.body.result.queueItemId);
      expect(
        Object.fromEntries(build.params.map((p: any) => [p.name, p.value])),
      ).toMatchObject({
        MIGRATION_DATE: '2026-11-02',
        DRY_RUN: true,
        TARGET: 'ledger',
      });
      const audit = await api().get('/audit', { vpc: 'PROD', job: MIGRATE });
      expect(
        audit.body.items.find((e: any) => e.action === 'job.run'),
      ).toMatchObject({
        actor: JANE,
        outcome: 'succeeded',
        detail: { approvalId: id, approvedBy: BOB },
      });
    });

    it('refuses a promotion whose source changed since the request, and writes nothing', async () => {
      const job = 'payments-settlement/settlement-reconcile';
      const prodBefore = (sandbox.world.item(`PROD/${job}`) as any).timerSpec;
      const { body } = await api().post('/jobs/promote', {
        job,
        from: 'DEV',
        to: 'PROD',
      });
      const id = body.requestId;
      const reviewed = (await approval(id)).review.hash;
      expect((await api(BOB).post(`/approvals/${id}/approve`)).status).toBe(
        200,
      );
      // Someone changes DEV after the request: the change must not land unseen.
      (sandbox.world.item(`DEV/${job}`) as any).timerSpec = 'H 3 * * *';
      const mark = sandbox.requests.length;
      const res = await api(JANE).post(`/approvals/${id}/execute`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(
        new RegExp(
          `The source DEV/${job} in DEV changed since the request \\(hash ${reviewed.slice(
            0,
            12,
          )}…`,
        ),
      );
      expect(await approval(id)).toMatchObject({
        status: 'failed',
        error: res.body.error.message,
      });
      expect(writes(mark)).toEqual([]);
      expect((sandbox.world.item(`PROD/${job}`) as any).timerSpec).toBe(
        prodBefore,
      );
    });

    it('writes exactly the reviewed config.xml of an unchanged promotion', async () => {
      const job = 'payments-settlement/daily-settlement-report';
      (sandbox.world.item(`DEV/${job}`) as any).timerSpec = 'H 5 * * *';
      const { body } = await api().post('/jobs/promote', {
        job,
        from: 'DEV',
        to: 'PROD',
      });
      const id = body.requestId;
      const reviewed = (await approval(id)).review.configs[0];
      expect(reviewed.diff).toMatch(/\n\+.*H 5 \* \* \*/);
      await api(BOB).post(`/approvals/${id}/approve`);
      const res = await api(JANE).post(`/approvals/${id}/execute`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'completed',
        result: { action: 'updated', changed: ['schedule'] },
      });
      expect((sandbox.world.item(`PROD/${job}`) as any).timerSpec).toBe(
        'H 5 * * *',
      );
      const config = await api().get('/audit', { vpc: 'PROD', job: REPORT });
      expect(
        config.body.items.find((e: any) => e.action === 'job.promote'),
      ).toMatchObject({
        actor: JANE,
        outcome: 'succeeded',
        detail: { approvalId: id, approvedBy: BOB },
      });
    });

    it('refuses a requester who lost the permission since the request', async () => {
      const mark = sandbox.aws.requests.length;
      const { body } = await api(CAROL).post('/fleet/agents', {
        vpc: 'PROD',
        type: 'worker',
      });
      const id = body.requestId;
      await api(BOB).post(`/approvals/${id}/approve`);
      revoked.add(CAROL);
      try {
        const res = await api(CAROL).post(`/approvals/${id}/execute`);
        expect(res.status).toBe(403);
        expect(res.body.error.message).toMatch(
          /not allowed to launch agents in VPC 'PROD'/,
        );
      } finally {
        revoked.delete(CAROL);
      }
      expect(await approval(id)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/not allowed to launch agents/),
      });
      expect(ec2Writes(mark)).toEqual([]);
    });
  });

  describe('a crash between approval and the end of execution', () => {
    const settle = () =>
      scheduler.triggerTask('batch-jobs-settle-interrupted-actions');
    /** What a replica that died mid-execution leaves: `executing`, long ago. */
    const crashedWhileExecuting = (id: string) =>
      knex('approval_requests')
        .where({ id })
        .update({
          status: 'executing',
          executed_at: new Date(Date.now() - 3600_000),
          result: null,
        });

    it('fails a request whose action never started, saying nothing was done', async () => {
      const mark = sandbox.requests.length;
      const { body } = await api().post('/jobs/disable', {
        vpc: 'PROD',
        job: REPORT,
        reason: 'crash test',
      });
      const id = body.requestId;
      await api(BOB).post(`/approvals/${id}/approve`);
      await crashedWhileExecuting(id);
      await settle();
      expect(await approval(id)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^interrupted: .*nothing was done/),
      });
      expect(writes(mark)).toEqual([]);
    });

    it('completes a request whose action’s audit row succeeded', async () => {
      const { body } = await api().post('/jobs/enable', {
        vpc: 'PROD',
        job: REPORT,
        reason: 'crash test',
      });
      const id = body.requestId;
      await api(BOB).post(`/approvals/${id}/approve`);
      const executed = await api(JANE).post(`/approvals/${id}/execute`);
      expect(executed.body.status).toBe('completed');
      // The action ran, then the replica died before recording it.
      await crashedWhileExecuting(id);
      await settle();
      const settled = await approval(id);
      expect(settled).toMatchObject({
        status: 'completed',
        result: {
          auditIds: [executed.body.result.auditId],
          reconciled: expect.stringMatching(/audit trail shows it succeeded/),
        },
      });
    });
  });
});
