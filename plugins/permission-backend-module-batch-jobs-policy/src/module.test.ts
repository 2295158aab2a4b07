import {
  BackstageCredentials,
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { permissionsRegistryServiceFactory } from '@backstage/backend-defaults/permissionsRegistry';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { permissionRules } from '@backstage/plugin-catalog-backend/alpha';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import permissionBackend from '@backstage/plugin-permission-backend';
import {
  AuthorizeResult,
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';
import { createPermissionIntegrationRouter } from '@backstage/plugin-permission-node';
import { Sandbox, startSandbox } from '@internal/batch-jobs-sandbox';
import {
  batchJobsAgentLaunchPermission,
  batchJobsRoutineRunPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
// The test hosts the Batch Jobs backend to exercise the policy end to end.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import batchJobsBackend from '@batch-jobs/plugin-batch-jobs-backend';
import request from 'supertest';
import { permissionModuleBatchJobsPolicy } from './module';

/*
 * The policy inside a real backend: the permission backend with this module,
 * the Batch Jobs backend against the sandbox's Jenkins, and the real
 * permissions client between them. The catalog is the one stand-in: its
 * entities come from a mock, and a small 'catalog' plugin answers the
 * permission backend's conditional decisions with the catalog's own rules
 * (isEntityOwner on the entity's ownedBy relations).
 */

jest.setTimeout(60_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';

const PAYMENTS_SETTLEMENT: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-settlement',
    namespace: 'default',
    annotations: { 'batch-jobs.io/jobs': 'payments-settlement' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/team-payments' }],
};

/** Group memberships, as the auth backend's sign-in resolver would give them. */
const GROUPS: Record<string, string[]> = {
  'user:default/olga': ['group:default/batch-operators'],
  'user:default/jane': ['group:default/team-payments'],
  'user:default/dora': ['group:default/dev-ops'],
  'user:default/sam': [],
};

const userInfoFactory = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: any) {
      const userEntityRef = credentials.principal.userEntityRef as string;
      return {
        userEntityRef,
        ownershipEntityRefs: [userEntityRef, ...(GROUPS[userEntityRef] ?? [])],
      };
    },
  }),
});

/*
 * The real auth service gives a plugin-to-plugin call made on behalf of a
 * user both the user and the calling plugin (actor). The test utils' mock
 * drops the actor, and both the permission backend (for a resource
 * permission without resourceRef) and the permissions registry's
 * apply-conditions endpoint refuse a user without one: keep it.
 */
const httpAuthWithActorFactory = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const mock = mockServices.httpAuth({ pluginId: plugin.getId() });
    return {
      async credentials(req: any, options?: { allow?: string[] }) {
        const token = String(req.headers?.authorization ?? '').match(
          /^Bearer mock-service-token:(.+)$/,
        )?.[1];
        const { sub, obo } = token ? JSON.parse(token) : ({} as any);
        if (!obo || (options?.allow && !options.allow.includes('user'))) {
          return mock.credentials(req, options as any);
        }
        return mockCredentials.user(obo, {
          actor: { subject: sub ?? 'plugin:unknown' },
        }) as BackstageCredentials<any>;
      },
      issueUserCookie: mock.issueUserCookie.bind(mock),
    } as any;
  },
});

/**
 * The catalog's permission integration (apply-conditions, with the catalog's
 * own rules) over the mock's entities, mounted by hand: the catalog mock has
 * none.
 */
const catalogPermissions = createBackendPlugin({
  pluginId: 'catalog',
  register(reg) {
    reg.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        httpRouter.use(
          createPermissionIntegrationRouter({
            resourceType: 'catalog-entity',
            rules: Object.values(permissionRules),
            getResources: async refs =>
              refs.map(ref =>
                ref === 'component:default/payments-settlement'
                  ? PAYMENTS_SETTLEMENT
                  : undefined,
              ),
          }),
        );
      },
    });
  },
});

async function startBackend(sandbox: Sandbox, permissions?: object) {
  const backend = await startTestBackend({
    features: [
      permissionBackend,
      permissionModuleBatchJobsPolicy,
      batchJobsBackend,
      catalogPermissions,
      permissionsServiceFactory,
      permissionsRegistryServiceFactory,
      userInfoFactory,
      httpAuthWithActorFactory,
      catalogServiceMock.factory({ entities: [PAYMENTS_SETTLEMENT] }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          batchJobs: {
            jenkins: [
              {
                name: 'sandbox',
                baseUrl: sandbox.jenkinsUrl,
                username: sandbox.credentials.username,
                apiToken: sandbox.credentials.apiToken,
                timeoutMs: 5000,
                readRetries: 0,
              },
            ],
            vpcs: [
              { name: 'DEV', jenkins: 'sandbox', folder: 'DEV' },
              {
                name: 'PROD',
                jenkins: 'sandbox',
                folder: 'PROD',
                requireApproval: true,
              },
            ],
            ownership: [
              {
                entity: 'component:default/payments-settlement',
                jobs: ['payments-settlement'],
              },
            ],
            cache: { ttlSeconds: 0 },
            ...(permissions ? { permissions } : {}),
          },
        },
      }),
    ],
  });
  return backend.server;
}

const as = (user: string) => mockCredentials.user.header(user);

/** What the frontend's usePermission asks the permission backend. */
async function authorize(
  server: any,
  user: string,
  permission: Permission,
  resourceRef?: string,
) {
  const res = await request(server)
    .post('/api/permission/authorize')
    .set('Authorization', as(user))
    .send({ items: [{ id: '1', permission, resourceRef }] });
  expect(res.status).toBe(200);
  return res.body.items[0].result as AuthorizeResult;
}

