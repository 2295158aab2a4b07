import { mockServices } from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { groovyString } from '@batch-jobs/plugin-batch-jobs-common';
import { batchJobsTemplatesExtensionPoint } from '@batch-jobs/plugin-batch-jobs-node';
import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';
import { startFakeHttpServer } from './testing/fakeHttpServer';

/*
 * Issue 18's job template source, end to end against the sandbox: a
 * template file served over HTTP (read with the URL reader, allowed by
 * backend.reading.allow) and a template a backend module adds through
 * batchJobsTemplatesExtensionPoint each create a job in Jenkins whose
 * config.xml holds their rendered script; the file's new version shows
 * the job outdated and an update re-renders it. An unreadable or invalid
 * file only takes its own template away, with errors naming its URL.
 */

jest.setTimeout(120_000);

const FOLDER = 'payments-settlement';
const ENTITY = 'component:default/payments-settlement';

const etlFile = (version: number) => `# Batch Jobs job template
id: nightly-etl
title: Nightly ETL
description: Extract, transform and load.
version: ${version}
script: |
  pipeline {
    agent { label \${{ agentLabel }} }
    environment {
      VPC = \${{ vpc }}
      APPLICATION = \${{ application }}
      BATCH_NAME = \${{ batchName }}
    }
    stages {
      stage('ETL v${version}') {
        steps { sh '''./bin/etl "$BATCH_NAME"\${{ parameterArgs }}''' }
      }
    }
  }
`;

const spec = {
  folder: FOLDER,
  name: 'nightly-etl',
  schedule: 'H 3 * * *',
  agentType: 'batch',
  parameters: [{ name: 'RUN_DATE', type: 'string', defaultValue: 'today' }],
  application: 'payments-batch',
  batchName: 'import-settlements',
  entityRef: ENTITY,
};

// A backend module's own template source, through the extension point.
const moduleTemplates = createBackendModule({
  pluginId: 'batch-jobs',
  moduleId: 'test-job-templates',
  register(env) {
    env.registerInit({
      deps: { templates: batchJobsTemplatesExtensionPoint },
      async init({ templates }) {
        templates.addTemplateSource({
          id: 'test-module',
          listTemplates: async () => [
            {
              id: 'module-report',
              title: 'Module report',
              version: 4,
              renderPipelineScript: (jobSpec, vpc) =>
                `node(${groovyString(vpc.agentLabel)}) {\n  echo ${groovyString(
                  `report ${jobSpec.batchName} in ${vpc.name}`,
                )}\n}\n`,
            },
          ],
        });
      },
    });
  },
});

