import { mockServices } from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  BatchJobsBuildAlert,
  batchJobsAlertChannelsExtensionPoint,
} from '@batch-jobs/plugin-batch-jobs-node';
import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Alert channels from a backend module (batchJobsAlertChannelsExtensionPoint),
 * end to end against the sandbox: a build a portal user reran fails, the
 * alert task looks, and the module's channel gets that one event with its
 * real cause, once, even when another channel throws.
 */

jest.setTimeout(120_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';

describe('alert channels added by a backend module', () => {
  let sandbox: Sandbox;
  const captured: Array<{ alert: BatchJobsBuildAlert; ownerRefs: string[] }> =
    [];
  const broken = jest.fn(async () => {
    throw new Error('pager is down');
  });
  const alertsModule = createBackendModule({
    pluginId: 'batch-jobs',
    moduleId: 'test-alert-channels',
    register(env) {
      env.registerInit({
        deps: { alerts: batchJobsAlertChannelsExtensionPoint },
        async init({ alerts }) {
          alerts.addAlertChannel({ id: 'broken-pager', deliver: broken });
          alerts.addAlertChannel({
            id: 'capture',
            deliver: async (alert, context) => {
              captured.push({ alert, ownerRefs: context.ownerRefs });
            },
          });
        },
      });
    },
  });

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(() => closeSandbox(sandbox));

  it('delivers each failing build once to the module’s channel, whatever another channel does', async () => {
    const scheduler = mockServices.scheduler() as any;
    const { server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      batchJobs: { alerts: { timezone: 'UTC' } },
      features: [
        alertsModule,
        scheduler.factory({ skipTaskRunOnStartup: true }),
      ],
    });
    const tick = () => scheduler.triggerTask('batch-jobs-build-alerts');
    // First look: learns where each job is, reports nothing old.
    await tick();
    expect(captured).toEqual([]);

    const job = sandbox.world.item(JOB) as any;
    const source = job.builds.filter((b: any) => b.result !== null).pop();
    const rerun = await apiOf(server).post('/builds/rerun', {
      vpc: 'DEV',
      job: JOB,
      number: source.number,
      entityRef: 'component:default/payments-settlement',
    });
    expect(rerun.status).toBe(202);
    await sandbox.advance(6_000);
    const build = job.builds[job.builds.length - 1];
    build.plannedResult = 'FAILURE';
    await sandbox.advance(
      Number.isFinite(build.workMs) ? build.workMs + 1000 : 60_000,
    );
    expect(build.result).toBe('FAILURE');

    await tick();
    await tick();
    const failures = captured.filter(
      c => c.alert.event === 'failure' && c.alert.buildNumber === build.number,
    );
    expect(failures).toHaveLength(1);
    expect(failures[0].alert).toMatchObject({
      vpc: 'DEV',
      job: JOB,
      entityRef: 'component:default/payments-settlement',
      result: 'FAILURE',
      cause: expect.stringContaining('user:default/jane'),
    });
    expect(failures[0].ownerRefs).toEqual(['group:default/team-payments']);
    // The throwing channel was tried for the same event and did not stop the capture.
    expect(broken).toHaveBeenCalledWith(
      expect.objectContaining({ event: 'failure', buildNumber: build.number }),
      expect.anything(),
    );
  });
});
