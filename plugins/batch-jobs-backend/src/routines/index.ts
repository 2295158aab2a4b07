import {
  HttpAuthService,
  LoggerService,
  PermissionsService,
  SchedulerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { BatchJobsConfig } from '../config';
import { FleetOperationStore } from '../database/DatabaseFleetOperationStore';
import {
  DatabaseBackupStore,
  DatabaseNodeSightingStore,
  DatabaseRoutineRunStore,
} from '../database/DatabaseRoutineStore';
import { AuditStore } from '../database/types';
import { createRoutinesRouter } from '../router/routinesRouter';
import { JobReadAccess } from '../services/actions/readAccess';
import { BackupBucket } from '../services/aws/BackupBucket';
import type { AccountCredentials } from '../services/aws/Ec2Agents';
import { AgentProviders } from '../services/fleet/AgentProviders';
import { ApprovalGate } from '../services/approvals/ApprovalGate';
import { JenkinsClient } from '../services/jenkins/JenkinsClient';
import { JenkinsBackup } from './JenkinsBackup';
import { OfflineNodeSweep } from './OfflineNodeSweep';
import { OrphanReaper } from './OrphanReaper';
import { RoutineRunner } from './RoutineRunner';
import { readRoutinesConfig } from './routinesConfig';

/**
 * The three routines (offline-node sweep, orphan reaper, Jenkins backup):
 * built from `batchJobs.routines`, scheduled (global scope), and served by
 * the returned router.
 * @public
 */
export async function setupRoutines(options: {
  config: Config;
  batchJobsConfig: BatchJobsConfig;
  db: Knex;
  clients: Map<string, JenkinsClient>;
  agents: AgentProviders;
  audit: AuditStore;
  operations: FleetOperationStore;
  permissions: PermissionsService;
  scheduler: SchedulerService;
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  logger: LoggerService;
  /** Credentials of an AWS account (a bucket's `accountId`), from the AWS integration. */
  accountCredentials?: (accountId: string) => AccountCredentials;
  /** Holds a real "run now" while a VPC requires approval. */
  gate?: ApprovalGate;
  /** Routine history spans every VPC: read with batch-jobs.vpc.read on all. */
  readAccess?: JobReadAccess;
}) {
  const { batchJobsConfig, db, clients, agents, audit, operations, logger } =
    options;
  const routines = readRoutinesConfig(
    options.config,
    batchJobsConfig.jenkins.map(j => j.name),
  );
  const backups = DatabaseBackupStore.create({ db });
  const runner = new RoutineRunner({
    runs: DatabaseRoutineRunStore.create({ db }),
    permissions: options.permissions,
    logger,
    configs: routines,
    gate: options.gate,
    vpcs: batchJobsConfig.vpcs,
    audit,
  });
  const fleetDeps = {
    vpcs: batchJobsConfig.vpcs,
    clients,
    agents,
    audit,
    operations,
    logger,
  };
  runner.register(
    new OfflineNodeSweep({
      ...fleetDeps,
      sightings: DatabaseNodeSightingStore.create({ db }),
      gracePeriodMs: routines['offline-node-sweep'].gracePeriodMs,
    }),
  );
  runner.register(
    new OrphanReaper({
      ...fleetDeps,
      gracePeriodMs: routines['orphan-reaper'].gracePeriodMs,
    }),
  );
  const backup = routines['jenkins-backup'];
  runner.register(
    new JenkinsBackup({
      jenkins: backup.jenkins,
      client: clients.get(backup.jenkins)!,
      job: backup.job,
      bucket: backup.s3
        ? new BackupBucket(backup.s3, {
            accountCredentials: options.accountCredentials,
          })
        : undefined,
      backups,
      audit,
      logger,
      waitTimeoutMs: backup.waitTimeoutMs,
      pollIntervalMs: backup.pollIntervalMs,
      retention: backup.retention,
    }),
  );
  await runner.schedule(options.scheduler);
  return {
    runner,
    router: createRoutinesRouter({
      httpAuth: options.httpAuth,
      userInfo: options.userInfo,
      runner,
      backups,
      readAllVpcs: options.readAccess
        ? credentials =>
            options.readAccess!.checkVpcs(
              batchJobsConfig.vpcs,
              credentials,
              'the routines',
            )
        : undefined,
    }),
  };
}