describe('job templates from a URL and from a backend module, against the sandbox', () => {
  let sandbox: Sandbox;
  let files: Awaited<ReturnType<typeof startFakeHttpServer>>;
  let server: any;
  let etlVersion = 1;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    files = await startFakeHttpServer((req, res) => {
      if (req.url === '/templates/nightly-etl.yaml') {
        res.writeHead(200, { 'content-type': 'text/yaml' });
        res.end(etlFile(etlVersion));
      } else if (req.url === '/templates/broken.yaml') {
        res.writeHead(200, { 'content-type': 'text/yaml' });
        res.end(
          'id: broken\ntitle: Broken\nversion: 1\nscript: "${{ password }}"\n',
        );
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    const port = new URL(files.url).port;
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      root: {
        backend: { reading: { allow: [{ host: `127.0.0.1:${port}` }] } },
      },
      batchJobs: {
        cache: { ttlSeconds: 0, scheduleTtlSeconds: 600 },
        templates: {
          // Read again at every use: the test changes the file.
          refreshSeconds: 0,
          locations: [
            { url: `${files.url}/templates/nightly-etl.yaml` },
            { url: `${files.url}/templates/broken.yaml` },
            { url: `${files.url}/templates/missing.yaml` },
          ],
        },
      },
      features: [moduleTemplates, mockServices.scheduler.mock().factory],
    }));
  });

  afterAll(async () => {
    await files?.close();
    await closeSandbox(sandbox);
  });

  const api = () => apiOf(server);
  const world = (fullName: string) => sandbox.world.item(fullName) as any;
  const listed = async (name: string) => {
    const res = await api().get(`/entity/default/component/${FOLDER}/jobs`);
    expect(res.status).toBe(200);
    return res.body.vpcs
      .find((v: any) => v.vpc === 'DEV')
      .jobs.find((j: any) => j.name === name);
  };

  it('lists the standard, the file’s and the module’s templates, and names the files that failed', async () => {
    const res = await api().get('/jobs/templates');
    expect(res.status).toBe(200);
    expect(res.body.defaultTemplate).toBe('standard-batch-pipeline');
    expect(res.body.templates).toEqual([
      expect.objectContaining({ id: 'standard-batch-pipeline', version: 2 }),
      {
        id: 'nightly-etl',
        title: 'Nightly ETL',
        description: 'Extract, transform and load.',
        version: 1,
      },
      { id: 'module-report', title: 'Module report', version: 4 },
    ]);
    expect(res.body.errors).toEqual([
      {
        source: `location:${files.url}/templates/broken.yaml`,
        message: expect.stringContaining(
          `Job template at ${files.url}/templates/broken.yaml is invalid: unknown placeholder \${{ password }}`,
        ),
      },
      {
        source: `location:${files.url}/templates/missing.yaml`,
        message: expect.stringContaining(
          `Job template at ${files.url}/templates/missing.yaml could not be read`,
        ),
      },
    ]);
  });

  it('creates a job from the template file; its config.xml holds the rendered, marked script', async () => {
    const dry = await api().post('/jobs/create', {
      ...spec,
      template: 'nightly-etl',
      vpcs: ['DEV', 'STG'],
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.body.jobs[1].configXml).toContain(
      'agent { label &apos;STG-batch-agent&apos; }',
    );

    const res = await api().post('/jobs/create', {
      ...spec,
      template: 'nightly-etl',
      vpcs: ['DEV'],
    });
    expect(res.status).toBe(201);
    const item = world(`DEV/${FOLDER}/nightly-etl`);
    expect(item.configXml).toContain(
      '// Nightly ETL (batch-jobs-template: nightly-etl@1), generated by the Batch Jobs portal.',
    );
    expect(item.configXml).toContain(
      'agent { label &apos;DEV-batch-agent&apos; }',
    );
    expect(item.configXml).toContain(
      'APPLICATION = &apos;payments-batch&apos;',
    );
    expect(item.configXml).toContain(
      './bin/etl &quot;$BATCH_NAME&quot; --param &quot;RUN_DATE=$RUN_DATE&quot;',
    );
    expect(item.configXml).toContain('<spec>H 3 * * *</spec>');
    expect(item.configXml).toContain(
      'Batch import-settlements of payments-batch (Nightly ETL).',
    );
    // Jenkins sees the job as the pipeline says: on the VPC's batch agents.
    expect(item.label).toBe('DEV-batch-agent');

    const audit = await api().get('/audit', {
      vpc: 'DEV',
      job: `DEV/${FOLDER}/nightly-etl`,
    });
    expect(audit.body.items[0]).toMatchObject({
      action: 'job.create',
      outcome: 'succeeded',
    });
    expect((await listed('nightly-etl')).template).toEqual({
      version: 1,
      current: 1,
      outdated: false,
      template: 'nightly-etl',
    });
  });

  it('shows the job outdated once the file has a new version, and updates it from its own config.xml', async () => {
    etlVersion = 2;
    expect((await listed('nightly-etl')).template).toEqual({
      version: 1,
      current: 2,
      outdated: true,
      template: 'nightly-etl',
    });
    const back = await api().get('/jobs/template', {
      vpc: 'DEV',
      job: `DEV/${FOLDER}/nightly-etl`,
    });
    expect(back.status).toBe(200);
    expect(back.body.template).toEqual({
      version: 1,
      current: 2,
      outdated: true,
      template: 'nightly-etl',
    });
    expect(back.body.spec).toMatchObject({
      template: 'nightly-etl',
      application: 'payments-batch',
      batchName: 'import-settlements',
      schedule: 'H 3 * * *',
    });
    const update = await api().post('/jobs/update', {
      ...back.body.spec,
      vpcs: ['DEV'],
      entityRef: ENTITY,
    });
    expect(update.status).toBe(200);
    const xml = world(`DEV/${FOLDER}/nightly-etl`).configXml;
    expect(xml).toContain('batch-jobs-template: nightly-etl@2');
    expect(xml).toContain('ETL v2');
    expect((await listed('nightly-etl')).template).toMatchObject({
      version: 2,
      outdated: false,
    });
  });

  it('creates a job from the module’s template', async () => {
    const res = await api().post('/jobs/create', {
      ...spec,
      name: 'module-report',
      template: 'module-report',
      vpcs: ['STG'],
    });
    expect(res.status).toBe(201);
    const item = world(`STG/${FOLDER}/module-report`);
    expect(item.configXml).toContain(
      '// Module report (batch-jobs-template: module-report@4)',
    );
    expect(item.configXml).toContain(
      'node(&apos;STG-batch-agent&apos;) {\n  echo &apos;report import-settlements in STG&apos;\n}',
    );
    expect(item.label).toBe('STG-batch-agent');
  });

  it('refuses a template no source offers, naming the files that could not be read', async () => {
    const res = await api().post('/jobs/create', {
      ...spec,
      name: 'other',
      template: 'broken',
      vpcs: ['DEV'],
    });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain(
      `Job template 'broken' is not available: Job template at ${files.url}/templates/broken.yaml is invalid`,
    );
    expect(res.body.error.message).toContain(
      `${files.url}/templates/missing.yaml could not be read`,
    );
    expect(world(`DEV/${FOLDER}/other`)).toBeUndefined();
  });
});