describe('the policy in a backend with the permission and Batch Jobs plugins', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      awsPort: 0,
      seed: 42,
      clock: 'manual',
      startTime: Date.UTC(2026, 10, 2, 9, 0),
    });
    server = await startBackend(sandbox, {
      operators: [
        'group:default/batch-operators',
        { ref: 'group:default/dev-ops', vpcs: ['DEV'] },
      ],
      approvers: [],
    });
  });

  afterAll(async () => {
    await sandbox?.close().catch(() => undefined);
  });

  async function lastBuildNumber() {
    const res = await request(server)
      .get('/api/batch-jobs/builds')
      .query({ vpc: 'DEV', job: JOB, limit: 1 })
      // An operator: batch-jobs.vpc.read on every VPC.
      .set('Authorization', as('user:default/olga'));
    expect(res.status).toBe(200);
    return res.body.items[0].number as number;
  }

  const buildPosts = () =>
    sandbox.requests.filter(
      r => r.method === 'POST' && /\/build(WithParameters)?(\?|$)/.test(r.path),
    ).length;

  const rerun = async (user: string) => {
    const number = await lastBuildNumber();
    return request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', as(user))
      .send({ vpc: 'DEV', job: JOB, number });
  };

  it("refuses a stranger's rerun with a 403 naming the permission, and builds nothing", async () => {
    const before = buildPosts();
    const res = await rerun('user:default/sam');
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('batch-jobs.build.rerun');
    expect(buildPosts()).toBe(before);
  });

  it("lets an operator's rerun through (a member of an operators group)", async () => {
    const before = buildPosts();
    const res = await rerun('user:default/olga');
    expect(res.status).toBe(202);
    expect(buildPosts()).toBe(before + 1);
  });

  it("lets an owner's rerun through: the catalog's isEntityOwner rule decides", async () => {
    const before = buildPosts();
    const res = await rerun('user:default/jane');
    expect(res.status).toBe(202);
    expect(buildPosts()).toBe(before + 1);
  });

  it("refuses an owner's basic action (a routine run) with a 403", async () => {
    const res = await request(server)
      .post('/api/batch-jobs/routines/offline-node-sweep/run')
      .set('Authorization', as('user:default/jane'))
      .send({ dryRun: true });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('batch-jobs.routine.run');
  });

  it("answers the frontend's VPC-scoped checks VPC by VPC (the backend applies isInVpc)", async () => {
    const launch = batchJobsAgentLaunchPermission;
    expect(await authorize(server, 'user:default/dora', launch, 'DEV')).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await authorize(server, 'user:default/dora', launch, 'PROD')).toBe(
      AuthorizeResult.DENY,
    );
    // A VPC that is not configured is no resource: denied.
    expect(await authorize(server, 'user:default/dora', launch, 'QA')).toBe(
      AuthorizeResult.DENY,
    );
    expect(await authorize(server, 'user:default/olga', launch, 'PROD')).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await authorize(server, 'user:default/sam', launch, 'DEV')).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('limits a VPC-limited operator in the backend too: the whole PROD timeline is refused, DEV served', async () => {
    const timeline = (vpc: string) =>
      request(server)
        .get(`/api/batch-jobs/vpcs/${vpc}/timeline`)
        .set('Authorization', as('user:default/dora'));
    const prod = await timeline('PROD');
    expect(prod.status).toBe(403);
    expect(prod.body.error.message).toContain("VPC 'PROD'");
    expect(prod.body.error.message).toContain('batch-jobs.vpc.read');
    expect((await timeline('DEV')).status).toBe(200);
  });

  it("denies another plugin's permission: the module never opens other plugins", async () => {
    const catalogCreate = createPermission({
      name: 'catalog.entity.create',
      attributes: { action: 'create' },
    });
    expect(await authorize(server, 'user:default/olga', catalogCreate)).toBe(
      AuthorizeResult.DENY,
    );
  });
});

describe('the policy without batchJobs.permissions outside development', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    // Jest runs with NODE_ENV=test: not development, so closed.
    if (process.env.NODE_ENV === 'development') {
      throw new Error('This test needs NODE_ENV other than development');
    }
    sandbox = await startSandbox({
      port: 0,
      awsPort: 0,
      seed: 42,
      clock: 'manual',
      startTime: Date.UTC(2026, 10, 2, 9, 0),
    });
    server = await startBackend(sandbox);
  });

  afterAll(async () => {
    await sandbox?.close().catch(() => undefined);
  });

  it('denies every Batch Jobs action, and starts nothing', async () => {
    const before = sandbox.requests.filter(r => r.method === 'POST').length;
    const res = await request(server)
      .post('/api/batch-jobs/routines/offline-node-sweep/run')
      .set('Authorization', as('user:default/olga'))
      .send({ dryRun: true });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('batch-jobs.routine.run');
    expect(
      await authorize(
        server,
        'user:default/olga',
        batchJobsAgentLaunchPermission,
        'DEV',
      ),
    ).toBe(AuthorizeResult.DENY);
    expect(
      await authorize(
        server,
        'user:default/olga',
        batchJobsRoutineRunPermission,
      ),
    ).toBe(AuthorizeResult.DENY);
    expect(sandbox.requests.filter(r => r.method === 'POST').length).toBe(
      before,
    );
  });
});
