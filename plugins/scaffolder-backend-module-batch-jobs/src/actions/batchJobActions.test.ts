import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { startSandbox } from '@internal/batch-jobs-sandbox';
// The test hosts the real Batch Jobs backend to run the actions end to end.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { batchJobsPlugin } from '@batch-jobs/plugin-batch-jobs-backend';
import { AddressInfo } from 'node:net';
import { BatchJobsBackendClient } from '../BatchJobsBackendClient';
import {
  createBatchJobCreateAction,
  createBatchJobUpdateAction,
} from './batchJobActions';

/*
 * The actions as the scaffolder runs them (mock action context), through the
 * real Batch Jobs backend (on behalf of the user) to the sandbox Jenkins.
 */

const REPORT_BUILDER = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'report-builder',
    namespace: 'default',
    annotations: { 'batch-jobs.io/jobs': 'report-builder' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-reports' },
};

jest.setTimeout(120_000);

const JANE = mockCredentials.user('user:default/jane');

const input = {
  vpcs: ['DEV', 'STG'],
  folder: 'report-builder',
  name: 'quarterly-close',
  schedule: 'H 5 1 */3 *',
  agentType: 'batch',
  parameters: [
    { name: 'FORMAT', type: 'choice', choices: 'csv, parquet' },
    { name: 'NOTIFY', type: 'boolean', defaultValue: true },
  ],
  application: 'report-batch',
  batchName: 'quarterly-close',
  entityRef: 'component:default/report-builder',
};

