import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  JANE,
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  api,
  buildPosts as buildPostsSince,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The backend against the real sandbox (a simulated Jenkins) on a random
 * port with a manual clock: what a user sees, end to end over HTTP.
 */

jest.setTimeout(120_000);

const MIGRATE = 'DEV/payments-settlement/migrate-ledger';

const entities = [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER];

describe('batch-jobs backend against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;
  let deniedServer: any;

  async function backend(
    permission: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
    secret?: string,
  ) {
    const { server: s } = await startSandboxBackend(sandbox, {
      jenkins: { apiToken: secret ?? sandbox.credentials.apiToken },
      entities,
      permission,
    });
    return s;
  }

  beforeAll(async () => {
    sandbox = await startTestSandbox({
      // Longer histories than the demo's, so paging must go past the newest 100.
      buildsPerJob: [110, 130],
    });
    server = await backend(AuthorizeResult.ALLOW);
    deniedServer = await backend(AuthorizeResult.DENY);
  });

  afterAll(() => closeSandbox(sandbox));

  const get = (path: string, query: Record<string, unknown> = {}) =>
    api(server).get(path, query);

  const buildPosts = () => buildPostsSince(sandbox);

  it("lists the entity's jobs per VPC with schedules and last builds", async () => {
    const res = await get('/entity/default/component/payments-settlement/jobs');
    expect(res.status).toBe(200);
    expect(res.body.vpcs.map((v: any) => v.vpc)).toEqual([
      'DEV',
      'STG',
      'PROD',
    ]);
    for (const vpc of res.body.vpcs) {
      expect(vpc.error).toBeUndefined();
      const jobs = Object.fromEntries(vpc.jobs.map((j: any) => [j.name, j]));
      expect(Object.keys(jobs).sort()).toEqual([
        'daily-settlement-report',
        'migrate-ledger',
        'settlement-reconcile',
      ]);
      expect(jobs['daily-settlement-report'].schedule.spec).toBe('H 2 * * *');
      expect(jobs['settlement-reconcile'].schedule.spec).toBe('H/30 * * * *');
      expect(jobs['migrate-ledger']).toMatchObject({
        fullName: `${vpc.vpc}/payments-settlement/migrate-ledger`,
        kind: 'pipeline',
        parameterized: true,
        schedule: { spec: null },
      });
      expect(jobs['daily-settlement-report'].lastBuild).toMatchObject({
        number: expect.any(Number),
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(
        jobs['daily-settlement-report'].lastBuild.causes.length,
      ).toBeGreaterThan(0);
    }

    const push = await get('/entity/default/component/push-notifier/jobs');
    expect(push.body.vpcs.map((v: any) => v.vpc)).toEqual(['DEV', 'STG']);
    const devJobs = push.body.vpcs[0].jobs.map((j: any) => j.name);
    expect(devJobs).toContain('DEV-worker');
    const worker = push.body.vpcs[0].jobs.find(
      (j: any) => j.name === 'DEV-worker',
    );
    expect(worker.lastBuild).toMatchObject({
      building: true,
      status: 'running',
      result: null,
    });
    expect(worker.lastBuild.durationMs).toBeGreaterThan(0);
  });

  it('pages through every build of a job, past the newest 100', async () => {
    // Builds keep arriving while a user pages.
    await sandbox.advance(30 * 60 * 1000);
    const job = 'DEV/push-notifier/push-dispatch';
    const numbers: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get('/builds', {
        vpc: 'DEV',
        job,
        limit: 40,
        ...(cursor ? { cursor } : {}),
      });
      expect(res.status).toBe(200);
      numbers.push(...res.body.items.map((b: any) => b.number));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(numbers.length).toBeGreaterThan(100);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect([...numbers].sort((a, b) => b - a)).toEqual(numbers);
    const firstHundred = await get('/builds', { vpc: 'DEV', job, limit: 100 });
    expect(numbers.slice(0, 100)).toEqual(
      firstHundred.body.items.map((b: any) => b.number),
    );
  });

  it('reads a log from an offset with X-Text-Size and X-More-Data', async () => {
    const page = await get('/builds', { vpc: 'DEV', job: MIGRATE, limit: 1 });
    const number = page.body.items[0].number;
    const full = await get('/builds/log', {
      vpc: 'DEV',
      job: MIGRATE,
      number,
      start: 0,
    });
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toMatch(/^text\/plain/);
    const size = Number(full.headers['x-text-size']);
    expect(size).toBe(Buffer.byteLength(full.text));
    expect(size).toBeGreaterThan(20);
    const half = Math.floor(size / 2);
    const rest = await get('/builds/log', {
      vpc: 'DEV',
      job: MIGRATE,
      number,
      start: half,
    });
    expect(rest.text).toBe(Buffer.from(full.text).subarray(half).toString());
    expect(rest.headers['x-text-size']).toBe(String(size));

    const worker = await get('/entity/default/component/push-notifier/jobs');
    const running = worker.body.vpcs[0].jobs.find(
      (j: any) => j.name === 'DEV-worker',
    ).lastBuild;
    const live = await get('/builds/log', {
      vpc: 'DEV',
      job: 'DEV/push-notifier/DEV-worker',
      number: running.number,
    });
    expect(live.headers['x-more-data']).toBe('true');
  });

  it('reruns a failed build with its parameters; the audit names the user and the build', async () => {
    const page = await get('/builds', { vpc: 'DEV', job: MIGRATE, limit: 100 });
    const failed = page.body.items.find((b: any) => b.status === 'failure');
    expect(failed).toBeDefined();
    const before = buildPosts();

    const res = await request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .set('Idempotency-Key', 'rerun-1')
      .send({ vpc: 'DEV', job: MIGRATE, number: failed.number });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      vpc: 'DEV',
      job: MIGRATE,
      state: 'queued',
    });
    expect(buildPosts()).toBe(before + 1);

    // The same click again starts nothing and answers the same.
    const again = await request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .set('Idempotency-Key', 'rerun-1')
      .send({ vpc: 'DEV', job: MIGRATE, number: failed.number });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(res.body);
    expect(buildPosts()).toBe(before + 1);

    // Past the quiet period the queue item becomes a build.
    await sandbox.advance(60_000);
    const queue = await get('/queue', { vpc: 'DEV', id: res.body.queueItemId });
    expect(queue.status).toBe(200);
    expect(queue.body.state).toBe('started');
    const newNumber = queue.body.build.number;
    expect(newNumber).toBeGreaterThan(failed.number);

    const after = await get('/builds', { vpc: 'DEV', job: MIGRATE, limit: 5 });
    const rerun = after.body.items.find((b: any) => b.number === newNumber);
    expect(rerun.causes[0]).toMatchObject({
      kind: 'portal',
      actor: 'user:default/jane',
    });
    const visible = (params: any[]) => params.filter(p => !p.secret);
    expect(visible(failed.parameters).map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['MIGRATION_DATE', 'DRY_RUN', 'TARGET']),
    );
    expect(failed.parameters).toContainEqual({
      name: 'DB_PASSWORD',
      value: null,
      secret: true,
    });
    expect(visible(rerun.parameters)).toEqual(visible(failed.parameters));

    const audit = await get('/audit', {
      entityRef: 'component:default/payments-settlement',
    });
    expect(audit.body.items[0]).toMatchObject({
      id: res.body.auditId,
      actor: 'user:default/jane',
      action: 'build.rerun',
      target: `${MIGRATE}#${failed.number}`,
      outcome: 'succeeded',
      detail: { queueItemId: res.body.queueItemId, buildNumber: newNumber },
    });
  });

  it('fetches a CSRF crumb when Jenkins asks for one (password auth) and retries once', async () => {
    const withPassword = await backend(
      AuthorizeResult.ALLOW,
      sandbox.credentials.password,
    );
    const stgJob = 'STG/payments-settlement/migrate-ledger';
    const page = await get('/builds', { vpc: 'STG', job: stgJob, limit: 1 });
    const number = page.body.items[0].number;
    const start = sandbox.requests.length;
    const res = await request(withPassword)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .send({ vpc: 'STG', job: stgJob, number });
    expect(res.status).toBe(202);
    const job = '/job/STG/job/payments-settlement/job/migrate-ledger';
    expect(
      sandbox.requests
        .slice(start)
        .map(r => `${r.method} ${r.path.split('?')[0]}`)
        .filter(r => /buildWithParameters|crumbIssuer/.test(r)),
    ).toEqual([
      `POST ${job}/buildWithParameters`,
      'GET /crumbIssuer/api/json',
      `POST ${job}/buildWithParameters`,
    ]);
  });

  it('forbids a denied rerun and starts nothing', async () => {
    const before = buildPosts();
    const res = await request(deniedServer)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .send({ vpc: 'DEV', job: MIGRATE, number: 1 });
    expect(res.status).toBe(403);
    expect(buildPosts()).toBe(before);
  });

  it('rejects bad inputs with a message', async () => {
    const bad = await get('/builds', {
      vpc: 'DEV',
      job: 'DEV/../PROD/payments-settlement/migrate-ledger',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/not allowed/);
    const missing = await get('/builds', {
      vpc: 'DEV',
      job: 'DEV/payments-settlement/nope',
    });
    expect(missing.status).toBe(404);
  });

  it('answers 503 naming the instance when Jenkins is down', async () => {
    await sandbox.close();
    const res = await get('/builds', { vpc: 'DEV', job: MIGRATE });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain(
      `Jenkins 'sandbox' at ${sandbox.jenkinsUrl} is unreachable`,
    );
  });
});
