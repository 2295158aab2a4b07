import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  Sandbox,
  TEST_OWNERSHIP,
  api,
  closeSandbox,
  component,
  startSandboxBackend,
  startTestSandbox,
  capturingNotifications,
} from './__testUtils__/integration';

/*
 * Pipeline stages and input steps end to end: the real backend against the
 * sandbox's Stage View API. A failed build says where; a build paused at
 * `input` is proceeded (with a parameter) or aborted through the portal,
 * audited with the portal user; in a VPC that requires approval the
 * person who started the build may not proceed it.
 */

jest.setTimeout(60_000);

const MAIN = 'DEV/orders/multibranch/main';
const FEATURE = 'DEV/orders/multibranch/feature%2FORD-214';
const ORDERS = component('orders', {
  'batch-jobs.io/jobs': 'orders/multibranch',
});
const ORDERS_REF = 'component:default/orders';
const JOHN = mockCredentials.user.header('user:default/john');

function backend(sandbox: Sandbox, options: { gated?: boolean } = {}) {
  return startSandboxBackend(sandbox, {
    entities: [ORDERS],
    batchJobs: {
      ...(options.gated
        ? {
            vpcs: [
              {
                name: 'DEV',
                jenkins: 'sandbox',
                folder: 'DEV',
                requireApproval: true,
              },
            ],
          }
        : {}),
      ownership: [
        ...TEST_OWNERSHIP,
        { entity: ORDERS_REF, jobs: ['orders/multibranch'] },
      ],
    },
  });
}

