import {
  BackendFeature,
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  AuthorizeResult,
  Permission,
} from '@backstage/plugin-permission-common';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { JsonObject } from '@backstage/types';
import {
  Sandbox,
  SandboxOptions,
  startSandbox,
} from '@internal/batch-jobs-sandbox';
import request from 'supertest';
import { batchJobsPlugin } from '../plugin';

/*
 * The integration tests' shared set-up: a sandbox (simulated Jenkins, EC2
 * and S3), a backend pointed at it, and requests signed in as Jane. Each
 * piece takes overrides, so a suite states only what it does differently.
 */

export type { Sandbox };

/** The Authorization header of Jane, the user of every integration test. */
export const JANE = mockCredentials.user.header('user:default/jane');
/** Where the sandbox's manual clock starts unless a suite says otherwise. */
export const START = Date.UTC(2026, 10, 2, 9, 0);
export const VPCS = ['DEV', 'STG', 'PROD'];

/** `defaults` with `overrides`; an override of `undefined` means "the plugin's default". */
function withOverrides(
  defaults: JsonObject,
  overrides: Record<string, unknown> = {},
): JsonObject {
  return Object.fromEntries(
    Object.entries({ ...defaults, ...overrides }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as JsonObject;
}

/** The sandbox on random ports, seed 42, on a manual clock from START. */
export function startTestSandbox(options: SandboxOptions = {}) {
  return startSandbox({
    port: 0,
    awsPort: 0,
    seed: 42,
    clock: 'manual',
    startTime: START,
    ...options,
  });
}

/** Teardown that tolerates a sandbox that never started. */
export async function closeSandbox(sandbox: Sandbox | undefined) {
  await sandbox?.close().catch(() => undefined);
}

/** The sandbox's Jenkins as the one `batchJobs.jenkins` entry, named `sandbox`. */
export const sandboxJenkins = (
  sandbox: Sandbox,
  overrides?: Record<string, unknown>,
) =>
  withOverrides(
    {
      name: 'sandbox',
      baseUrl: sandbox.jenkinsUrl,
      username: sandbox.credentials.username,
      apiToken: sandbox.credentials.apiToken,
      timeoutMs: 5000,
      readRetries: 0,
    },
    overrides,
  );

/** A VPC's (or S3's) `aws` block on the sandbox's AWS endpoint. */
export const sandboxAws = (
  sandbox: Sandbox,
  overrides?: Record<string, unknown>,
) =>
  withOverrides(
    {
      region: 'us-east-1',
      endpoint: sandbox.awsUrl,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      maxAttempts: 1,
    },
    overrides,
  );

export interface SandboxConfigOptions {
  /** Overrides of the Jenkins entry; `undefined` leaves a key to the plugin's default. */
  jenkins?: Record<string, unknown>;
  /** Gives each of DEV, STG and PROD the sandbox's AWS, with these overrides. */
  aws?: Record<string, unknown>;
  /** Further `batchJobs` keys (stop, fleet, routines, …); they replace the defaults here. */
  batchJobs?: JsonObject;
  /** Root config beside `batchJobs` (app, backend). */
  root?: JsonObject;
}

/**
 * The three VPCs on the sandbox's Jenkins, PROD behind the four-eyes gate;
 * `prod` adds keys to PROD (alerts, aws, …).
 */
export function fourEyesVpcs(prod: JsonObject = {}): JsonObject[] {
  return [
    { name: 'DEV', jenkins: 'sandbox', folder: 'DEV' },
    { name: 'STG', jenkins: 'sandbox', folder: 'STG' },
    {
      name: 'PROD',
      jenkins: 'sandbox',
      folder: 'PROD',
      requireApproval: true,
      ...prod,
    },
  ];
}

/**
 * The operators' bindings the tests' entities rely on: each service's
 * folder in every VPC goes to its component (their annotations claim them).
 */
export const TEST_OWNERSHIP = [
  {
    entity: 'component:default/payments-settlement',
    jobs: ['payments-settlement'],
  },
  { entity: 'component:default/push-notifier', jobs: ['push-notifier'] },
  { entity: 'component:default/report-builder', jobs: ['report-builder'] },
];

/** Root config: one Jenkins (the sandbox), DEV/STG/PROD folders on it, no read cache. */
export function sandboxConfig(
  sandbox: Sandbox,
  options: SandboxConfigOptions = {},
): JsonObject {
  return {
    ...options.root,
    batchJobs: {
      jenkins: [sandboxJenkins(sandbox, options.jenkins)],
      vpcs: VPCS.map(name => ({
        name,
        jenkins: 'sandbox',
        folder: name,
        ...(options.aws && { aws: sandboxAws(sandbox, options.aws) }),
      })),
      ownership: TEST_OWNERSHIP,
      ...options.batchJobs,
      // No read cache; lists wait for every schedule (a loaded CI machine
      // must not make them arrive later), unless a suite says otherwise.
      cache: {
        ttlSeconds: 0,
        extrasWaitMs: 600_000,
        ...(options.batchJobs?.cache as JsonObject | undefined),
      },
    },
  };
}

export interface TestBackendOptions extends SandboxConfigOptions {
  /** The catalog's entities; none by default. */
  entities?: Entity[];
  /** What every permission check answers; ALLOW by default. */
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  /** More features or service factories (logger, database, scheduler, …). */
  features?: BackendFeature[];
  /** Replaces the mock catalog of `entities` (e.g. catalogVisibleTo). */
  catalog?: BackendFeature;
  /** Replaces the one-answer permissions mock (e.g. permissionsPerUser). */
  permissions?: BackendFeature;
}

/** The batch-jobs plugin against the sandbox, with a mock catalog and permissions. */
export function startSandboxBackend(
  sandbox: Sandbox,
  options: TestBackendOptions = {},
) {
  return startTestBackend({
    features: [
      batchJobsPlugin,
      mockServices.rootConfig.factory({
        data: sandboxConfig(sandbox, options),
      }),
      options.catalog ??
        catalogServiceMock.factory({ entities: options.entities ?? [] }),
      options.permissions ??
        mockServices.permissions.factory({
          result: options.permission ?? AuthorizeResult.ALLOW,
        }),
      ...(options.features ?? []),
    ],
  });
}

/**
 * Two backends on one configuration: one where every permission check
 * allows (`server`), one where every check denies (`denied`). Both get the
 * same `features` objects: a mock wanted per backend needs two calls.
 */
export async function startAllowedAndDenied(
  sandbox: Sandbox,
  options: Omit<TestBackendOptions, 'permission'> = {},
): Promise<{ server: any; denied: any }> {
  const allowed = await startSandboxBackend(sandbox, options);
  const denied = await startSandboxBackend(sandbox, {
    ...options,
    permission: AuthorizeResult.DENY,
  });
  return { server: allowed.server, denied: denied.server };
}

/** A catalog Component with the given annotations. */
export function component(
  name: string,
  annotations: Record<string, string>,
  owner = 'team-payments',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner },
  };
}

