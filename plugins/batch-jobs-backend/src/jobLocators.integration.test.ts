import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  BatchJobsBuildAlert,
  batchJobsAlertChannelsExtensionPoint,
  batchJobsJobLocatorsExtensionPoint,
} from '@batch-jobs/plugin-batch-jobs-node';
import {
  Sandbox,
  api,
  buildPosts,
  catalogVisibleTo,
  closeSandbox,
  component,
  permissionsPerUser,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Job locators end to end, through the real backend against the sandbox:
 * a backend module's locator (batchJobsJobLocatorsExtensionPoint) and the
 * built-in reading of the community `jenkins.io/job-full-name` annotation
 * each stand in for `batch-jobs.io/jobs`: the entity's jobs list, a build
 * read and a rerun work through them, and alerts find the entity. Their
 * claims are claims like the annotation's: without an operator's binding
 * they give nothing. Nobody here may read whole VPCs, so every read below
 * goes through an entity.
 */

jest.setTimeout(120_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';
const as = (user: string) =>
  mockCredentials.user.header(`user:default/${user}`);

/** Reads whole VPCs: nobody. Everything else: allowed (the entity decides). */
const noVpcReaders = permissionsPerUser(
  (_user, permission) => permission.name !== 'batch-jobs.vpc.read',
);

/** What a rerun of the job's last finished build answers, and the POSTs it made. */
async function rerun(
  sandbox: Sandbox,
  server: any,
  user: string,
  entityRef?: string,
) {
  const job = sandbox.world.item(JOB) as any;
  const source = job.builds.filter((b: any) => b.result !== null).pop();
  const mark = sandbox.requests.length;
  const res = await api(server, as(user)).post('/builds/rerun', {
    vpc: 'DEV',
    job: JOB,
    number: source.number,
    ...(entityRef ? { entityRef } : {}),
  });
  return { res, posts: buildPosts(sandbox, mark) };
}

describe('job locators', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(() => closeSandbox(sandbox));

  it("locates an entity's jobs through a backend module's locator", async () => {
    // The module's own convention: `example.com/batch-folder: <folder in DEV>`.
    const locatorModule = createBackendModule({
      pluginId: 'batch-jobs',
      moduleId: 'test-job-locator',
      register(env) {
        env.registerInit({
          deps: { locators: batchJobsJobLocatorsExtensionPoint },
          async init({ locators }) {
            locators.addJobLocator({
              id: 'example.com/batch-folder',
              locate: async entity => {
                const folder =
                  entity.metadata.annotations?.['example.com/batch-folder'];
                return folder
                  ? {
                      claims: [
                        { fullName: `DEV/${folder}`, jenkins: 'sandbox' },
                      ],
                    }
                  : undefined;
              },
            });
          },
        });
      },
    });
    const payments = component('payments-settlement', {
      'example.com/batch-folder': 'payments-settlement',
    });
    const { server } = await startSandboxBackend(sandbox, {
      entities: [payments],
      permissions: noVpcReaders,
      features: [locatorModule],
    });

    const list = await api(server).get(
      '/entity/default/component/payments-settlement/jobs',
    );
    expect(list.status).toBe(200);
    expect(list.body.vpcs.map((v: any) => v.vpc)).toEqual(['DEV']);
    const jobs = list.body.vpcs[0].jobs;
    expect(jobs.map((j: any) => j.error ?? null)).toEqual(jobs.map(() => null));
    expect(jobs.map((j: any) => j.fullName)).toContain(JOB);
    expect(
      jobs.every((j: any) => j.fullName.startsWith('DEV/payments-settlement/')),
    ).toBe(true);

    const builds = await api(server).get('/builds', { vpc: 'DEV', job: JOB });
    expect(builds.status).toBe(200);
    expect(builds.body.items.length).toBeGreaterThan(0);

    // Through the entity named, and through the entity found for the job.
    const named = await rerun(
      sandbox,
      server,
      'jane',
      'component:default/payments-settlement',
    );
    expect(named.res.status).toBe(202);
    expect(named.posts).toBe(1);
    // No entity named: the backend finds the one the locator locates.
    const found = await rerun(sandbox, server, 'jane');
    expect(found.res.status).toBe(202);
    expect(found.posts).toBe(1);
  });

  describe('the community jenkins.io/job-full-name annotation', () => {
    const PAYMENTS = component('payments-settlement', {
      'jenkins.io/job-full-name': 'sandbox:DEV/payments-settlement',
    });
    /** Claims the same folder; no binding gives it to mallory-svc. */
    const MALLORY = component('mallory-svc', {
      'jenkins.io/job-full-name': 'DEV/payments-settlement',
    });
    let server: any;
    const captured: BatchJobsBuildAlert[] = [];
    const scheduler = mockServices.scheduler() as any;

    beforeAll(async () => {
      const captureAlerts = createBackendModule({
        pluginId: 'batch-jobs',
        moduleId: 'test-capture-alerts',
        register(env) {
          env.registerInit({
            deps: { alerts: batchJobsAlertChannelsExtensionPoint },
            async init({ alerts }) {
              alerts.addAlertChannel({
                id: 'capture',
                deliver: async alert => {
                  captured.push(alert);
                },
              });
            },
          });
        },
      });
      ({ server } = await startSandboxBackend(sandbox, {
        catalog: catalogVisibleTo(
          [PAYMENTS, MALLORY],
          // sam sees mallory-svc only.
          (user, entity) =>
            user !== 'user:default/sam' ||
            entity.metadata.name === 'mallory-svc',
        ),
        permissions: noVpcReaders,
        batchJobs: { alerts: { timezone: 'UTC' } },
        features: [
          captureAlerts,
          scheduler.factory({ skipTaskRunOnStartup: true }),
        ],
      }));
    });

    it('lists, reads and reruns the jobs of an entity with only that annotation and a binding', async () => {
      const list = await api(server).get(
        '/entity/default/component/payments-settlement/jobs',
      );
      expect(list.status).toBe(200);
      expect(list.body.vpcs.map((v: any) => v.vpc)).toEqual(['DEV']);
      const jobs = list.body.vpcs[0].jobs;
      expect(jobs.map((j: any) => j.fullName)).toContain(JOB);
      expect(jobs.every((j: any) => !j.error)).toBe(true);

      const builds = await api(server).get('/builds', { vpc: 'DEV', job: JOB });
      expect(builds.status).toBe(200);

      const { res, posts } = await rerun(
        sandbox,
        server,
        'jane',
        'component:default/payments-settlement',
      );
      expect(res.status).toBe(202);
      expect(posts).toBe(1);
    });

    it('gives an unbound entity with the same annotation no job data and no power', async () => {
      const list = await api(server, as('sam')).get(
        '/entity/default/component/mallory-svc/jobs',
      );
      expect(list.status).toBe(200);
      const dev = list.body.vpcs.find((v: any) => v.vpc === 'DEV');
      expect(dev.jobs).toEqual([
        expect.objectContaining({
          fullName: 'DEV/payments-settlement',
          lastBuild: null,
          error:
            "'DEV/payments-settlement' selects no job bound to component:default/mallory-svc in VPC 'DEV': the annotation is a claim, and an operator binds jobs to entities in batchJobs.ownership",
        }),
      ]);

      const builds = await api(server, as('sam')).get('/builds', {
        vpc: 'DEV',
        job: JOB,
      });
      expect(builds.status).toBe(404);
      expect(builds.body.error.message).toContain(
        "No catalog entity you can see claims job 'DEV/",
      );
      expect(JSON.stringify(builds.body)).not.toMatch(/"items"/);

      const through = await rerun(
        sandbox,
        server,
        'sam',
        'component:default/mallory-svc',
      );
      expect(through.res.status).toBe(403);
      expect(through.res.body.error.message).toContain(
        'no binding in batchJobs.ownership gives it that job',
      );
      const found = await rerun(sandbox, server, 'sam');
      expect(found.res.status).toBe(404);
      expect(found.res.body.error.message).toBe(
        "No catalog entity you can see selects job 'DEV/payments-settlement/daily-settlement-report' in VPC 'DEV' (annotation batch-jobs.io/jobs or jenkins.io/job-full-name, confirmed by a binding in batchJobs.ownership)",
      );
      expect(through.posts + found.posts).toBe(0);
    });

    it('alerts on the jobs of an entity with only that annotation', async () => {
      const tick = () => scheduler.triggerTask('batch-jobs-build-alerts');
      await tick(); // learns where each job is; reports nothing old
      const job = sandbox.world.item(JOB) as any;
      const { res } = await rerun(
        sandbox,
        server,
        'jane',
        'component:default/payments-settlement',
      );
      expect(res.status).toBe(202);
      await sandbox.advance(6_000);
      const build = job.builds[job.builds.length - 1];
      build.plannedResult = 'FAILURE';
      await sandbox.advance(
        Number.isFinite(build.workMs) ? build.workMs + 1000 : 60_000,
      );
      expect(build.result).toBe('FAILURE');
      await tick();
      expect(
        captured.filter(
          a => a.event === 'failure' && a.buildNumber === build.number,
        ),
      ).toEqual([
        expect.objectContaining({
          job: JOB,
          entityRef: 'component:default/payments-settlement',
        }),
      ]);
    });
  });
});
