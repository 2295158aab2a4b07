import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  batchJobsVpcConditions,
  createBatchJobsVpcConditionalDecision,
} from '@batch-jobs/plugin-batch-jobs-node';
import {
  api,
  catalogVisibleTo,
  closeSandbox,
  fourEyesVpcs,
  PAYMENTS_SETTLEMENT,
  permissionsPerUser,
  Sandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * POST /jobs/promote copies the source job's whole config.xml into `to`,
 * where the caller can read it: so the caller must may read the source in
 * `from` (as GET /jobs/compare asks), not only promote into `to`. An
 * operator whose VPC-scoped permissions cover DEV and STG (the bundled
 * policy's `operators: [{ ref, vpcs }]`) must not copy a PROD job into STG.
 */

jest.setTimeout(120_000);

const DAVE = 'user:default/dave';
const REL = 'payments-settlement/daily-settlement-report';
const PROD_JOB = `PROD/${REL}`;
/** A schedule only the PROD job has: what leaks. */
const PROD_ONLY_SPEC = 'H 4 * * 6';

/** Dave: an operator in DEV and STG only; everyone else may do everything. */
const scopedOperator = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: () => {
    const decide = (credentials: any, r: any) => {
      const user =
        credentials?.principal?.type === 'user'
          ? credentials.principal.userEntityRef
          : undefined;
      if (user !== DAVE) return { result: AuthorizeResult.ALLOW };
      if (r.permission.resourceType === 'batch-jobs-vpc') {
        return createBatchJobsVpcConditionalDecision(
          r.permission,
          batchJobsVpcConditions.isInVpc({ vpcs: ['DEV', 'STG'] }),
        );
      }
      return { result: AuthorizeResult.DENY };
    };
    return {
      async authorize(requests: any[], options: any) {
        return requests.map(r => {
          const d: any = decide(options?.credentials, r);
          return d.result === AuthorizeResult.CONDITIONAL
            ? { result: AuthorizeResult.DENY }
            : d;
        });
      },
      async authorizeConditional(requests: any[], options: any) {
        return requests.map(r => decide(options?.credentials, r));
      },
    } as any;
  },
});

describe('a promotion needs read access to its source', () => {
  let sandbox: Sandbox;
  let server: any;
  const dave = () => api(server, mockCredentials.user.header(DAVE));

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      // Dave sees no entity that claims the job: only vpc.read could let him read it.
      catalog: catalogVisibleTo([PAYMENTS_SETTLEMENT], user => user !== DAVE),
      permissions: scopedOperator,
    }));
    const prod = sandbox.world.item(PROD_JOB) as any;
    prod.timerSpec = PROD_ONLY_SPEC;
    delete prod.configXml;
  });
  afterAll(() => closeSandbox(sandbox));

  it('Dave may not read the PROD job (control)', async () => {
    const compare = await dave().get('/jobs/compare', {
      job: REL,
      vpcs: 'PROD,STG',
    });
    expect(compare.status).toBe(404);
    expect(JSON.stringify(compare.body)).not.toContain(PROD_ONLY_SPEC);
    const template = await dave().get('/jobs/template', {
      vpc: 'PROD',
      job: PROD_JOB,
    });
    expect(template.status).toBe(404);
    // He reads DEV and STG (vpc.read there): STG does not have the PROD schedule.
    const before = await dave().get('/jobs/compare', {
      job: REL,
      vpcs: 'DEV,STG',
    });
    expect(before.status).toBe(200);
    expect(JSON.stringify(before.body)).not.toContain(PROD_ONLY_SPEC);
  });

  it('refuses a promotion whose source Dave may not read, and PROD content never reaches him', async () => {
    const mark = sandbox.requests.length;
    const promoted = await dave().post('/jobs/promote', {
      job: REL,
      from: 'PROD',
      to: 'STG',
    });
    // The same refusal as GET /jobs/compare on PROD.
    const after = await dave().get('/jobs/compare', {
      job: REL,
      vpcs: 'DEV,STG',
    });
    const stg = (after.body.vpcs ?? []).find((v: any) => v.vpc === 'STG');
    expect(promoted.status).toBe(404);
    expect(promoted.body.error.message).toMatch(
      /No catalog entity you can see claims job 'PROD\/payments-settlement\/daily-settlement-report' in VPC 'PROD'/,
    );
    expect(after.status).toBe(200);
    expect(stg.definition.schedule).not.toBe(PROD_ONLY_SPEC);
    // Refused before anything was read or written in Jenkins.
    const sent = sandbox.requests.slice(mark);
    expect(
      sent.filter(
        r => r.path.startsWith('/job/PROD/') && r.path.includes('config.xml'),
      ),
    ).toEqual([]);
    expect(sent.filter(r => r.method !== 'GET')).toEqual([]);
  });
});

describe('an approved promotion checks read access to its source again when it runs', () => {
  const JANE = 'user:default/jane';
  const BOB = 'user:default/bob';
  const SOURCE = `DEV/${REL}`;
  let sandbox: Sandbox;
  let server: any;
  /** Jane can no longer read the source: the entity is hidden, vpc.read denied. */
  let janeLostRead = false;
  const as = (user: string) => api(server, mockCredentials.user.header(user));

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      catalog: catalogVisibleTo(
        [PAYMENTS_SETTLEMENT],
        user => !(janeLostRead && user === JANE),
      ),
      // Everyone may do everything, but for Jane's vpc.read once she lost it.
      permissions: permissionsPerUser(
        (user, permission) =>
          !(
            janeLostRead &&
            user === JANE &&
            permission.name === 'batch-jobs.vpc.read'
          ),
      ),
      batchJobs: { vpcs: fourEyesVpcs() },
    }));
  });
  afterAll(() => closeSandbox(sandbox));

  it('refuses to run it once the requester may no longer read the source, and writes nothing', async () => {
    (sandbox.world.item(SOURCE) as any).timerSpec = 'H 5 * * *';
    const prodBefore = (sandbox.world.item(PROD_JOB) as any).timerSpec;
    const held = await as(JANE).post('/jobs/promote', {
      job: REL,
      from: 'DEV',
      to: 'PROD',
    });
    expect(held.status).toBe(202);
    const id = held.body.requestId;
    expect((await as(BOB).post(`/approvals/${id}/approve`)).status).toBe(200);

    janeLostRead = true;
    const mark = sandbox.requests.length;
    const res = await as(JANE).post(`/approvals/${id}/execute`);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /No catalog entity you can see claims job 'DEV\/payments-settlement\/daily-settlement-report' in VPC 'DEV'/,
    );
    expect(
      sandbox.requests.slice(mark).filter(r => r.method !== 'GET'),
    ).toEqual([]);
    expect((sandbox.world.item(PROD_JOB) as any).timerSpec).toBe(prodBefore);
    expect((await as(BOB).get(`/approvals/${id}`)).body).toMatchObject({
      status: 'failed',
      error: res.body.error.message,
    });
  });
});
