import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  batchJobsAlertChannelsExtensionPoint,
  type BatchJobsAlertChannel,
} from '@batch-jobs/plugin-batch-jobs-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  BATCH_JOBS_VPC_RESOURCE_TYPE,
  batchJobsPermissions,
} from '@batch-jobs/plugin-batch-jobs-common';
import { readBatchJobsConfig } from './config';
import {
  batchJobsVpcResourceRef,
  batchJobsVpcRules,
  vpcResource,
} from './services/access/vpcRules';
import { DatabaseAuditStore } from './database/DatabaseAuditStore';
import { AuditorForwardingStore } from './services/audit/AuditorForwardingStore';
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
import { JobReadAccess } from './services/actions/readAccess';
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
import { PipelineRuns } from './services/jobs/PipelineRuns';
import { SubmitInput } from './services/actions/SubmitInput';
import { JobWriter } from './services/jobs/JobWriter';
import { JobConfigHistory } from './services/jobs/JobConfigHistory';
import { DatabaseJobConfigHistoryStore } from './database/DatabaseJobConfigHistoryStore';
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
import {
  ApprovalExecutor,
  ApprovalGate,
} from './services/approvals/ApprovalGate';
import { WorkerRedeployer } from './services/workers/WorkerRedeployer';
import { registerBatchJobsActions } from './services/assistant/registerActions';

/**
 * Batch Jobs backend plugin: Jenkins batch jobs per VPC, builds, logs and an
 * audited rerun, served at `/api/batch-jobs`.
 * @public
 */
