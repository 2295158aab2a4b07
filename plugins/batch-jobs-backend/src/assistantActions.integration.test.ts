import { actionsRegistryServiceFactory } from '@backstage/backend-defaults/alpha';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  JANE,
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  api,
  buildPosts,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The actions an AI assistant (MCP) calls, through Backstage's real actions
 * registry and its HTTP endpoint on our plugin, against the sandbox: the
 * same read checks, permission, audit row and actor as the REST routes.
 */

jest.setTimeout(120_000);

const REPORT = 'DEV/payments-settlement/daily-settlement-report';

describe('batch-jobs actions for AI assistants', () => {
  let sandbox: Sandbox;
  let server: any;
  let denied: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const start = (permission: AuthorizeResult.ALLOW | AuthorizeResult.DENY) =>
      startSandboxBackend(sandbox, {
        entities: [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER],
        permission,
        features: [actionsRegistryServiceFactory],
      });
    server = (await start(AuthorizeResult.ALLOW)).server;
    denied = (await start(AuthorizeResult.DENY)).server;
  });

  afterAll(() => closeSandbox(sandbox));

  const invoke = (
    name: string,
    input: object,
    options: { to?: any; auth?: string } = {},
  ) =>
    request(options.to ?? server)
      .post(
        `/api/batch-jobs/.backstage/actions/v1/actions/batch-jobs:${name}/invoke`,
      )
      .set('Authorization', options.auth ?? JANE)
      .send(input);

  const lastFinished = () =>
    (sandbox.world.item(REPORT) as any).builds
      .filter((b: any) => b.result !== null)
      .at(-1);

  it('lists the four actions with their schemas', async () => {
    const res = await request(server)
      .get('/api/batch-jobs/.backstage/actions/v1/actions')
      .set('Authorization', JANE);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(
      res.body.actions.map((a: any) => [a.id, a]),
    );
    expect(Object.keys(byId).sort()).toEqual([
      'batch-jobs:get-batch-build',
      'batch-jobs:get-batch-build-log',
      'batch-jobs:list-batch-jobs',
      'batch-jobs:rerun-batch-build',
    ]);
    expect(byId['batch-jobs:list-batch-jobs'].attributes).toMatchObject({
      readOnly: true,
    });
    expect(byId['batch-jobs:rerun-batch-build'].attributes).toMatchObject({
      readOnly: false,
    });
    expect(byId['batch-jobs:rerun-batch-build'].schema.input.required).toEqual(
      expect.arrayContaining(['vpc', 'job', 'number']),
    );
  });

  it('lists an entity’s jobs per VPC, with schedule, next runs and last result', async () => {
    const res = await invoke('list-batch-jobs', {
      entityRef: 'component:default/payments-settlement',
    });
    expect(res.status).toBe(200);
    const { vpcs } = res.body.output;
    expect(vpcs.map((v: any) => v.vpc)).toEqual(['DEV', 'STG', 'PROD']);
    const report = vpcs[0].jobs.find((j: any) => j.fullName === REPORT);
    expect(report).toMatchObject({
      schedule: expect.any(String),
      paused: false,
      lastBuild: { number: expect.any(Number), result: expect.any(String) },
    });
    expect(report.nextRuns.length).toBeGreaterThan(0);

    const missing = await invoke('list-batch-jobs', {
      entityRef: 'component:default/nobody-knows',
    });
    expect(missing.status).toBe(404);
    const bad = await invoke('list-batch-jobs', { entityRef: '' });
    expect(bad.status).toBe(400);
  });

  it('reads a build and the tail of its log', async () => {
    const last = lastFinished();
    const build = await invoke('get-batch-build', {
      vpc: 'DEV',
      job: REPORT,
      number: last.number,
    });
    expect(build.status).toBe(200);
    expect(build.body.output.build).toMatchObject({
      number: last.number,
      result: last.result,
    });

    const latest = await invoke('get-batch-build', { vpc: 'DEV', job: REPORT });
    expect(latest.body.output.build.number).toBeGreaterThanOrEqual(last.number);

    const log = await invoke('get-batch-build-log', {
      vpc: 'DEV',
      job: REPORT,
      number: last.number,
    });
    expect(log.status).toBe(200);
    expect(log.body.output).toMatchObject({
      truncated: false,
      building: false,
    });
    expect(log.body.output.log).toMatch(
      /Finished: (SUCCESS|FAILURE|UNSTABLE|ABORTED)/,
    );

    const unknown = await invoke('get-batch-build', {
      vpc: 'DEV',
      job: 'DEV/someone-else/secret-job',
      number: 1,
    });
    expect(unknown.status).toBe(404);
  });

  it('reruns as the calling user, audited like the portal button', async () => {
    const last = lastFinished();
    const res = await invoke('rerun-batch-build', {
      vpc: 'DEV',
      job: REPORT,
      number: last.number,
    });
    expect(res.status).toBe(200);
    expect(res.body.output).toMatchObject({
      state: expect.stringMatching(/queued|started/),
      auditId: expect.any(String),
    });
    const audit = await api(server).get('/audit', {
      vpc: 'DEV',
      job: REPORT,
      limit: 5,
    });
    expect(audit.body.items[0]).toMatchObject({
      id: res.body.output.auditId,
      action: 'build.rerun',
      actor: 'user:default/jane',
      target: `${REPORT}#${last.number}`,
    });
  });

  it('refuses a rerun without the permission, and one by a service: Jenkins builds nothing, no audit row', async () => {
    const posts = buildPosts(sandbox);
    const before = (
      await api(server).get('/audit', { vpc: 'DEV', job: REPORT, limit: 50 })
    ).body.items.length;
    const last = lastFinished();
    const refused = await invoke(
      'rerun-batch-build',
      { vpc: 'DEV', job: REPORT, number: last.number },
      { to: denied },
    );
    expect(refused.status).toBe(403);
    const byService = await invoke(
      'rerun-batch-build',
      { vpc: 'DEV', job: REPORT, number: last.number },
      { auth: mockCredentials.service.header() },
    );
    expect(byService.status).toBe(403);
    expect(byService.body.error.message).toMatch(/signed-in user/);
    const after = (
      await api(server).get('/audit', { vpc: 'DEV', job: REPORT, limit: 50 })
    ).body.items.length;
    expect(after).toBe(before);
    expect(buildPosts(sandbox)).toBe(posts);
  });
});
