import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { batchJobsPermissions } from '@internal/plugin-batch-jobs-common';
import { readBatchJobsConfig } from './config';
import { DatabaseAuditStore } from './database/DatabaseAuditStore';
import { DatabaseIdempotencyStore } from './database/DatabaseIdempotencyStore';
import { DatabasePauseStore } from './database/DatabasePauseStore';
import { createRouter } from './router';
import { DatabaseFleetOperationStore } from './database/DatabaseFleetOperationStore';
import { createFleetRouter } from './router/fleetRouter';
import { Ec2Agents } from './services/aws/Ec2Agents';
import { AgentLauncher } from './services/fleet/AgentLauncher';
import { AgentTerminator } from './services/fleet/AgentTerminator';
import { FleetView } from './services/fleet/FleetView';
import { PauseJob } from './services/actions/PauseJob';
import { Rerun } from './services/actions/Rerun';
import { RunJob } from './services/actions/RunJob';
import {
  DEFAULT_ESCALATE_AFTER_SECONDS,
  StopBuild,
} from './services/actions/StopBuild';
import { PendingActionReconciler } from './services/actions/PendingActionReconciler';
import { scheduleResumeExpiredPauses } from './routines/ResumeExpiredPauses';
import { drainOnShutdown } from './routines/drainOnShutdown';
import { JenkinsClient } from './services/jenkins/JenkinsClient';
import { JobDirectory } from './services/jenkins/JobDirectory';
import { JobsView } from './services/jobs/JobsView';
import { JobWriter } from './services/jobs/JobWriter';
import { createJobConfigRouter } from './router/jobConfigRouter';
import { ReadCache } from './services/jobs/ReadCache';
import { JobConfigs } from './services/schedules/JobConfigs';
import { ScheduleTimeline } from './services/schedules/ScheduleTimeline';
import { setupRoutines } from './routines';
import { DatabaseAlertStore } from './database/DatabaseAlertStore';
import { DatabaseApprovalStore } from './database/DatabaseApprovalStore';
import { DatabaseOperationStore } from './database/DatabaseOperationStore';
import { createOperationsRouter } from './router/operationsRouter';
import { BuildAlertWatcher } from './services/alerts/BuildAlertWatcher';
import { SlackWebhooks } from './services/alerts/SlackWebhooks';
import { ApprovalGate } from './services/approvals/ApprovalGate';
import { WorkerRedeployer } from './services/workers/WorkerRedeployer';

/**
 * Batch Jobs backend plugin: Jenkins batch jobs per VPC, builds, logs and an
 * audited rerun, served at `/api/batch-jobs`.
 * @public
 */
