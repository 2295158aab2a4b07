import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
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
import { StopBuild } from './services/actions/StopBuild';
import { scheduleResumeExpiredPauses } from './routines/ResumeExpiredPauses';
import { JenkinsClient } from './services/jenkins/JenkinsClient';
import { JobDirectory } from './services/jenkins/JobDirectory';
import { JobsView } from './services/jobs/JobsView';
import { ReadCache } from './services/jobs/ReadCache';
import { JobConfigs } from './services/schedules/JobConfigs';
import { ScheduleTimeline } from './services/schedules/ScheduleTimeline';

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
        catalog: catalogServiceRef,
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
        scheduler,
        catalog,
      }) {
        const batchJobsConfig = readBatchJobsConfig(config);

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
        const rerun = new Rerun({
          directory,
          clients,
          audit,
          idempotency,
          permissions,
          catalog,
          logger,
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
        const pauseJob = new PauseJob({
          ...actionDeps,
          pauses: DatabasePauseStore.create({ db }),
          cache: readCache,
        });
        await scheduleResumeExpiredPauses({ scheduler, pauseJob, logger });

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
        // The agent fleet: EC2 instances per VPC and their Jenkins nodes.
        const ec2 = Ec2Agents.fromConfig(batchJobsConfig.vpcs, { logger });
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
