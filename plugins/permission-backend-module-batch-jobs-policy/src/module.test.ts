import {
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
import { createPermissionIntegrationRouter } from '@backstage/plugin-permission-node';
import { Sandbox, startSandbox } from '@internal/batch-jobs-sandbox';
// The test hosts the Batch Jobs backend to exercise the policy end to end.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import batchJobsBackend from '@internal/plugin-batch-jobs-backend';
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

/**
 * The catalog's permission integration (apply-conditions, with the catalog's
 * own rules) over the mock's entities. Mounted by hand rather than through
 * the permissions registry: the registry's endpoint wants an actor (the
 * calling plugin) on on-behalf-of tokens, which the mock auth service drops.
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
    const backend = await startTestBackend({
      features: [
        permissionBackend,
        permissionModuleBatchJobsPolicy,
        batchJobsBackend,
        catalogPermissions,
        permissionsServiceFactory,
        permissionsRegistryServiceFactory,
        userInfoFactory,
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
              vpcs: [{ name: 'DEV', jenkins: 'sandbox', folder: 'DEV' }],
              cache: { ttlSeconds: 0 },
              permissions: {
                operators: ['group:default/batch-operators'],
                approvers: [],
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
  });

  afterAll(async () => {
    await sandbox?.close().catch(() => undefined);
  });

  const as = (user: string) => mockCredentials.user.header(user);

  async function lastBuildNumber() {
    const res = await request(server)
      .get('/api/batch-jobs/builds')
      .query({ vpc: 'DEV', job: JOB, limit: 1 })
      .set('Authorization', as('user:default/sam'));
    // Reads are not permission-gated.
    expect(res.status).toBe(200);
    return res.body.items[0].number as number;
  }

  const buildPosts = () =>
    sandbox.requests.filter(
      r => r.method === 'POST' && /\/build(WithParameters)?(\?|$)/.test(r.path),
    ).length;

  const rerun = async (user: string) =>
    request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', as(user))
      .send({ vpc: 'DEV', job: JOB, number: await lastBuildNumber() });

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
});
