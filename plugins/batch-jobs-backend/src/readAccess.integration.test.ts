import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  api,
  buildPosts,
  catalogVisibleTo,
  closeSandbox,
  component,
  permissionsPerUser,
  PAYMENTS_SETTLEMENT,
  Sandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Reads scoped like actions, through the real backend against the sandbox:
 * a job's builds, log, parameters, config, queue items and audit are read
 * through a catalog entity the reader can see (with their own credentials)
 * that validly claims the job, or with batch-jobs.vpc.read. Entities come
 * from a catalog that hides some of them from some users, permissions from a
 * per-user decision, as a policy would answer.
 */

jest.setTimeout(120_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';

/** Mallory's own service, annotated to claim another team's folder. */
const MALLORY_SVC: Entity = {
  ...component('mallory-svc', {
    'batch-jobs.io/jobs': 'payments-settlement, data-platform',
  }),
};
/** A service only its team sees; bound to its folder like payments-settlement. */
const SECRET = component('secret-service', {
  'batch-jobs.io/jobs': 'payments-settlement',
});

const as = (user: string) =>
  mockCredentials.user.header(`user:default/${user}`);

describe('reads scoped like actions', () => {
  let sandbox: Sandbox;
  let server: any;
  let number: number;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      catalog: catalogVisibleTo(
        [PAYMENTS_SETTLEMENT, MALLORY_SVC, SECRET],
        // sam sees no payments entity at all; everyone sees the rest.
        (user, entity) =>
          !(
            user === 'user:default/sam' &&
            entity.metadata.name !== 'mallory-svc'
          ),
      ),
      // Only olga reads whole VPCs; everyone may rerun (the entity decides).
      permissions: permissionsPerUser((user, permission) =>
        permission.name === 'batch-jobs.vpc.read'
          ? user === 'user:default/olga'
          : true,
      ),
    }));
    const builds = await api(server).get('/builds', { vpc: 'DEV', job: JOB });
    // Setup, not the subject: a failure here fails every test below.
    if (builds.status !== 200) {
      throw new Error(
        `Listing the builds of ${JOB}: ${builds.status} ${builds.text}`,
      );
    }
    number = builds.body.items[0].number;
  });
  afterAll(() => closeSandbox(sandbox));

  /** Every read of one job's data, as `user`. */
  const reads = (user: string) => {
    const client = api(server, as(user));
    return {
      builds: () => client.get('/builds', { vpc: 'DEV', job: JOB }),
      log: () => client.get('/builds/log', { vpc: 'DEV', job: JOB, number }),
      parameters: () =>
        client.get('/jobs/parameters', {
          vpc: 'DEV',
          job: JOB,
          fromBuild: number,
        }),
      compare: () =>
        client.get('/jobs/compare', {
          job: 'payments-settlement/daily-settlement-report',
          vpcs: 'DEV,STG',
        }),
      audit: () => client.get('/audit', { vpc: 'DEV', job: JOB }),
    };
  };

  it('lets a user who sees the claiming entity read every route', async () => {
    for (const [route, read] of Object.entries(reads('jane'))) {
      const res = await read();
      expect([route, res.status]).toEqual([route, 200]);
    }
  });

  it("refuses every read of another team's job to a self-annotated entity's owner, with no data", async () => {
    for (const [route, read] of Object.entries(reads('sam'))) {
      const res = await read();
      expect([route, res.status]).toEqual([route, 404]);
      expect(res.body.error.message).toContain(
        "No catalog entity you can see claims job 'DEV/",
      );
      expect(JSON.stringify(res.body)).not.toMatch(
        /"(items|text|parameters|vpcs)"/,
      );
      expect(res.text).not.toContain('Started by');
    }
  });

  it('lets a VPC reader read a job no entity of theirs claims, and the fleet', async () => {
    const olga = reads('olga');
    expect((await olga.builds()).status).toBe(200);
    expect((await olga.log()).status).toBe(200);
    const unclaimed = await api(server, as('olga')).get('/builds', {
      vpc: 'DEV',
      job: 'DEV/data-platform/nightly-extract-orders',
    });
    expect(unclaimed.status).toBe(200);
    const fleet = await api(server, as('olga')).get('/fleet');
    expect(fleet.status).toBe(200);
    expect((await api(server, as('olga')).get('/routines')).status).toBe(200);
    expect(fleet.body.vpcs.map((v: any) => v.vpc)).toEqual([
      'DEV',
      'STG',
      'PROD',
    ]);
  });

  it('keeps VPC-wide views (fleet, timeline, workers, VPC audit) to VPC readers', async () => {
    const jane = api(server, as('jane'));
    for (const [path, query] of [
      ['/fleet', {}],
      ['/fleet', { vpc: 'DEV' }],
      ['/vpcs/DEV/timeline', {}],
      ['/vpcs/DEV/workers', {}],
      ['/audit', { vpc: 'DEV' }],
      ['/routines', {}],
      ['/backups', {}],
    ] as const) {
      const res = await jane.get(path, query);
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.body.error.message).toContain('batch-jobs.vpc.read');
    }
  });

  it("shows an entity's own timeline to whoever sees the entity, with its jobs only", async () => {
    const res = await api(server, as('jane')).get('/vpcs/DEV/timeline', {
      entityRef: 'component:default/payments-settlement',
    });
    expect(res.status).toBe(200);
    const jobs = res.body.labels.flatMap((l: any) =>
      l.jobs.map((j: any) => j.fullName),
    );
    expect(jobs.length).toBeGreaterThan(0);
    expect(
      jobs.every((j: string) => j.startsWith('DEV/payments-settlement/')),
    ).toBe(true);
    // Sam cannot see the entity: it does not exist for him.
    const hidden = await api(server, as('sam')).get('/vpcs/DEV/timeline', {
      entityRef: 'component:default/payments-settlement',
    });
    expect(hidden.status).toBe(404);
  });

  it("lists an unbound entity's claim as unconfirmed, with no job data", async () => {
    const res = await api(server, as('sam')).get(
      '/entity/default/component/mallory-svc/jobs',
    );
    expect(res.status).toBe(200);
    const dev = res.body.vpcs.find((v: any) => v.vpc === 'DEV');
    expect(dev.jobs.map((j: any) => j.error)).toEqual([
      expect.stringContaining(
        "selects no job bound to component:default/mallory-svc in VPC 'DEV': the annotation is a claim, and an operator binds jobs to entities in batchJobs.ownership",
      ),
      expect.stringContaining(
        'selects no job bound to component:default/mallory-svc',
      ),
    ]);
    expect(dev.jobs.every((j: any) => j.lastBuild === null)).toBe(true);
  });

  it('shows a job two bindings give to two entities as a conflict that gives neither anything', async () => {
    // payments-settlement and secret-service are both bound to the folder in
    // a second backend's config.
    const { server: conflicted } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT, SECRET],
      batchJobs: {
        ownership: [
          {
            entity: 'component:default/payments-settlement',
            jobs: ['payments-settlement'],
          },
          {
            entity: 'component:default/secret-service',
            jobs: ['payments-settlement'],
          },
        ],
      },
      permission: undefined,
    });
    const list = await api(conflicted).get(
      '/entity/default/component/payments-settlement/jobs',
    );
    const dev = list.body.vpcs.find((v: any) => v.vpc === 'DEV');
    expect(dev.jobs.find((j: any) => j.fullName === JOB).error).toContain(
      'bound to several entities (component:default/payments-settlement, component:default/secret-service)',
    );
    const mark = sandbox.requests.length;
    const rerun = await api(conflicted).post('/builds/rerun', {
      vpc: 'DEV',
      job: JOB,
      number,
      entityRef: 'component:default/payments-settlement',
    });
    expect(rerun.status).toBe(403);
    expect(rerun.body.error.message).toContain('bound to several entities');
    expect(buildPosts(sandbox, mark)).toBe(0);
  });

  it('refuses the queue item of a job the caller may not read', async () => {
    const run = await api(server, as('jane')).post('/jobs/run', {
      vpc: 'DEV',
      job: JOB,
      entityRef: 'component:default/payments-settlement',
    });
    expect(run.status).toBe(202);
    const own = await api(server, as('jane')).get('/queue', {
      vpc: 'DEV',
      id: run.body.queueItemId,
    });
    expect(own.status).toBe(200);
    const other = await api(server, as('sam')).get('/queue', {
      vpc: 'DEV',
      id: run.body.queueItemId,
    });
    expect(other.status).toBe(404);
    expect(other.body.error.message).toContain(
      'No catalog entity you can see claims job',
    );
  });

  it('refuses a rerun through a self-annotated entity and writes nothing to Jenkins', async () => {
    const mark = sandbox.requests.length;
    const through = await api(server, as('sam')).post('/builds/rerun', {
      vpc: 'DEV',
      job: JOB,
      number,
      entityRef: 'component:default/mallory-svc',
    });
    expect(through.status).toBe(403);
    expect(through.body.error.message).toContain(
      'no binding in batchJobs.ownership gives it that job',
    );
    const found = await api(server, as('sam')).post('/builds/rerun', {
      vpc: 'DEV',
      job: JOB,
      number,
    });
    expect(found.status).toBe(404);
    expect(buildPosts(sandbox, mark)).toBe(0);
    expect(
      sandbox.requests.slice(mark).filter(r => r.method === 'POST'),
    ).toEqual([]);
  });
});