/** payments-settlement: its jobs in every VPC. */
export const PAYMENTS_SETTLEMENT = component('payments-settlement', {
  'batch-jobs.io/jobs': 'payments-settlement',
});

/** push-notifier: its jobs in DEV and STG only. */
export const PUSH_NOTIFIER = component('push-notifier', {
  'batch-jobs.io/jobs': 'push-notifier',
  'batch-jobs.io/vpcs': 'DEV,STG',
});

/** Requests to the plugin's API as `auth` (Jane by default); `key` is an Idempotency-Key. */
export function api(server: any, auth: string = JANE) {
  const url = (path: string) => `/api/batch-jobs${path}`;
  return {
    get: (path: string, query: Record<string, unknown> = {}) =>
      request(server).get(url(path)).query(query).set('Authorization', auth),
    post: (path: string, body: unknown = {}, key?: string) => {
      const r = request(server).post(url(path)).set('Authorization', auth);
      if (key) r.set('Idempotency-Key', key);
      return r.send(body as object);
    },
    del: (path: string, query: Record<string, unknown> = {}) =>
      request(server).delete(url(path)).query(query).set('Authorization', auth),
  };
}

/** `api`, handing every response to `record` (e.g. to search them for secrets). */
export function recordedApi(
  server: any,
  record: (res: request.Response) => void,
  auth: string = JANE,
) {
  const client = api(server, auth);
  const recorded =
    <A extends unknown[]>(send: (...args: A) => request.Test) =>
    async (...args: A) => {
      const res = await send(...args);
      record(res);
      return res;
    };
  return {
    get: recorded(client.get),
    post: recorded(client.post),
    del: recorded(client.del),
  };
}

