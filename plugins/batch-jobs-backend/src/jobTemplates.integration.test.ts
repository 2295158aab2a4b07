import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Issue 10's "done when" against the sandbox: the standard template's job
 * created for DEV and STG, listed with its schedule and next runs, its
 * builds on each VPC's agent label; DEV↔STG compared, a schedule change
 * seen as exactly that difference and removed by a promotion; all audited.
 */

jest.setTimeout(120_000);

const JOB = 'payments-settlement/nightly-import';
const MINUTE = 60_000;

const entities = [PAYMENTS_SETTLEMENT];

const spec = {
  folder: 'payments-settlement',
  name: 'nightly-import',
  schedule: 'H/30 * * * *',
  agentType: 'batch',
  parameters: [
    { name: 'RUN_DATE', type: 'string', defaultValue: 'yesterday' },
    { name: 'DRY_RUN', type: 'boolean', defaultValue: true },
  ],
  application: 'payments-batch',
  batchName: 'import-settlements',
  entityRef: 'component:default/payments-settlement',
};

describe('jobs from the standard template against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;
  let denied: any;

  async function backend(permission: AuthorizeResult.ALLOW | AuthorizeResult.DENY) {
    const { server: s } = await startSandboxBackend(sandbox, {
      entities,
      permission,
      // A scheduler mock of its own per backend.
      features: [mockServices.scheduler.mock().factory],
    });
    return s;
  }

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    server = await backend(AuthorizeResult.ALLOW);
    denied = await backend(AuthorizeResult.DENY);
  });

  afterAll(() => closeSandbox(sandbox));

  const post = (path: string, body: unknown, to = server) =>
    api(to).post(path, body);
  const get = (path: string, query: Record<string, string> = {}) =>
    api(server).get(path, query);
  const world = (fullName: string) => sandbox.world.item(fullName) as any;

  it('refuses invalid requests and callers without batch-jobs.job.create', async () => {
    const bad = await post('/jobs/create', {
      ...spec,
      vpcs: ['DEV'],
      name: 'bad:name',
      schedule: '61 * * * *',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('unsafe character');
    expect(bad.body.error.message).toContain('schedule: Invalid schedule');
    const unknown = await post('/jobs/create', { ...spec, vpcs: ['QA'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("Unknown VPC 'QA'");
    const forbidden = await post(
      '/jobs/create',
      { ...spec, vpcs: ['DEV'] },
      denied,
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toContain('batch-jobs.job.create');
    expect(world(`DEV/${JOB}`)).toBeUndefined();
  });

  it('renders without writing on a dry run', async () => {
    const res = await post('/jobs/create', {
      ...spec,
      vpcs: ['DEV', 'STG'],
      dryRun: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.jobs.map((j: any) => [j.fullName, j.action])).toEqual([
      [`DEV/${JOB}`, 'would-create'],
      [`STG/${JOB}`, 'would-create'],
    ]);
    expect(res.body.jobs[1].configXml).toContain(
      'agent { label &apos;STG-batch-agent&apos; }',
    );
    expect(world(`DEV/${JOB}`)).toBeUndefined();
  });

  it('creates the job in DEV and STG; it is listed, fires, runs on each VPC agent label', async () => {
    const res = await post('/jobs/create', { ...spec, vpcs: ['DEV', 'STG'] });
    expect(res.status).toBe(201);
    expect(res.body.jobs.map((j: any) => [j.fullName, j.action])).toEqual([
      [`DEV/${JOB}`, 'created'],
      [`STG/${JOB}`, 'created'],
    ]);
    expect(world(`DEV/${JOB}`).label).toBe('DEV-batch-agent');
    expect(world(`STG/${JOB}`).label).toBe('STG-batch-agent');

    const again = await post('/jobs/create', { ...spec, vpcs: ['STG'] });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(
      `Job already exists: STG/${JOB}`,
    );

    const listed = await get(
      '/entity/default/component/payments-settlement/jobs',
    );
    expect(listed.status).toBe(200);
    for (const vpc of ['DEV', 'STG']) {
      const job = listed.body.vpcs
        .find((v: any) => v.vpc === vpc)
        .jobs.find((j: any) => j.name === 'nightly-import');
      expect(job.schedule.spec).toBe('H/30 * * * *');
      expect(job.parameterized).toBe(true);
      // Next runs are computed from the backend's clock, H resolved for the job.
      const expected = nextRunsOf('H/30 * * * *', {
        jobFullName: `${vpc}/${JOB}`,
        after: new Date(Date.now() - 60_000),
        count: 3,
      }).map(d => d.toISOString());
      expect(expected).toContain(job.schedule.nextRuns[0]);
    }

    await sandbox.advance(35 * MINUTE);
    for (const vpc of ['DEV', 'STG']) {
      const builds = world(`${vpc}/${JOB}`).builds;
      expect(builds.length).toBeGreaterThanOrEqual(1);
      const node = sandbox.world.nodes.find(n => n.name === builds[0].builtOn);
      expect(node?.labels).toEqual([`${vpc}-batch-agent`]);
    }
  });

  it('compares DEV and STG, sees exactly a changed schedule, and promotion removes it', async () => {
    const same = await get('/jobs/compare', {
      vpc: 'DEV',
      job: `DEV/${JOB}`,
      vpcs: 'DEV,STG',
    });
    expect(same.body.job).toBe(JOB);
    expect(same.status).toBe(200);
    expect(same.body.differences).toEqual([]);
    expect(
      same.body.vpcs.map((v: any) => [
        v.vpc,
        v.exists,
        v.definition.agentLabel,
      ]),
    ).toEqual([
      ['DEV', true, 'DEV-batch-agent'],
      ['STG', true, 'STG-batch-agent'],
    ]);

    const stgBuilds = world(`STG/${JOB}`).builds.length;
    const update = await post('/jobs/update', {
      ...spec,
      vpcs: ['DEV'],
      schedule: 'H 4 * * *',
    });
    expect(update.status).toBe(200);
    expect(update.body.jobs[0].action).toBe('updated');

    const diff = await get('/jobs/compare', { job: JOB, vpcs: 'DEV,STG' });
    expect(diff.body.differences).toEqual([
      { field: 'schedule', values: { DEV: 'H 4 * * *', STG: 'H/30 * * * *' } },
    ]);

    const forbidden = await post(
      '/jobs/promote',
      { job: JOB, from: 'DEV', to: 'STG' },
      denied,
    );
    expect(forbidden.status).toBe(403);

    const promoted = await post('/jobs/promote', {
      job: JOB,
      from: 'DEV',
      to: 'STG',
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({
      fullName: `STG/${JOB}`,
      action: 'updated',
      changed: ['schedule'],
    });
    const after = await get('/jobs/compare', { job: JOB, vpcs: 'DEV,STG' });
    expect(after.body.differences).toEqual([]);
    // STG keeps its own label and its history.
    expect(world(`STG/${JOB}`).timerSpec).toBe('H 4 * * *');
    expect(world(`STG/${JOB}`).label).toBe('STG-batch-agent');
    expect(world(`STG/${JOB}`).builds.length).toBe(stgBuilds);

    // Promoting to where the job does not exist creates it there.
    const prod = await post('/jobs/promote', {
      job: JOB,
      from: 'STG',
      to: 'PROD',
    });
    expect(prod.body).toMatchObject({ action: 'created', changed: [] });
    expect(world(`PROD/${JOB}`).label).toBe('PROD-batch-agent');
  });

  it('has every creation, update and promotion in the audit trail', async () => {
    const actions = async (vpc: string) => {
      const res = await get('/audit', { vpc, job: `${vpc}/${JOB}` });
      expect(res.status).toBe(200);
      return res.body.items.map((e: any) => [e.action, e.actor, e.outcome]);
    };
    expect(await actions('DEV')).toEqual([
      ['job.update', 'user:default/jane', 'succeeded'],
      ['job.create', 'user:default/jane', 'succeeded'],
    ]);
    expect(await actions('STG')).toEqual([
      ['job.promote', 'user:default/jane', 'succeeded'],
      ['job.create', 'user:default/jane', 'succeeded'],
    ]);
    expect(await actions('PROD')).toEqual([
      ['job.promote', 'user:default/jane', 'succeeded'],
    ]);
  });
});
