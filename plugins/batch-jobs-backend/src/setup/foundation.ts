import {
  AuditorService,
  AuthService,
  CacheService,
  DatabaseService,
  HttpAuthService,
  HttpRouterService,
  LifecycleService,
  LoggerService,
  PermissionsRegistryService,
  PermissionsService,
  resolvePackagePath,
  RootConfigService,
  SchedulerService,
  UrlReaderService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { BatchJobsJobLocator } from '@batch-jobs/plugin-batch-jobs-node';
import { Knex } from 'knex';
import { BatchJobsConfig, readBatchJobsConfig } from '../config';
import { DatabaseApprovalStore } from '../database/DatabaseApprovalStore';
import { DatabaseAuditStore } from '../database/DatabaseAuditStore';
import { DatabaseIdempotencyStore } from '../database/DatabaseIdempotencyStore';
import { AuditStore, IdempotencyStore } from '../database/types';
import { drainOnShutdown } from '../routines/drainOnShutdown';
import { JobReadAccess } from '../services/actions/readAccess';
import { ApprovalGate } from '../services/approvals/ApprovalGate';
import { AuditorForwardingStore } from '../services/audit/AuditorForwardingStore';
import { JenkinsClient } from '../services/jenkins/JenkinsClient';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { ReadCache } from '../services/jobs/ReadCache';
import { SignalsService } from '@backstage/plugin-signals-node';
import { JobConfigs } from '../services/schedules/JobConfigs';

/** The Backstage services the plugin's init receives. */
export interface PluginDeps {
  logger: LoggerService;
  urlReader: UrlReaderService;
  config: RootConfigService;
  database: DatabaseService;
  httpRouter: HttpRouterService;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  permissionsRegistry: PermissionsRegistryService;
  cache: CacheService;
  scheduler: SchedulerService;
  lifecycle: LifecycleService;
  catalog: CatalogService;
  auth: AuthService;
  notifications: NotificationService;
  auditor: AuditorService;
  actionsRegistry: ActionsRegistryService;
  signals: SignalsService;
}

/** What every part of the plugin shares: config, database, Jenkins, the checks and the gate. */
export interface Foundation {
  deps: PluginDeps;
  batchJobsConfig: BatchJobsConfig;
  /** The scheduler, drained at shutdown: a pass in flight finishes before the database closes. */
  scheduler: SchedulerService;
  db: Knex;
  audit: AuditStore;
  idempotency: IdempotencyStore;
  clients: Map<string, JenkinsClient>;
  directory: JobDirectory;
  readAccess: JobReadAccess;
  readCache: ReadCache;
  configs: JobConfigs;
  gate: ApprovalGate;
}

/** Reads the config, migrates the database and builds the shared services. */
export async function setupFoundation(
  deps: PluginDeps,
  extensions: { jobLocators: BatchJobsJobLocator[] },
): Promise<Foundation> {
  const { logger, config, database, catalog, permissions } = deps;
  const batchJobsConfig = readBatchJobsConfig(config);
  const scheduler = drainOnShutdown(deps.scheduler, deps.lifecycle);

  const db = await database.getClient();
  if (!database.migrations?.skip) {
    await db.migrate.latest({
      directory: resolvePackagePath(
        '@batch-jobs/plugin-batch-jobs-backend',
        'migrations',
      ),
    });
  }
  // Our table for the UI and the reconciler; every action also goes to the
  // installation's auditor.
  const audit = new AuditorForwardingStore(
    DatabaseAuditStore.create({ db }),
    deps.auditor,
    logger,
  );
  const clients = new Map(
    batchJobsConfig.jenkins.map(c => [
      c.name,
      JenkinsClient.fromConfig(c, { logger }),
    ]),
  );
  const directory = JobDirectory.fromConfig(batchJobsConfig, {
    locators: extensions.jobLocators,
  });
  const readCache = new ReadCache(deps.cache, logger);
  return {
    deps,
    batchJobsConfig,
    scheduler,
    db,
    audit,
    idempotency: DatabaseIdempotencyStore.create({ db }),
    clients,
    directory,
    // Job data is read through an entity that validly claims the job, or
    // with batch-jobs.vpc.read.
    readAccess: new JobReadAccess({ catalog, directory, permissions }),
    readCache,
    configs: new JobConfigs({
      cache: readCache,
      ttlMs: batchJobsConfig.cache.scheduleTtlSeconds * 1000,
    }),
    // The four-eyes gate of VPCs with requireApproval: every action that
    // starts, changes or removes something there.
    gate: new ApprovalGate({
      approvals: DatabaseApprovalStore.create({ db }),
      audit,
      permissions,
      config: batchJobsConfig.approvals,
      logger,
      notifications: deps.notifications,
    }),
  };
}

/** The part of the foundation every audited action takes. */
export function actionDeps(base: Foundation) {
  const { directory, clients, audit } = base;
  const { permissions, catalog, logger } = base.deps;
  return { directory, clients, audit, permissions, catalog, logger };
}