/** Build POSTs (build, buildWithParameters) the sandbox's Jenkins received since `mark`. */
export function buildPosts(sandbox: Sandbox, mark = 0) {
  return sandbox.requests
    .slice(mark)
    .filter(
      r => r.method === 'POST' && /\/build(WithParameters)?(\?|$)/.test(r.path),
    ).length;
}

/**
 * Every log line, as text, to search for secrets: `features` replace the
 * logger and root logger; `logger` is one more logger writing to `lines`.
 */
export function captureLogs() {
  const lines: string[] = [];
  const logger = (meta: Record<string, unknown> = {}): LoggerService => {
    const log = (level: string) => (message: string, extra?: unknown) => {
      lines.push(
        `${level} ${JSON.stringify(meta)} ${message} ${
          extra instanceof Error
            ? `${extra.message} ${extra.stack}`
            : JSON.stringify(extra ?? {})
        }`,
      );
    };
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: more => logger({ ...meta, ...more }),
    };
  };
  const features = [
    createServiceFactory({
      service: coreServices.logger,
      deps: { plugin: coreServices.pluginMetadata },
      factory: ({ plugin }) => logger({ plugin: plugin.getId() }),
    }),
    createServiceFactory({
      service: coreServices.rootLogger,
      deps: {},
      factory: () => logger() as any,
    }),
  ];
  return { lines, logger, features };
}

/** The user a request's credentials name, if a user. */
function userOf(credentials: any): string | undefined {
  return credentials?.principal?.type === 'user'
    ? credentials.principal.userEntityRef
    : undefined;
}

/**
 * A catalog that shows each user only what `visible` lets them see, as the
 * catalog's own permission checks would (reads with the user's credentials).
 * Service callers see everything.
 */
export function catalogVisibleTo(
  entities: Entity[],
  visible: (user: string, entity: Entity) => boolean,
) {
  const shows = (credentials: any, entity: Entity | undefined) => {
    const user = userOf(credentials);
    return entity && (!user || visible(user, entity)) ? entity : undefined;
  };
  return createServiceFactory({
    service: catalogServiceRef,
    deps: {},
    factory: () => {
      const inner = catalogServiceMock({ entities });
      return new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop === 'getEntityByRef') {
            return async (ref: any, options: any) =>
              shows(
                options?.credentials,
                await target.getEntityByRef(ref, options),
              );
          }
          if (prop === 'getEntitiesByRefs') {
            return async (req: any, options: any) => {
              const { items } = await target.getEntitiesByRefs(req, options);
              return { items: items.map(e => shows(options?.credentials, e)) };
            };
          }
          if (prop === 'getEntities') {
            return async (req: any, options: any) => {
              const { items } = await target.getEntities(req, options);
              return {
                items: items.filter(e => shows(options?.credentials, e)),
              };
            };
          }
          return Reflect.get(target, prop, receiver);
        },
      });
    },
  });
}

/**
 * Permissions decided per user, permission and resource (a VPC name or an
 * entity ref), like a policy would; service callers are allowed.
 */
export function permissionsPerUser(
  allows: (
    user: string,
    permission: Permission,
    resourceRef?: string,
  ) => boolean,
) {
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => {
      const decide = (credentials: any, r: any) => {
        const user = userOf(credentials);
        return {
          result:
            !user || allows(user, r.permission, r.resourceRef)
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        };
      };
      return {
        async authorize(requests: any[], options: any) {
          return requests.map(r => decide(options?.credentials, r));
        },
        async authorizeConditional(requests: any[], options: any) {
          return requests.map(r => decide(options?.credentials, r));
        },
      } as any;
    },
  });
}

/** The ref of a test entity, as the catalog writes it. */
export const refOf = (entity: Entity) => stringifyEntityRef(entity);

/** A notification service that keeps what is sent in `into`. */
export const capturingNotifications = (into: any[]) =>
  createServiceFactory({
    service: notificationService,
    deps: {},
    factory: () => ({
      send: async (notification: any) => {
        into.push(notification);
      },
    }),
  });

/** A signals service that keeps what is published in `into`. */
export const capturingSignals = (into: any[]) =>
  createServiceFactory({
    service: signalsServiceRef,
    deps: {},
    factory: () => ({
      publish: async (signal: any) => {
        into.push(signal);
      },
    }),
  });