export const batchJobsPlugin = createBackendPlugin({
  pluginId: 'batch-jobs',
  register(env) {
    // Alert channels backend modules add besides Slack and notifications.
    const alertChannels: BatchJobsAlertChannel[] = [];
    env.registerExtensionPoint(batchJobsAlertChannelsExtensionPoint, {
      addAlertChannel(channel) {
        if (alertChannels.some(c => c.id === channel.id)) {
          throw new Error(`Alert channel '${channel.id}' is added twice`);
        }
        alertChannels.push(channel);
      },
    });
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
        auditor: coreServices.auditor,
        actionsRegistry: actionsRegistryServiceRef,
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
        auditor,
        actionsRegistry,
      }) {
        const batchJobsConfig = readBatchJobsConfig(config);
        // Every task below: a pass running at shutdown finishes before the database closes.
        const scheduler = drainOnShutdown(coreScheduler, lifecycle);

        const db = await database.getClient();
        if (!database.migrations?.skip) {
          await db.migrate.latest({
            directory: resolvePackagePath(
              '@batch-jobs/plugin-batch-jobs-backend',
              'migrations',
            ),
          });
        }
        // Our table for the UI and the reconciler; every action also goes to
        // the installation's auditor.
        const audit = new AuditorForwardingStore(
          DatabaseAuditStore.create({ db }),
          auditor,
          logger,
        );
        const idempotency = DatabaseIdempotencyStore.create({ db });

        const clients = new Map(
          batchJobsConfig.jenkins.map(c => [
            c.name,
            JenkinsClient.fromConfig(c, { logger }),
          ]),
        );
        const directory = JobDirectory.fromConfig(batchJobsConfig);
        // Job data is read through an entity that validly claims the job, or
        // with batch-jobs.vpc.read.
        const readAccess = new JobReadAccess({
          catalog,
          directory,
          permissions,
        });
        const readCache = new ReadCache(cache, logger);
        const configs = new JobConfigs({
          cache: readCache,
          ttlMs: batchJobsConfig.cache.scheduleTtlSeconds * 1000,
        });
        // Pipeline builds' stages and inputs (Stage View REST API).
        const runs = new PipelineRuns({ directory, clients });
        const jobs = new JobsView({
          config: batchJobsConfig,
          directory,
          clients,
          runs,
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
        // The four-eyes gate of VPCs with requireApproval: every action that
        // starts, changes or removes something there.
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
        const runJob = new RunJob({ ...actionDeps, idempotency, gate });
        // Stops are not held (they limit damage); the gate tells the approvers.
        const stopBuild = StopBuild.fromConfig(config, { ...actionDeps, gate });
        const pauses = DatabasePauseStore.create({ db });
        const pauseJob = new PauseJob({
          ...actionDeps,
          pauses,
          cache: readCache,
          gate,
        });
        await scheduleResumeExpiredPauses({ scheduler, pauseJob, logger });
        // The agent fleet: EC2 instances per VPC and their Jenkins nodes.
        // A VPC with aws.accountId takes its credentials from Backstage's
        // AWS integration (aws.mainAccount, aws.accounts[] with roleName).
        // Read only when a VPC names an account: an installation's `aws`
        // config is not ours to validate otherwise.
        let awsCredentials: DefaultAwsCredentialsManager | undefined;
        const ec2 = Ec2Agents.fromConfig(batchJobsConfig.vpcs, {
          logger,
          accountCredentials: accountId => {
            awsCredentials ??= DefaultAwsCredentialsManager.fromConfig(config);
            const manager = awsCredentials;
            return async () => {
              const { sdkCredentialProvider } =
                await manager.getCredentialProvider({ accountId });
              return sdkCredentialProvider();
            };
          },
        });

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
            // Then approved requests whose execution a crash interrupted,
            // from the action rows just settled (a launch's row waits for
            // its agent, so those get the connect timeout too).
            await gate
              .settleInterrupted({
                staleAfterMs,
                abandonAfterMs: Math.max(
                  2 * staleAfterMs,
                  staleAfterMs +
                    batchJobsConfig.fleet.connectTimeoutSeconds * 1000,
                ),
              })
              .catch(error =>
                logger.error(`Settling interrupted approvals failed: ${error}`),
              );
          },
        });

        permissionsRegistry.addPermissions(batchJobsPermissions);
        // VPC-scoped permissions: a policy's conditions (isInVpc,
        // requiresApproval) then also answer the frontend's checks, which
        // the permission backend sends here to apply.
        permissionsRegistry.addResourceType({
          resourceRef: batchJobsVpcResourceRef,
          permissions: batchJobsPermissions.filter(p =>
            isResourcePermission(p, BATCH_JOBS_VPC_RESOURCE_TYPE),
          ),
          rules: Object.values(batchJobsVpcRules),
          getResources: async names =>
            names.map(name => {
              const vpc = batchJobsConfig.vpcs.find(v => v.name === name);
              return vpc ? vpcResource(vpc) : undefined;
            }),
        });

        // The same reads and rerun for AI assistants (MCP), through the same checks.
        registerBatchJobsActions(actionsRegistry, {
          auth,
          userInfo,
          catalog,
          jobs,
          rerun,
          readAccess,
          decorate: response => pauseJob.decorate(response),
        });

        httpRouter.use(
          await createRouter({
            httpAuth,
            userInfo,
            catalog,
            audit,
            directory,
            readAccess,
            maxLogStreamsPerUser: batchJobsConfig.logs.maxStreamsPerUser,
            jobs,
            rerun,
            timeline,
            runJob,
            stopBuild,
            pauseJob,
            runs,
            submitInput: new SubmitInput({
              ...actionDeps,
              idempotency,
              runs,
              gate,
            }),
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
        const terminator = new AgentTerminator({ ...fleetDeps, gate });
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
            terminator,
            readAccess,
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
          leaseMs: batchJobsConfig.workers.leaseSeconds * 1000,
        });
        // Redeploys outlive requests and restarts: a shutdown hands the running
        // ones over after their current step; every replica takes over those
        // whose replica died (expired lease), at start and then periodically.
        lifecycle.addShutdownHook(() => redeployer.drain());
        await scheduler.scheduleTask({
          id: 'batch-jobs-worker-redeploys',
          frequency: {
            milliseconds: Math.min(
              Math.max(batchJobsConfig.workers.leaseSeconds * 500, 1000),
              30_000,
            ),
          },
          timeout: { minutes: 1 },
          scope: 'local',
          fn: () => redeployer.resumeAbandoned(),
        });
        // Approved requests are executed by their requester, with the
        // requester's own credentials: each action authorizes again, checks
        // the pinned hash and records the approver.
        gate.register('build.rerun', (request, approval, context) =>
          rerun.rerun(request.payload as any, { ...context, approval }),
        );
        gate.register('job.run', (request, approval, context) =>
          runJob.run(request.payload as any, { ...context, approval }),
        );
        gate.register('job.pause', (request, approval, context) => {
          const { until, ...rest } = request.payload as any;
          return pauseJob.pause(
            { ...rest, until: until ?? undefined },
            { ...context, approval },
          );
        });
        gate.register('job.resume', (request, approval, context) =>
          pauseJob.resume(request.payload as any, { ...context, approval }),
        );
        gate.register('agent.launch', (request, approval, context) => {
          const { vpc, type, reason } = request.payload as any;
          return launcher.launch(
            { vpc, type, reason: reason ?? undefined },
            { ...context, approval },
          );
        });
        gate.register('workers.redeploy', (request, approval, context) => {
          const { vpc, jobs: jobNames } = request.payload as any;
          return redeployer.redeploy(
            vpc,
            { jobs: jobNames },
            { ...context, approval },
          );
        });
        httpRouter.use(
          createOperationsRouter({
            httpAuth,
            userInfo,
            redeployer,
            gate,
            directory,
            readAccess,
          }),
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
            slack: new SlackWebhooks({
              logger,
              maxAttempts: alerts.maxAttempts,
            }),
            logger,
            notifications,
            channels: alertChannels,
          });
          await scheduler.scheduleTask({
            id: 'batch-jobs-build-alerts',
            frequency: { milliseconds: alerts.intervalSeconds * 1000 },
            timeout: { minutes: 5 },
            initialDelay: {
              milliseconds: Math.min(alerts.intervalSeconds * 1000, 10_000),
            },
            scope: 'global',
            fn: async () => {
              await watcher
                .tick()
                .catch(error =>
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
          readAccess,
          gate,
        });
        httpRouter.use(routines.router);
        // A "run now" in flight at shutdown finishes before the database closes.
        lifecycle.addShutdownHook(() => routines.runner.drain());

        // Jobs from the standard pipeline template (the scaffolder actions call
        // these routes), compared and promoted across VPCs; a promotion into a
        // VPC with requireApproval waits for a second person.
        // Every config.xml a portal write replaces is kept first (a way back).
        const configHistory = DatabaseJobConfigHistoryStore.create({ db });
        const writer = new JobWriter({
          directory,
          clients,
          audit,
          permissions,
          logger,
          cache: readCache,
          configs,
          catalog,
          gate,
          history: configHistory,
        });
        const history = new JobConfigHistory({
          store: configHistory,
          directory,
          clients,
          audit,
          permissions,
          catalog,
          logger,
          writer,
          gate,
        });
        gate.register('job.restore', (request, approval, context) => {
          const { vpc, job, versionId, entityRef } = request.payload as any;
          return history.restore(
            { vpc, job, versionId, entityRef: entityRef ?? undefined },
            { ...context, approval },
          );
        });
        gate.register('job.promote', (request, approval, context) =>
          writer.promote(request.payload as any, { ...context, approval }),
        );
        const executeWrite: ApprovalExecutor = (request, approval, context) => {
          const { mode, ...input } = request.payload as any;
          return writer.write(input, { ...context, approval }, mode);
        };
        gate.register('job.create', executeWrite);
        gate.register('job.update', executeWrite);
        gate.register('agent.terminate', (request, approval, context) => {
          const { vpc, node, force, reason } = request.payload as any;
          return terminator.terminate(
            { vpc, node, force, reason: reason ?? undefined },
            { ...context, approval },
          );
        });
        gate.register('routine.run', (request, approval, context) => {
          const { routine, dryRun } = request.payload as any;
          return routines.runner.runNow(
            routine,
            { dryRun },
            { ...context, approval },
          );
        });
        httpRouter.use(
          createJobConfigRouter({
            httpAuth,
            userInfo,
            writer,
            history,
            directory,
            readAccess,
          }),
        );

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