export const batchJobsPlugin = createBackendPlugin({
  pluginId: 'batch-jobs',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        cache: coreServices.cache,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        notifications: notificationService,
      },
      async init({
        logger,
        config,
        database,
        httpRouter,
        httpAuth,
        userInfo,
        permissions,
        permissionsRegistry,
        cache,
        scheduler: coreScheduler,
        lifecycle,
        catalog,
        auth,
        notifications,
      }) {
        const batchJobsConfig = readBatchJobsConfig(config);
        // Every task below: a pass running at shutdown finishes before the database closes.
        const scheduler = drainOnShutdown(coreScheduler, lifecycle);

        const db = await database.getClient();
        if (!database.migrations?.skip) {
          await db.migrate.latest({
            directory: resolvePackagePath(
              '@internal/plugin-batch-jobs-backend',
              'migrations',
            ),
          });
        }
        const audit = DatabaseAuditStore.create({ db });
        const idempotency = DatabaseIdempotencyStore.create({ db });

        const clients = new Map(
          batchJobsConfig.jenkins.map(c => [
            c.name,
            JenkinsClient.fromConfig(c, { logger }),
          ]),
        );
        const directory = JobDirectory.fromConfig(batchJobsConfig);
        const readCache = new ReadCache(cache, logger);
        const configs = new JobConfigs({
          cache: readCache,
          ttlMs: batchJobsConfig.cache.scheduleTtlSeconds * 1000,
        });
        const jobs = new JobsView({
          config: batchJobsConfig,
          directory,
          clients,
          cache: readCache,
          configs,
          audit,
          logger,
        });
        const timeline = new ScheduleTimeline({
          config: batchJobsConfig,
          directory,
          clients,
          cache: readCache,
          configs,
        });
        // The four-eyes gate of VPCs with requireApproval (rerun, launch, redeploy).
        const gate = new ApprovalGate({
          approvals: DatabaseApprovalStore.create({ db }),
          audit,
          permissions,
          config: batchJobsConfig.approvals,
          logger,
          notifications,
        });
        const rerun = new Rerun({
          directory,
          clients,
          audit,
          idempotency,
          permissions,
          catalog,
          logger,
          gate,
        });

        const actionDeps = {
          directory,
          clients,
          audit,
          permissions,
          catalog,
          logger,
        };
        const runJob = new RunJob({ ...actionDeps, idempotency });
        const stopBuild = StopBuild.fromConfig(config, actionDeps);
        const pauses = DatabasePauseStore.create({ db });
        const pauseJob = new PauseJob({
          ...actionDeps,
          pauses,
          cache: readCache,
        });
        await scheduleResumeExpiredPauses({ scheduler, pauseJob, logger });
        // The agent fleet: EC2 instances per VPC and their Jenkins nodes.
        const ec2 = Ec2Agents.fromConfig(batchJobsConfig.vpcs, { logger });

        // A crash mid-action leaves audit rows `pending` and their keys in
        // flight: settle them from Jenkins' and EC2's record, once per
        // cluster, soon after start and then periodically.
        const staleAfterMs = batchJobsConfig.audit.staleAfterSeconds * 1000;
        const escalateAfterMs =
          (config.getOptionalNumber('batchJobs.stop.escalateAfterSeconds') ??
            DEFAULT_ESCALATE_AFTER_SECONDS) * 1000;
        const reconciler = new PendingActionReconciler({
          audit,
          idempotency,
          directory,
          clients,
          ec2,
          pauses,
          logger,
          staleAfterMs,
          // A stop escalates stop, term, kill: never settle one still escalating.
          staleAfterMsByAction: {
            'build.stop': Math.max(staleAfterMs, 3 * escalateAfterMs + 60_000),
          },
        });
        await scheduler.scheduleTask({
          id: 'batch-jobs-settle-interrupted-actions',
          frequency: {
            milliseconds: Math.min(
              Math.max(batchJobsConfig.audit.staleAfterSeconds * 500, 1000),
              300_000,
            ),
          },
          timeout: { minutes: 5 },
          // No initial delay: a starting backend settles what a crash left at once.
          scope: 'global',
          fn: async () => {
            await reconciler
              .reconcile()
              .catch(error =>
                logger.error(`Settling interrupted actions failed: ${error}`),
              );
          },
        });

        permissionsRegistry.addPermissions(batchJobsPermissions);

        httpRouter.use(
          await createRouter({
            httpAuth,
            userInfo,
            catalog,
            audit,
            directory,
            jobs,
            rerun,
            timeline,
            runJob,
            stopBuild,
            pauseJob,
          }),
        );
        const fleetDeps = {
          directory,
          clients,
          ec2,
          audit,
          permissions,
          logger,
        };
        const launcher = new AgentLauncher({
          ...fleetDeps,
          idempotency,
          operations: DatabaseFleetOperationStore.create({ db }),
          fleet: batchJobsConfig.fleet,
          gate,
        });
        httpRouter.use(
          createFleetRouter({
            httpAuth,
            userInfo,
            directory,
            fleet: new FleetView({
              vpcs: batchJobsConfig.vpcs,
              clients,
              ec2,
              logger,
            }),
            launcher,
            terminator: new AgentTerminator(fleetDeps),
          }),
        );
        // Launches outlive requests and restarts: follow the running ones.
        await scheduler.scheduleTask({
          id: 'batch-jobs-fleet-launches',
          frequency: {
            milliseconds: batchJobsConfig.fleet.pollIntervalSeconds * 1000,
          },
          timeout: { minutes: 2 },
          initialDelay: { milliseconds: 100 },
          scope: 'local',
          fn: () => launcher.advanceAll(),
        });

        // Operations: worker redeploys and the approvals of the four-eyes gate.
        const redeployer = new WorkerRedeployer({
          directory,
          clients,
          audit,
          operations: DatabaseOperationStore.create({ db }),
          permissions,
          stopBuild,
          logger,
          startTimeoutMs: batchJobsConfig.workers.startTimeoutSeconds * 1000,
          gate,
        });
        // Approved requests run as their requester, with the approver recorded.
        gate.register('build.rerun', async (request, approval) =>
          rerun.rerun(request.payload as any, {
            credentials: await auth.getOwnServiceCredentials(),
            actor: request.requestedBy,
            approval,
          }),
        );
        gate.register('agent.launch', async (request, approval) => {
          const { vpc, type, reason } = request.payload as any;
          return launcher.launch(
            { vpc, type, reason: reason ?? undefined },
            {
              credentials: await auth.getOwnServiceCredentials(),
              actor: request.requestedBy,
              approval,
            },
          );
        });
        gate.register('workers.redeploy', async (request, approval) => {
          const { vpc, jobs: jobNames } = request.payload as any;
          return redeployer.redeploy(
            vpc,
            { jobs: jobNames },
            {
              credentials: await auth.getOwnServiceCredentials(),
              actor: request.requestedBy,
              approval,
            },
          );
        });
        httpRouter.use(
          createOperationsRouter({ httpAuth, userInfo, redeployer, gate }),
        );

        // Build alerts: once per cluster; the store makes each event reported once.
        const alerts = batchJobsConfig.alerts;
        if (alerts.enabled) {
          const watcher = new BuildAlertWatcher({
            config: alerts,
            directory,
            clients,
            catalog,
            auth,
            audit,
            store: DatabaseAlertStore.create({ db }),
            slack: new SlackWebhooks({ logger, maxAttempts: alerts.maxAttempts }),
            logger,
            notifications,
          });
          await scheduler.scheduleTask({
            id: 'batch-jobs-build-alerts',
            frequency: { milliseconds: alerts.intervalSeconds * 1000 },
            timeout: { minutes: 5 },
            initialDelay: { milliseconds: Math.min(alerts.intervalSeconds * 1000, 10_000) },
            scope: 'global',
            fn: async () => {
              await watcher.tick().catch(error =>
                logger.error(`Build alert watcher failed: ${error}`),
              );
            },
          });
        }

        // Routines: offline-node sweep, orphan reaper, Jenkins backup.
        const routines = await setupRoutines({
          config,
          batchJobsConfig,
          db,
          clients,
          ec2,
          audit,
          operations: DatabaseFleetOperationStore.create({ db }),
          permissions,
          scheduler,
          httpAuth,
          userInfo,
          logger,
        });
        httpRouter.use(routines.router);

        // Jobs from the standard pipeline template (the scaffolder actions call
        // these routes), compared and promoted across VPCs; a promotion into a
        // VPC with requireApproval waits for a second person.
        const writer = new JobWriter({
          directory,
          clients,
          audit,
          permissions,
          logger,
          cache: readCache,
          configs,
          gate,
        });
        // 'job.promote' is not in ApprovalAction yet (common/operations.ts).
        gate.register('job.promote', async (request, approval) =>
          writer.promote(request.payload as any, {
            credentials: await auth.getOwnServiceCredentials(),
            actor: request.requestedBy,
            approval,
          }),
        );
        httpRouter.use(createJobConfigRouter({ httpAuth, userInfo, writer }));

        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        logger.info('Batch Jobs backend ready', {
          jenkins: batchJobsConfig.jenkins
            .map(j => `${j.name}=${j.baseUrl}`)
            .join(', '),
          vpcs: batchJobsConfig.vpcs.map(v => v.name).join(', '),
        });
      },
    });
  },
});