describe('batch-jobs scaffolder actions', () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let writer: BatchJobsBackendClient;
  let deniedWriter: BatchJobsBackendClient;

  async function backendUrl(
    result: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
  ) {
    const { server } = await startTestBackend({
      features: [
        batchJobsPlugin,
        mockServices.rootConfig.factory({
          data: {
            batchJobs: {
              jenkins: [
                {
                  name: 'sandbox',
                  baseUrl: sandbox.jenkinsUrl,
                  username: sandbox.credentials.username,
                  apiToken: sandbox.credentials.apiToken,
                  readRetries: 0,
                },
              ],
              vpcs: ['DEV', 'STG', 'PROD'].map(name => ({
                name,
                jenkins: 'sandbox',
                folder: name,
                requireApproval: name === 'PROD',
              })),
              // The operators give report-builder's folder to its component.
              ownership: [
                {
                  entity: 'component:default/report-builder',
                  jobs: ['report-builder'],
                },
              ],
            },
          },
        }),
        // The template's entity: its annotation claims its folder.
        catalogServiceMock.factory({ entities: [REPORT_BUILDER] }),
        mockServices.permissions.factory({ result }),
        mockServices.scheduler.mock().factory,
      ],
    });
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/batch-jobs`;
  }

  const clientFor = (url: string) =>
    new BatchJobsBackendClient({
      discovery: {
        getBaseUrl: async () => url,
        getExternalBaseUrl: async () => url,
      },
      // The scaffolder's own auth service: it asks for a token for batch-jobs on behalf of Jane.
      auth: mockServices.auth({ pluginId: 'scaffolder' }),
    });

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      seed: 42,
      clock: 'manual',
      startTime: Date.UTC(2026, 10, 2, 9, 0),
    });
    writer = clientFor(await backendUrl(AuthorizeResult.ALLOW));
    deniedWriter = clientFor(await backendUrl(AuthorizeResult.DENY));
  });

  afterAll(async () => {
    await sandbox?.close().catch(() => undefined);
  });

  const run = async (
    action: ReturnType<typeof createBatchJobCreateAction>,
    actionInput: Record<string, unknown>,
    extra: { isDryRun?: boolean } = {},
  ) => {
    const ctx = createMockActionContext({ input: actionInput as any });
    // The mock context keeps only some options: set what the scaffolder would.
    Object.assign(ctx, { getInitiatorCredentials: async () => JANE, ...extra });
    await action.handler(ctx as any);
    return ctx.output as jest.Mock;
  };

  const job = (fullName: string) => sandbox.world.item(fullName) as any;

  it('renders only in a scaffolder dry run', async () => {
    const output = await run(createBatchJobCreateAction({ writer }), input, {
      isDryRun: true,
    });
    expect(output).toHaveBeenCalledWith('jobs', [
      expect.objectContaining({ vpc: 'DEV', action: 'would-create' }),
      expect.objectContaining({ vpc: 'STG', action: 'would-create' }),
    ]);
    const xml = output.mock.calls.find(c => c[0] === 'configXml')[1];
    expect(xml.DEV).toContain('<spec>H 5 1 */3 *</spec>');
    expect(xml.DEV).toContain('<string>parquet</string>');
    expect(job('DEV/report-builder/quarterly-close')).toBeUndefined();
  });

  it('creates the job in each VPC with its schedule, parameters and agent label', async () => {
    const output = await run(createBatchJobCreateAction({ writer }), input);
    expect(output).toHaveBeenCalledWith('jobs', [
      {
        vpc: 'DEV',
        fullName: 'DEV/report-builder/quarterly-close',
        action: 'created',
        url: `${sandbox.jenkinsUrl}/job/DEV/job/report-builder/job/quarterly-close/`,
      },
      expect.objectContaining({ vpc: 'STG', action: 'created' }),
    ]);
    for (const vpc of ['DEV', 'STG']) {
      const created = job(`${vpc}/report-builder/quarterly-close`);
      expect(created.timerSpec).toBe('H 5 1 */3 *');
      expect(created.label).toBe(`${vpc}-batch-agent`);
      expect(created.params.map((p: any) => [p.name, p.type])).toEqual([
        ['FORMAT', 'choice'],
        ['NOTIFY', 'boolean'],
      ]);
      expect(created.params[0].choices).toEqual(['csv', 'parquet']);
    }
  });

  it('refuses an existing job unless update is set, then keeps its builds', async () => {
    await expect(
      run(createBatchJobCreateAction({ writer }), { ...input, vpcs: ['DEV'] }),
    ).rejects.toThrow(
      /Job already exists: DEV\/report-builder\/quarterly-close/,
    );

    const dev = job('DEV/report-builder/quarterly-close');
    // Give it some history, which an update must keep.
    sandbox.world.schedule(dev, [{ kind: 'timer' }], null, 0);
    await sandbox.advance(10_000);
    const before = dev.builds.length;
    expect(before).toBeGreaterThan(0);
    await run(createBatchJobCreateAction({ writer }), {
      ...input,
      vpcs: ['DEV'],
      schedule: 'H 6 * * 1',
      update: true,
    });
    expect(job('DEV/report-builder/quarterly-close')).toBe(dev);
    expect(dev.timerSpec).toBe('H 6 * * 1');
    expect(dev.builds.length).toBe(before);
  });

  it('batch-jobs:job:update changes existing jobs and refuses missing ones', async () => {
    const output = await run(createBatchJobUpdateAction({ writer }), {
      ...input,
      agentType: 'worker',
    });
    expect(output).toHaveBeenCalledWith('jobs', [
      expect.objectContaining({ vpc: 'DEV', action: 'updated' }),
      expect.objectContaining({ vpc: 'STG', action: 'updated' }),
    ]);
    expect(job('STG/report-builder/quarterly-close').label).toBe(
      'STG-worker-agent',
    );
    await expect(
      run(createBatchJobUpdateAction({ writer }), {
        ...input,
        name: 'not-there',
      }),
    ).rejects.toThrow(/No such job to update/);
  });

  it('replaces a job the template did not create only with force', async () => {
    const action = createBatchJobUpdateAction({ writer });
    const handWritten = { ...input, vpcs: ['DEV'], name: 'weekly-backup' };
    const before = job('DEV/report-builder/weekly-backup').timerSpec;
    await expect(run(action, handWritten)).rejects.toThrow(
      'job DEV/report-builder/weekly-backup was not created by the Batch Jobs template; pass force: true to replace it (its config is kept in the history)',
    );
    expect(job('DEV/report-builder/weekly-backup').timerSpec).toBe(before);
    const output = await run(action, { ...handWritten, force: true });
    expect(output).toHaveBeenCalledWith('jobs', [
      expect.objectContaining({ vpc: 'DEV', action: 'updated' }),
    ]);
    expect(job('DEV/report-builder/weekly-backup').timerSpec).toBe(
      'H 5 1 */3 *',
    );
  });

  it('validates names, schedule and VPCs', async () => {
    const action = createBatchJobCreateAction({ writer });
    await expect(run(action, { ...input, name: 'bad name!' })).rejects.toThrow(
      /unsafe character/,
    );
    await expect(
      run(action, { ...input, schedule: '* * * *' }),
    ).rejects.toThrow(/schedule: Invalid schedule/);
    await expect(run(action, { ...input, vpcs: ['QA'] })).rejects.toThrow(
      /Unknown VPC 'QA'/,
    );
  });

  it('waits for four eyes when a VPC requires them, and writes nothing meanwhile', async () => {
    const output = await run(createBatchJobCreateAction({ writer }), {
      ...input,
      name: 'gated-close',
      vpcs: ['DEV', 'PROD'],
    });
    expect(output).toHaveBeenCalledWith('jobs', []);
    expect(output).toHaveBeenCalledWith(
      'approval',
      expect.objectContaining({ id: expect.any(String), status: 'pending' }),
    );
    expect(job('DEV/report-builder/gated-close')).toBeUndefined();
    expect(job('PROD/report-builder/gated-close')).toBeUndefined();
  });

  it('needs batch-jobs.job.create', async () => {
    await expect(
      run(createBatchJobCreateAction({ writer: deniedWriter }), {
        ...input,
        name: 'other',
      }),
    ).rejects.toThrow(/batch-jobs.job.create/);
    expect(job('DEV/report-builder/other')).toBeUndefined();
  });
});
