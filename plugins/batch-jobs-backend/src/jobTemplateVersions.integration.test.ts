import { mockServices } from '@backstage/backend-test-utils';
import { BatchJobSpec } from '@batch-jobs/plugin-batch-jobs-common';
import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
  fourEyesVpcs,
} from './__testUtils__/integration';
import { renderV1ConfigXml } from './__testUtils__/templateV1';

/*
 * Issue 15: jobs created by an older standard template show as outdated in
 * the entity's jobs list (from the config.xml reads cached for schedules),
 * and can be updated to the current template from what their config.xml
 * says, through the approval gate where a VPC requires one.
 */

jest.setTimeout(120_000);

const FOLDER = 'payments-settlement';
const ENTITY = 'component:default/payments-settlement';

const spec: BatchJobSpec = {
  folder: FOLDER,
  name: 'legacy-import',
  schedule: 'H 3 * * *',
  agentType: 'batch',
  parameters: [
    { name: 'RUN_DATE', type: 'string', defaultValue: 'yesterday' },
    { name: 'DRY_RUN', type: 'boolean', defaultValue: false },
  ],
  application: 'payments-batch',
  batchName: 'import-settlements',
};

describe('template versions of jobs against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      batchJobs: {
        vpcs: fourEyesVpcs(),
        cache: { ttlSeconds: 0, scheduleTtlSeconds: 600 },
      },
      features: [mockServices.scheduler.mock().factory],
    }));
    // Jobs the first template made, written as it wrote them (through Jenkins' API).
    for (const vpc of ['DEV', 'PROD']) {
      const res = await fetch(
        `${sandbox.jenkinsUrl}/job/${vpc}/job/${FOLDER}/createItem?name=${spec.name}`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(
              `${sandbox.credentials.username}:${sandbox.credentials.apiToken}`,
            ).toString('base64')}`,
            'content-type': 'application/xml',
          },
          body: renderV1ConfigXml(spec, {
            name: vpc,
            agentLabel: `${vpc}-batch-agent`,
          }),
        },
      );
      // Setup, not the subject: a failure here fails every test below.
      if (res.status !== 200) {
        const job = `${vpc}/${FOLDER}/${spec.name}`;
        throw new Error(`Creating ${job}: ${res.status} ${await res.text()}`);
      }
    }
  });

  afterAll(() => closeSandbox(sandbox));

  const api = () => apiOf(server);
  const configXmlReads = (mark: number) =>
    sandbox.requests
      .slice(mark)
      .filter(
        r => r.method === 'GET' && /\/config\.xml$/.test(r.path.split('?')[0]),
      );
  const listAll = async () => {
    const res = await api().get(`/entity/default/component/${FOLDER}/jobs`);
    expect(res.status).toBe(200);
    return res.body.vpcs as Array<{ vpc: string; jobs: any[] }>;
  };
  const listed = async (vpc: string) => {
    const jobs = (await listAll()).find(v => v.vpc === vpc)!.jobs;
    return new Map(jobs.map(j => [j.name, j]));
  };

  it('lists a v1 job as outdated, a v2 job as current, and hand-written jobs without template info', async () => {
    const created = await api().post('/jobs/create', {
      ...spec,
      name: 'current-import',
      vpcs: ['DEV'],
      entityRef: ENTITY,
    });
    expect(created.status).toBe(201);

    const mark = sandbox.requests.length;
    const all = await listAll();
    const jobs = new Map(
      all.find(v => v.vpc === 'DEV')!.jobs.map(j => [j.name, j]),
    );
    expect(jobs.get('legacy-import')?.template).toEqual({
      version: 1,
      current: 2,
      outdated: true,
    });
    expect(jobs.get('current-import')?.template).toEqual({
      version: 2,
      current: 2,
      outdated: false,
    });
    const handWritten = [...jobs.values()].filter(
      j => !['legacy-import', 'current-import'].includes(j.name),
    );
    expect(handWritten.length).toBeGreaterThan(0);
    for (const job of handWritten) {
      expect({ job: job.name, template: job.template }).toEqual({
        job: job.name,
        template: undefined,
      });
    }
    // The template version comes with the schedule's config.xml read (one
    // per job of the entity, every VPC), which the next views reuse.
    const jobCount = all.flatMap(v => v.jobs).filter(j => !j.error).length;
    expect(configXmlReads(mark).length).toBe(jobCount);
    const again = sandbox.requests.length;
    await listAll();
    expect(configXmlReads(again)).toEqual([]);
  });

  it('reads a v1 job back into its spec, updates it to the current template, and lists it as current', async () => {
    const res = await api().get('/jobs/template', {
      vpc: 'DEV',
      job: `DEV/${FOLDER}/legacy-import`,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      vpc: 'DEV',
      fullName: `DEV/${FOLDER}/legacy-import`,
      template: { version: 1, current: 2, outdated: true },
      spec: {
        ...spec,
        description:
          'Batch import-settlements of payments-batch (standard batch pipeline).',
      },
    });

    const update = await api().post('/jobs/update', {
      ...res.body.spec,
      vpcs: ['DEV'],
      entityRef: ENTITY,
    });
    if (update.status !== 200) throw new Error(JSON.stringify(update.body));
    expect(update.status).toBe(200);
    expect(update.body.jobs.map((j: any) => [j.fullName, j.action])).toEqual([
      [`DEV/${FOLDER}/legacy-import`, 'updated'],
    ]);
    const item = sandbox.world.item(`DEV/${FOLDER}/legacy-import`) as any;
    expect(item.configXml).toContain('batch-jobs-template: 2');
    expect(item.configXml).not.toContain('${params.RUN_DATE}');
    // The writer forgot the cached config.xml: the list shows the new version.
    expect((await listed('DEV')).get('legacy-import')?.template).toEqual({
      version: 2,
      current: 2,
      outdated: false,
    });
  });

  it('holds the update for approval where the VPC requires it, leaving the job as it was', async () => {
    const res = await api().get('/jobs/template', {
      vpc: 'PROD',
      job: `PROD/${FOLDER}/legacy-import`,
    });
    expect(res.status).toBe(200);
    const update = await api().post('/jobs/update', {
      ...res.body.spec,
      vpcs: ['PROD'],
      entityRef: ENTITY,
    });
    expect(update.status).toBe(202);
    expect(update.body).toMatchObject({
      approvalRequired: true,
      requestId: expect.any(String),
    });
    const item = sandbox.world.item(`PROD/${FOLDER}/legacy-import`) as any;
    expect(item.configXml).not.toContain('batch-jobs-template');
    expect(item.configXml).toContain('${params.RUN_DATE}');
  });

  it('refuses to read a spec out of a hand-written pipeline', async () => {
    const jobs = await listed('DEV');
    const handWritten = [...jobs.values()].find(
      j => j.kind === 'pipeline' && !j.template,
    );
    expect(handWritten).toBeDefined();
    const res = await api().get('/jobs/template', {
      vpc: 'DEV',
      job: handWritten.fullName,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(
      'its pipeline script was not rendered by the standard template (no template mark)',
    );
  });
});
