import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import request from 'supertest';
import {
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  buildPosts as buildPostsSince,
  closeSandbox,
  recordedApi,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The "done when", end to end against the sandbox (a simulated
 * Jenkins, manual clock): run with parameters, stop (with escalation),
 * pause/resume with a silent timer, and a password that never comes back.
 */

jest.setTimeout(120_000);

const MIGRATE = 'DEV/payments-settlement/migrate-ledger';
const RECONCILE = 'DEV/payments-settlement/settlement-reconcile';
const DEV_WORKER = 'DEV/push-notifier/DEV-worker';
const STG_WORKER = 'STG/push-notifier/STG-worker';
const PASSWORD = 'hunter2-never-shown';

const entities = [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER];

describe('operator controls against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;
  let denied: any;
  const scheduler = mockServices.scheduler.mock();
  /** Every response body, to prove the password never comes back. */
  const seen: string[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const backend = async (
      permission: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
      features: any[] = [],
    ) =>
      (
        await startSandboxBackend(sandbox, {
          batchJobs: { stop: { escalateAfterSeconds: 0.3 } },
          entities,
          permission,
          features,
        })
      ).server;
    server = await backend(AuthorizeResult.ALLOW, [scheduler.factory]);
    denied = await backend(AuthorizeResult.DENY);
  });

  afterAll(() => closeSandbox(sandbox));

  const remember = (res: request.Response) => {
    seen.push(res.text ?? '');
  };
  const get = (path: string, query: Record<string, unknown> = {}) =>
    recordedApi(server, remember).get(path, query);
  const post = (
    path: string,
    body: unknown,
    headers: { 'Idempotency-Key'?: string } = {},
    to = server,
  ) => recordedApi(to, remember).post(path, body, headers['Idempotency-Key']);
  const buildPosts = () => buildPostsSince(sandbox);
  const jenkinsJob = (fullName: string) => sandbox.world.item(fullName) as any;
  const jobsOf = async (entity: string, vpc: string) => {
    const res = await get(`/entity/default/component/${entity}/jobs`);
    expect(res.status).toBe(200);
    return Object.fromEntries(
      res.body.vpcs
        .find((v: any) => v.vpc === vpc)
        .jobs.map((j: any) => [j.fullName, j]),
    );
  };

  it('describes the parameters for the form, and pre-fills from a build without the password', async () => {
    const res = await get('/jobs/parameters', { vpc: 'DEV', job: MIGRATE });
    expect(res.status).toBe(200);
    expect(res.body.definitions).toEqual([
      expect.objectContaining({
        name: 'MIGRATION_DATE',
        type: 'string',
        default: '',
      }),
      expect.objectContaining({
        name: 'DRY_RUN',
        type: 'boolean',
        default: true,
      }),
      expect.objectContaining({
        name: 'TARGET',
        type: 'choice',
        choices: ['ledger', 'archive'],
        default: 'ledger',
      }),
      expect.objectContaining({ name: 'DB_PASSWORD', type: 'password' }),
    ]);
    expect(res.body.definitions[3]).not.toHaveProperty('default');

    const last = jenkinsJob(MIGRATE).builds.at(-1);
    const prefill = await get('/jobs/parameters', {
      vpc: 'DEV',
      job: MIGRATE,
      fromBuild: last.number,
    });
    expect(prefill.body.fromBuild).toBe(last.number);
    expect(Object.keys(prefill.body.values).sort()).toEqual([
      'DRY_RUN',
      'MIGRATION_DATE',
      'TARGET',
    ]);
    expect(prefill.body.values.MIGRATION_DATE).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  it('runs the migration for a new date: the build has exactly the parameters entered', async () => {
    const res = await post(
      '/jobs/run',
      {
        vpc: 'DEV',
        job: MIGRATE,
        entityRef: 'component:default/payments-settlement',
        parameters: {
          MIGRATION_DATE: '2026-11-05',
          DRY_RUN: false,
          TARGET: 'archive',
          DB_PASSWORD: PASSWORD,
        },
      },
      { 'Idempotency-Key': 'run-migrate-1' },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      vpc: 'DEV',
      job: MIGRATE,
      state: 'queued',
      queueItemId: expect.any(Number),
    });

    // The same key again: the first answer, no second build.
    const posts = buildPosts();
    const again = await post(
      '/jobs/run',
      {
        vpc: 'DEV',
        job: MIGRATE,
        entityRef: 'component:default/payments-settlement',
        parameters: {
          MIGRATION_DATE: '2026-11-05',
          DRY_RUN: false,
          TARGET: 'archive',
          DB_PASSWORD: PASSWORD,
        },
      },
      { 'Idempotency-Key': 'run-migrate-1' },
    );
    expect(again.body).toEqual(res.body);
    expect(buildPosts()).toBe(posts);

    await sandbox.advance(6000);
    const queue = await get('/queue', { vpc: 'DEV', id: res.body.queueItemId });
    expect(queue.body.state).toBe('started');
    const number = queue.body.build.number;

    const builds = await get('/builds', { vpc: 'DEV', job: MIGRATE, limit: 1 });
    expect(builds.body.items[0]).toMatchObject({
      number,
      parameters: [
        { name: 'MIGRATION_DATE', value: '2026-11-05' },
        { name: 'DRY_RUN', value: false },
        { name: 'TARGET', value: 'archive' },
        { name: 'DB_PASSWORD', value: null, secret: true },
      ],
    });
    expect(builds.body.items[0].causes[0]).toMatchObject({
      kind: 'portal',
      actor: 'user:default/jane',
    });
    // Jenkins got the password (the build runs with it), nobody else did.
    const jenkinsBuild = jenkinsJob(MIGRATE).builds.find(
      (b: any) => b.number === number,
    );
    expect(
      jenkinsBuild.params.find((p: any) => p.name === 'DB_PASSWORD').value,
    ).toBe(PASSWORD);

    const audit = await get('/audit', {
      entityRef: 'component:default/payments-settlement',
      job: MIGRATE,
      vpc: 'DEV',
    });
    const row = audit.body.items.find((i: any) => i.id === res.body.auditId);
    expect(row).toMatchObject({
      action: 'job.run',
      actor: 'user:default/jane',
      outcome: 'succeeded',
      parameters: {
        MIGRATION_DATE: '2026-11-05',
        DRY_RUN: false,
        TARGET: 'archive',
        DB_PASSWORD: '••••',
      },
      detail: { queueItemId: res.body.queueItemId, buildNumber: number },
    });
  });

  it('checks the values before sending: each problem names its parameter, nothing starts', async () => {
    const posts = buildPosts();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ MIGRATION_DATE: '2026-11-05', NOPE: 'x' }, /unknown parameter 'NOPE'/],
      [
        { MIGRATION_DATE: '2026-11-05', TARGET: 'moon' },
        /parameter 'TARGET' must be one of 'ledger', 'archive'/,
      ],
      [
        { MIGRATION_DATE: '2026-11-05', DRY_RUN: 'maybe' },
        /parameter 'DRY_RUN' must be true or false/,
      ],
      [{ DRY_RUN: true }, /parameter 'MIGRATION_DATE' is required/],
    ];
    for (const [parameters, message] of cases) {
      const res = await post('/jobs/run', {
        vpc: 'DEV',
        job: MIGRATE,
        parameters,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect(buildPosts()).toBe(posts);
  });

  it('runs a job without parameters with build, and forbids a denied run', async () => {
    const res = await post('/jobs/run', {
      vpc: 'DEV',
      job: RECONCILE,
      parameters: {},
    });
    expect(res.status).toBe(202);
    expect(sandbox.requests.at(-1)?.path).toMatch(
      /settlement-reconcile\/build$/,
    );
    // Cancel it again (it is waiting in the quiet period): a queued item is cancelled, not stopped.
    const stop = await post('/builds/stop', {
      vpc: 'DEV',
      job: RECONCILE,
      queueItemId: res.body.queueItemId,
    });
    expect(stop.status).toBe(200);
    expect(stop.body).toMatchObject({
      outcome: 'cancelled',
      methods: ['cancelItem'],
    });
    const queue = await get('/queue', { vpc: 'DEV', id: res.body.queueItemId });
    expect(queue.body.state).toBe('cancelled');

    const posts = buildPosts();
    const forbidden = await post(
      '/jobs/run',
      { vpc: 'DEV', job: RECONCILE, parameters: {} },
      {},
      denied,
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toContain('batch-jobs.job.run');
    expect(buildPosts()).toBe(posts);
  });

  it('stops a running build: it ends as ABORTED', async () => {
    const running = jenkinsJob(DEV_WORKER).builds.at(-1);
    expect(running.result).toBeNull();
    const res = await post('/builds/stop', {
      vpc: 'DEV',
      job: DEV_WORKER,
      number: running.number,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'stopped',
      result: 'ABORTED',
      methods: ['stop'],
    });
    const builds = await get('/builds', {
      vpc: 'DEV',
      job: DEV_WORKER,
      limit: 1,
    });
    expect(builds.body.items[0]).toMatchObject({
      number: running.number,
      status: 'aborted',
      building: false,
    });

    const again = await post('/builds/stop', {
      vpc: 'DEV',
      job: DEV_WORKER,
      number: running.number,
    });
    expect(again.body).toMatchObject({
      outcome: 'already-finished',
      methods: [],
    });
  });

  it('escalates to term and kill when the build ignores stop', async () => {
    const running = jenkinsJob(STG_WORKER).builds.at(-1);
    sandbox.world.makeStubborn(running, 'term');
    const res = await post('/builds/stop', {
      vpc: 'STG',
      job: STG_WORKER,
      number: running.number,
      entityRef: 'component:default/push-notifier',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      outcome: 'stopped',
      result: 'ABORTED',
      methods: ['stop', 'term', 'kill'],
    });
    const audit = await get('/audit', {
      entityRef: 'component:default/push-notifier',
      job: STG_WORKER,
      vpc: 'STG',
    });
    expect(audit.body.items[0]).toMatchObject({
      action: 'build.stop',
      outcome: 'succeeded',
      target: `${STG_WORKER}#${running.number}`,
      detail: { methods: ['stop', 'term', 'kill'], result: 'ABORTED' },
    });
  });

  it('pauses a job: Jenkins shows it disabled, its timer stays silent, the portal says who and why; resume restores it', async () => {
    const res = await post('/jobs/disable', {
      vpc: 'DEV',
      job: RECONCILE,
      reason: 'DB migration',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      paused: true,
      pause: { by: 'user:default/jane', reason: 'DB migration' },
    });
    expect(jenkinsJob(RECONCILE).disabled).toBe(true);

    const jobs = await jobsOf('payments-settlement', 'DEV');
    expect(jobs[RECONCILE]).toMatchObject({
      color: 'disabled',
      buildable: false,
      pause: {
        by: 'user:default/jane',
        reason: 'DB migration',
        at: expect.any(String),
      },
    });
    expect(jobs[MIGRATE].pause).toBeUndefined();

    // Across two of its timer times, nothing starts.
    const now = sandbox.world.now();
    const runs = nextRunsOf('H/30 * * * *', {
      jobFullName: RECONCILE,
      after: new Date(now),
      count: 3,
      timezone: 'UTC',
    }).map(d => d.getTime());
    const before = jenkinsJob(RECONCILE).nextBuildNumber;
    await sandbox.advance(runs[1] - now + 1000);
    expect(jenkinsJob(RECONCILE).nextBuildNumber).toBe(before);

    const resumed = await post('/jobs/enable', {
      vpc: 'DEV',
      job: RECONCILE,
      reason: 'migration done',
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false });
    const after = await jobsOf('payments-settlement', 'DEV');
    expect(after[RECONCILE].buildable).toBe(true);
    expect(after[RECONCILE].color).not.toMatch(/^disabled/);
    expect(after[RECONCILE].pause).toBeUndefined();

    await sandbox.advance(runs[2] - (runs[1] + 1000) + 1000);
    const fired = jenkinsJob(RECONCILE).builds.at(-1);
    expect(fired.number).toBe(before);
    expect(fired.timestamp).toBe(runs[2]);
    expect(fired.causes).toEqual([{ kind: 'timer' }]);

    const audit = await get('/audit', { vpc: 'DEV', job: RECONCILE });
    expect(audit.body.items.slice(0, 2)).toMatchObject([
      {
        action: 'job.resume',
        outcome: 'succeeded',
        parameters: { reason: 'migration done' },
        detail: { pausedBy: 'user:default/jane', pauseReason: 'DB migration' },
      },
      {
        action: 'job.pause',
        outcome: 'succeeded',
        parameters: { reason: 'DB migration' },
        entityRef: 'component:default/payments-settlement',
      },
    ]);
  });

  it('resumes a timed pause by itself once its end has come', async () => {
    const until = new Date(Date.now() + 1500).toISOString();
    const res = await post('/jobs/disable', {
      vpc: 'DEV',
      job: MIGRATE,
      reason: 'until lunch',
      until,
    });
    expect(res.status).toBe(200);
    expect(res.body.pause.until).toBe(until);
    const task = scheduler.scheduleTask.mock.calls
      .map(([t]) => t)
      .find(t => t.id === 'batch-jobs-resume-expired-pauses')!;
    expect(task).toMatchObject({ scope: 'global', frequency: { minutes: 1 } });
    const runRoutine = () => task.fn(new AbortController().signal);
    await runRoutine();
    expect(jenkinsJob(MIGRATE).disabled).toBe(true);

    await new Promise(resolve => setTimeout(resolve, 1600));
    await runRoutine();
    expect(jenkinsJob(MIGRATE).disabled).toBe(false);
    const audit = await get('/audit', { vpc: 'DEV', job: MIGRATE, limit: 1 });
    expect(audit.body.items[0]).toMatchObject({
      action: 'job.resume',
      actor: 'plugin:default/batch-jobs',
      outcome: 'succeeded',
      entityRef: 'component:default/payments-settlement',
    });
  });

  it("rejects bad pause requests and refuses a disabled job with Jenkins' reason", async () => {
    expect(
      (
        await post('/jobs/disable', {
          vpc: 'DEV',
          job: RECONCILE,
          reason: '  ',
        })
      ).status,
    ).toBe(400);
    const past = await post('/jobs/disable', {
      vpc: 'DEV',
      job: RECONCILE,
      reason: 'x',
      until: '2001-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toMatch(/until must be in the future/);
    const denial = await post(
      '/jobs/disable',
      { vpc: 'DEV', job: RECONCILE, reason: 'x' },
      {},
      denied,
    );
    expect(denial.status).toBe(403);
    expect(jenkinsJob(RECONCILE).disabled).toBe(false);

    await post('/jobs/disable', {
      vpc: 'DEV',
      job: RECONCILE,
      reason: 'freeze',
    });
    const refused = await post('/jobs/run', {
      vpc: 'DEV',
      job: RECONCILE,
      parameters: {},
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/is not buildable/);
    await post('/jobs/enable', { vpc: 'DEV', job: RECONCILE });
  });

  it('never returns or records the password in clear', async () => {
    const audit = await get('/audit', { vpc: 'DEV', limit: 500 });
    expect(audit.body.items.length).toBeGreaterThan(5);
    for (const text of seen) expect(text).not.toContain(PASSWORD);
  });
});
