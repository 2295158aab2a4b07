import { ServiceFactory } from '@backstage/backend-plugin-api';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { permissionsRegistryServiceFactory } from '@backstage/backend-defaults/permissionsRegistry';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import catalogBackend from '@backstage/plugin-catalog-backend';
import permissionBackend from '@backstage/plugin-permission-backend';
import { JsonObject } from '@backstage/types';
import { Sandbox, startSandbox } from '@internal/batch-jobs-sandbox';
// The suite hosts the Batch Jobs backend to play attacks end to end.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import batchJobsBackend from '@batch-jobs/plugin-batch-jobs-backend';
import request from 'supertest';
import { CatalogHost, startCatalogHost } from './catalogHost';
import { httpAuthWithActorFactory, userInfoFactory } from './mockAuth';
import { HiddenEntities, securityPolicyModule } from './policy';

/*
 * The security suite's portal: the real catalog (on the test SQLite
 * database, entities registered through its locations API), the real
 * permission backend with the Batch Jobs policy, the real permissions
 * clients between plugins, and the Batch Jobs backend against the sandbox's
 * Jenkins and AWS. Users sign in with mock credentials; their groups come
 * from a userInfo service as a sign-in resolver would give them.
 */

/** Where the sandbox's manual clock starts. */
export const START = Date.UTC(2026, 10, 2, 9, 0);

export const USERS = {
  /** The attacker: a member of her own team only. */
  mallory: 'user:default/mallory',
  /** Owner (through team-payments) of payments-settlement. */
  jane: 'user:default/jane',
  /** Owner (through team-secret) of secret-service. */
  sam: 'user:default/sam',
  /** An operator (every Batch Jobs action) and approver. */
  olga: 'user:default/olga',
  /** An approver (release manager), nothing else. */
  alice: 'user:default/alice',
  /** Any colleague: sees the whole catalog, owns nothing, holds no grant. */
  victor: 'user:default/victor',
};

export const GROUPS: Record<string, string[]> = {
  [USERS.mallory]: ['group:default/team-mallory'],
  [USERS.jane]: ['group:default/team-payments'],
  [USERS.sam]: ['group:default/team-secret'],
  [USERS.olga]: ['group:default/batch-operators'],
  [USERS.alice]: ['group:default/release-managers'],
  [USERS.victor]: [],
};

/** The operators' section of the policy (`batchJobs.permissions`). */
export const PERMISSIONS = {
  operators: ['group:default/batch-operators'],
  approvers: [
    'group:default/release-managers',
    'group:default/batch-operators',
  ],
  entityOwnersMayAct: true,
};

/** Operator-owned bindings: which entity may claim which jobs. */
export const OWNERSHIP = [
  {
    entity: 'component:default/payments-settlement',
    jobs: ['payments-settlement'],
  },
  { entity: 'component:default/secret-service', jobs: ['report-builder'] },
];

/** A catalog Component. */
export function component(
  name: string,
  owner: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner },
  };
}

/** The legitimate entities, each claiming the jobs its binding gives it. */
export const PAYMENTS_SETTLEMENT = component(
  'payments-settlement',
  'group:default/team-payments',
  { 'batch-jobs.io/jobs': 'payments-settlement' },
);
export const SECRET_SERVICE = component(
  'secret-service',
  'group:default/team-secret',
  { 'batch-jobs.io/jobs': 'report-builder' },
);

/** The test utils' scheduler: a service that is also its own factory. */
type MockScheduler = ReturnType<typeof mockServices.scheduler> & {
  factory(options?: { skipTaskRunOnStartup?: boolean }): ServiceFactory;
};

export interface SecurityBackendOptions {
  /** `batchJobs` keys replacing the suite's defaults (vpcs, ownership, permissions…). */
  batchJobs?: JsonObject;
  /** Entities each user must not see in the catalog. */
  hidden?: HiddenEntities;
  /** The whole root config's `batchJobs` instead of the suite's (e.g. the production config's). */
  batchJobsFor?: (sandbox: Sandbox) => Promise<JsonObject>;
}

export interface SecurityBackend {
  server: any;
  sandbox: Sandbox;
  /** The mock scheduler of every plugin: trigger a task with `triggerTask(id)`. */
  scheduler: MockScheduler;
  /** Requests to `/api/batch-jobs` signed as `user`. */
  as(user: string): BatchJobsClient;
  /** Registers `entities` through `POST /api/catalog/locations` as `user`, and waits until processed. */
  register(user: string, name: string, entities: Entity[]): Promise<void>;
  /** The catalog's answer for `ref` as `user` (404 when hidden from them). */
  catalogEntity(user: string, ref: string): Promise<request.Response>;
  close(): Promise<void>;
}

export interface BatchJobsClient {
  get(path: string, query?: Record<string, unknown>): Promise<request.Response>;
  post(path: string, body?: unknown): Promise<request.Response>;
  del(path: string, query?: Record<string, unknown>): Promise<request.Response>;
}