describe('pipeline stages and inputs against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await backend(sandbox));
  });

  afterAll(() => closeSandbox(sandbox));

  const jenkinsJob = (fullName: string) => sandbox.world.item(fullName) as any;

  /** Starts a build in Jenkins as `userId` and moves time until it waits at its input. */
  async function buildAtInput(userId = 'admin') {
    // The one waiting (seeded, or left by a test) would block the job.
    const admin = sandbox.world.users.get('admin')!;
    for (const b of jenkinsJob(MAIN).builds) {
      if (sandbox.world.waitsForInput(b))
        sandbox.world.answerInput(b, admin, 'abort');
    }
    sandbox.world.schedule(
      jenkinsJob(MAIN),
      [{ kind: 'user', userId, userName: userId }],
      null,
      0,
    );
    await sandbox.advance(15 * 60_000);
    const build = jenkinsJob(MAIN).builds.at(-1);
    expect(sandbox.world.waitsForInput(build)).toBe(true);
    return build;
  }

  it('shows the stages of a failed build, its parallel branches grouped, and where it failed', async () => {
    const failed = jenkinsJob(FEATURE).builds.findLast(
      (b: any) => b.result === 'FAILURE',
    );
    const res = await api(server).get('/builds/stages', {
      vpc: 'DEV',
      job: FEATURE,
      number: failed.number,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      pipeline: true,
      status: 'failed',
      failedStage: { name: 'Publish', status: 'failed' },
      pendingInputs: [],
    });
    expect(
      res.body.stages.map((s: any) => [
        s.name,
        s.status,
        s.branches?.map((b: any) => b.name),
      ]),
    ).toEqual([
      ['Build', 'success', undefined],
      ['Test', 'success', ['unit', 'integration']],
      ['Publish', 'failed', undefined],
    ]);

    const log = await api(server).get('/builds/stages/log', {
      vpc: 'DEV',
      job: FEATURE,
      number: failed.number,
      stage: res.body.failedStage.id,
    });
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ name: 'Publish', status: 'failed' });
    expect(log.body.text).toContain('script returned exit code 1');
  });

  it('keeps freestyle builds without stages', async () => {
    const job = 'DEV/report-builder/daily-report';
    const number = jenkinsJob(job).builds.at(-1).number;
    const res = await api(server).get('/builds/stages', {
      vpc: 'DEV',
      job,
      number,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ pipeline: false, stages: [] });
  });

  it.each([
    [{ number: 'x' }, /number/],
    [{ number: 1, stage: '../5' }, /flow node id/],
  ])('refuses a bad stages query %j', async (query, message) => {
    const path = 'stage' in query ? '/builds/stages/log' : '/builds/stages';
    const res = await api(server).get(path, {
      vpc: 'DEV',
      job: MAIN,
      ...query,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('shows a build waiting for input on the job row, then proceeds it with a parameter, audited as the portal user', async () => {
    const build = await buildAtInput();
    const jobs = await api(server).get('/entity/default/component/orders/jobs');
    const row = jobs.body.vpcs
      .find((v: any) => v.vpc === 'DEV')
      .jobs.find((j: any) => j.fullName === MAIN);
    expect(row.lastBuild).toMatchObject({
      number: build.number,
      waitingForInput: 'Deploy orders to DEV?',
    });

    const stages = await api(server).get('/builds/stages', {
      vpc: 'DEV',
      job: MAIN,
      number: build.number,
    });
    expect(stages.body.status).toBe('paused_pending_input');
    expect(stages.body.pendingInputs).toEqual([
      {
        id: 'Deploy',
        message: 'Deploy orders to DEV?',
        proceedText: 'Deploy',
        parameters: [
          {
            name: 'STRATEGY',
            type: 'choice',
            description: 'How the release rolls out',
            default: 'rolling',
            choices: ['rolling', 'blue-green'],
          },
        ],
      },
    ]);

    const bad = await api(server).post('/builds/input', {
      vpc: 'DEV',
      job: MAIN,
      number: build.number,
      inputId: 'Deploy',
      action: 'proceed',
      parameters: { STRATEGY: 'big-bang' },
      entityRef: ORDERS_REF,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/one of rolling, blue-green/);

    const res = await api(server).post('/builds/input', {
      vpc: 'DEV',
      job: MAIN,
      number: build.number,
      inputId: 'Deploy',
      action: 'proceed',
      parameters: { STRATEGY: 'blue-green' },
      entityRef: ORDERS_REF,
    });
    expect(res.status).toBe(200);
    expect(build.inputDecision).toMatchObject({
      kind: 'proceed',
      values: [{ name: 'STRATEGY', value: 'blue-green' }],
    });

    const audit = await api(server).get('/audit', { entityRef: ORDERS_REF });
    expect(audit.body.items[0]).toMatchObject({
      id: res.body.auditId,
      actor: 'user:default/jane',
      action: 'input.proceed',
      outcome: 'succeeded',
      parameters: { STRATEGY: 'blue-green' },
    });

    // Answered: a second answer finds nothing to answer.
    const again = await api(server).post('/builds/input', {
      vpc: 'DEV',
      job: MAIN,
      number: build.number,
      inputId: 'Deploy',
      action: 'abort',
      entityRef: ORDERS_REF,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/not waiting for input 'Deploy'/);
  });

  it('aborts a build at its input, audited as the portal user', async () => {
    const build = await buildAtInput();
    const res = await api(server).post('/builds/input', {
      vpc: 'DEV',
      job: MAIN,
      number: build.number,
      inputId: 'Deploy',
      action: 'abort',
      entityRef: ORDERS_REF,
    });
    expect(res.status).toBe(200);
    expect(build.result).toBe('ABORTED');
    const audit = await api(server).get('/audit', { entityRef: ORDERS_REF });
    expect(audit.body.items[0]).toMatchObject({
      actor: 'user:default/jane',
      action: 'input.abort',
      outcome: 'succeeded',
      target: `${MAIN}#${build.number}`,
    });
  });

  it("notifies the entity's owners once when a build starts waiting for input", async () => {
    const sent: any[] = [];
    const scheduler = mockServices.scheduler() as any;
    await startSandboxBackend(sandbox, {
      entities: [ORDERS],
      batchJobs: {
        alerts: { timezone: 'UTC', events: ['failure'] },
        ownership: [
          ...TEST_OWNERSHIP,
          { entity: ORDERS_REF, jobs: ['orders/multibranch'] },
        ],
      },
      features: [
        scheduler.factory({ skipTaskRunOnStartup: true }),
        capturingNotifications(sent),
      ],
    });
    const tick = () => scheduler.triggerTask('batch-jobs-build-alerts');
    const build = await buildAtInput();
    await tick();
    await tick();
    const notices = sent.filter(n => n.payload.topic === 'batch-jobs.inputs');
    expect(notices).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: ['group:default/team-payments'],
        },
        payload: expect.objectContaining({
          title: `Waiting for input: main #${build.number}`,
          description: expect.stringContaining('Deploy orders to DEV?'),
          severity: 'high',
        }),
      },
    ]);
    expect(notices[0].payload.link).toContain(`build=${build.number}`);
    // Out of the way of the next build of the job.
    sandbox.world.answerInput(
      build,
      sandbox.world.users.get('admin')!,
      'abort',
    );
  });

  it('refuses the input to a user without batch-jobs.input.submit', async () => {
    const { server: denied } = await startSandboxBackend(sandbox, {
      entities: [ORDERS],
      permission: AuthorizeResult.DENY,
      batchJobs: {
        ownership: [
          ...TEST_OWNERSHIP,
          { entity: ORDERS_REF, jobs: ['orders/multibranch'] },
        ],
      },
    });
    const build = await buildAtInput();
    const res = await api(denied).post('/builds/input', {
      vpc: 'DEV',
      job: MAIN,
      number: build.number,
      inputId: 'Deploy',
      action: 'abort',
      entityRef: ORDERS_REF,
    });
    expect(res.status).toBe(403);
    expect(build.inputDecision).toBeUndefined();
    sandbox.world.answerInput(
      build,
      sandbox.world.users.get('admin')!,
      'abort',
    );
  });

  describe('in a VPC that requires approval', () => {
    let gated: any;

    beforeAll(async () => {
      ({ server: gated } = await backend(sandbox, { gated: true }));
    });

    it('knows the starter of a portal run from its audit row, though Jenkins saw the service account', async () => {
      const admin = sandbox.world.users.get('admin')!;
      for (const b of jenkinsJob(MAIN).builds) {
        if (sandbox.world.waitsForInput(b))
          sandbox.world.answerInput(b, admin, 'abort');
      }
      // A run in a gated VPC: Jane asks, John approves, Jane executes.
      const held = await api(gated).post(
        '/jobs/run',
        { vpc: 'DEV', job: MAIN, parameters: {}, entityRef: ORDERS_REF },
        'gated-run-main',
      );
      expect(held.status).toBe(202);
      const id = held.body.requestId;
      expect(
        (await api(gated, JOHN).post(`/approvals/${id}/approve`)).status,
      ).toBe(200);
      const done = await api(gated).post(`/approvals/${id}/execute`);
      expect(done.status).toBe(200);
      await sandbox.advance(15 * 60_000);
      const build = jenkinsJob(MAIN).builds.at(-1);
      expect(build.queueId).toBe(done.body.result.queueItemId);
      expect(build.causes).toEqual([
        expect.objectContaining({ userId: 'admin' }),
      ]);
      expect(sandbox.world.waitsForInput(build)).toBe(true);

      const answer = (auth?: string) =>
        api(gated, auth).post('/builds/input', {
          vpc: 'DEV',
          job: MAIN,
          number: build.number,
          inputId: 'Deploy',
          action: 'proceed',
          entityRef: ORDERS_REF,
        });
      const refused = await answer();
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/may not proceed/);
      expect((await answer(JOHN)).status).toBe(200);
    });

    it('refuses the input to the person who started the build, and lets another proceed', async () => {
      const build = await buildAtInput('jane');
      const answer = (auth?: string) =>
        api(gated, auth).post('/builds/input', {
          vpc: 'DEV',
          job: MAIN,
          number: build.number,
          inputId: 'Deploy',
          action: 'proceed',
          entityRef: ORDERS_REF,
        });
      const refused = await answer();
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(
        /user:default\/jane started .* and may not proceed/,
      );
      expect(build.inputDecision).toBeUndefined();

      const proceeded = await answer(JOHN);
      expect(proceeded.status).toBe(200);
      expect(build.inputDecision).toMatchObject({
        kind: 'proceed',
        values: [{ name: 'STRATEGY', value: 'rolling' }],
      });
    });
  });
});