describe('job templates when every source answers', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      features: [moduleTemplates, mockServices.scheduler.mock().factory],
    }));
  });
  afterAll(() => closeSandbox(sandbox));

  it('lets a module replace the standard pipeline (a source with its id)', async () => {
    const replacement = createBackendModule({
      pluginId: 'batch-jobs',
      moduleId: 'house-standard',
      register(env) {
        env.registerInit({
          deps: { templates: batchJobsTemplatesExtensionPoint },
          async init({ templates }) {
            templates.addTemplateSource({
              id: 'standard',
              listTemplates: async () => [
                {
                  id: 'standard-batch-pipeline',
                  title: 'House pipeline',
                  version: 2,
                  renderPipelineScript: (_spec, vpc) =>
                    `node(${groovyString(vpc.agentLabel)}) { houseBatch() }\n`,
                },
              ],
            });
          },
        });
      },
    });
    const { server: replaced } = await startSandboxBackend(sandbox, {
      features: [replacement, mockServices.scheduler.mock().factory],
    });
    const { entityRef: _entityRef, ...anonymous } = spec;
    const res = await apiOf(replaced).post('/jobs/create', {
      ...anonymous,
      name: 'house-job',
      vpcs: ['DEV'],
      dryRun: true,
    });
    expect(res.status).toBe(200);
    expect(res.body.jobs[0].configXml).toContain(
      '// House pipeline (batch-jobs-template: 2), generated by the Batch Jobs portal. Edit the template, not this job.\nnode(&apos;DEV-batch-agent&apos;) { houseBatch() }',
    );
    const listed = await apiOf(replaced).get('/jobs/templates');
    expect(listed.body.templates.map((t: any) => t.title)).toEqual([
      'House pipeline',
    ]);
  });

  it('answers 400 with the available templates for an unknown one', async () => {
    const res = await apiOf(server).post('/jobs/create', {
      ...spec,
      template: 'nope',
      vpcs: ['DEV'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      "Unknown job template 'nope'; available: standard-batch-pipeline, module-report",
    );
  });
});