/** The suite's `batchJobs`: one Jenkins (the sandbox), DEV/STG/PROD (PROD four-eyes), AWS on the sandbox. */
export function batchJobsConfig(sandbox: Sandbox): JsonObject {
  const aws = {
    region: 'us-east-1',
    endpoint: sandbox.awsUrl,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
  return {
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
      { name: 'DEV', jenkins: 'sandbox', folder: 'DEV', aws },
      { name: 'STG', jenkins: 'sandbox', folder: 'STG', aws },
      {
        name: 'PROD',
        jenkins: 'sandbox',
        folder: 'PROD',
        aws,
        requireApproval: true,
      },
    ],
    cache: { ttlSeconds: 0 },
    ownership: OWNERSHIP,
    permissions: PERMISSIONS,
  };
}

export async function startSecurityBackend(
  options: SecurityBackendOptions = {},
): Promise<SecurityBackend> {
  const sandbox = await startSandbox({
    port: 0,
    awsPort: 0,
    seed: 42,
    clock: 'manual',
    startTime: START,
  });
  let host: CatalogHost | undefined;
  try {
    host = await startCatalogHost();
    const scheduler = mockServices.scheduler() as MockScheduler;
    const backend = await startTestBackend({
      features: [
        catalogBackend,
        permissionBackend,
        securityPolicyModule(options.hidden ?? {}),
        batchJobsBackend,
        permissionsServiceFactory,
        permissionsRegistryServiceFactory,
        httpAuthWithActorFactory,
        userInfoFactory(GROUPS),
        // No task runs on its own: a test triggers the one it plays.
        scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: {
            backend: { reading: { allow: [{ host: host.host }] } },
            permission: { enabled: true },
            catalog: {
              rules: [{ allow: ['Component', 'Location'] }],
              processingInterval: { seconds: 1 },
            },
            batchJobs: options.batchJobsFor
              ? await options.batchJobsFor(sandbox)
              : { ...batchJobsConfig(sandbox), ...options.batchJobs },
          },
        }),
      ],
    });
    const server = backend.server;
    const catalogHost = host;

    const as = (user: string): BatchJobsClient => {
      const auth = mockCredentials.user.header(user);
      const url = (path: string) => `/api/batch-jobs${path}`;
      return {
        get: (path, query = {}) =>
          request(server)
            .get(url(path))
            .query(query)
            .set('Authorization', auth),
        post: (path, body = {}) =>
          request(server)
            .post(url(path))
            .set('Authorization', auth)
            .send(body as object),
        del: (path, query = {}) =>
          request(server)
            .delete(url(path))
            .query(query)
            .set('Authorization', auth),
      };
    };

    const catalogEntity = (user: string, ref: string) => {
      const [kind, rest] = ref.split(':');
      const [namespace, name] = rest.split('/');
      return request(server)
        .get(`/api/catalog/entities/by-name/${kind}/${namespace}/${name}`)
        .set('Authorization', mockCredentials.user.header(user));
    };

    const register = async (user: string, name: string, entities: Entity[]) => {
      const target = catalogHost.publish(name, entities);
      const res = await request(server)
        .post('/api/catalog/locations')
        .set('Authorization', mockCredentials.user.header(user))
        .send({ type: 'url', target });
      if (res.status !== 201) {
        throw new Error(
          `Registering ${target} answered ${res.status}: ${JSON.stringify(
            res.body,
          )}`,
        );
      }
      // Processed once the catalog serves every entity, annotations included.
      const deadline = Date.now() + 30_000;
      for (const entity of entities) {
        const ref = stringifyEntityRef(entity);
        for (;;) {
          const found = await catalogEntity(USERS.olga, ref);
          if (found.status === 200) break;
          if (Date.now() > deadline) {
            throw new Error(
              `The catalog did not process ${ref} within 30 s (last answer ${found.status})`,
            );
          }
          await new Promise(r => setTimeout(r, 100));
        }
      }
    };

    return {
      server,
      sandbox,
      scheduler,
      as,
      register,
      catalogEntity,
      async close() {
        await backend.stop().catch(() => undefined);
        await catalogHost.close();
        await sandbox.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await host?.close();
    await sandbox.close().catch(() => undefined);
    throw error;
  }
}

/** Jenkins requests that change something (any POST) since `mark`. */
export function jenkinsWrites(sandbox: Sandbox, since: number): string[] {
  return sandbox.requests
    .slice(since)
    .filter(r => r.method !== 'GET' && r.method !== 'HEAD')
    .map(r => `${r.method} ${r.path}`);
}

/** EC2 calls that change something (anything but Describe*) since `mark`. */
export function ec2Writes(sandbox: Sandbox, since: number): string[] {
  return sandbox.aws.requests
    .slice(since)
    .filter(r => r.service === 'ec2' && !r.action.startsWith('Describe'))
    .map(r => r.action);
}

/** Both logs' lengths now, to compare with later. */
export function mark(sandbox: Sandbox) {
  return { jenkins: sandbox.requests.length, aws: sandbox.aws.requests.length };
}
