import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  batchJobsAgentProviderExtensionPoint,
  batchJobsAlertChannelsExtensionPoint,
  batchJobsJobLocatorsExtensionPoint,
  batchJobsTemplatesExtensionPoint,
  type BatchJobsAlertChannel,
  type BatchJobsJobLocator,
  type BatchJobsTemplateSource,
} from '@batch-jobs/plugin-batch-jobs-node';
import { DatabaseFleetOperationStore } from './database/DatabaseFleetOperationStore';
import { setupRoutines } from './routines';
import {
  AgentProviderChoice,
  AgentProviders,
} from './services/fleet/AgentProviders';
import { registerApprovalExecutors } from './setup/approvalExecutors';
import { scheduleBuildAlerts } from './setup/buildAlerts';
import {
  awsAccountCredentials,
  createEc2Agents,
  setupFleet,
} from './setup/fleet';
import { setupFleetRefresh } from './setup/fleetRefresh';
import { setupFoundation } from './setup/foundation';
import { setupJobConfig } from './setup/jobConfig';
import { createJobTemplates } from './setup/jobTemplates';
import { setupJobs } from './setup/jobs';
import { setupMissedRuns } from './setup/missedRuns';
import { setupOperations } from './setup/operations';
import { registerPermissions } from './setup/permissions';
import { scheduleSettlement } from './setup/settlement';

/**
 * Batch Jobs backend plugin: Jenkins batch jobs per VPC, builds, logs and an
 * audited rerun, served at `/api/batch-jobs`. Each part is built by its
 * factory in `setup/`; this only wires them.
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
    // Job locators backend modules add besides the built-in annotations.
    const jobLocators: BatchJobsJobLocator[] = [];
    env.registerExtensionPoint(batchJobsJobLocatorsExtensionPoint, {
      addJobLocator(locator) {
        jobLocators.push(locator);
      },
    });
    // Job template sources backend modules add (or replace built-ins with, by id).
    const templateSources = new Map<string, BatchJobsTemplateSource>();
    env.registerExtensionPoint(batchJobsTemplatesExtensionPoint, {
      addTemplateSource(source) {
        if (templateSources.has(source.id)) {
          throw new Error(`Job template source '${source.id}' is added twice`);
        }
        templateSources.set(source.id, source);
      },
    });
    // Where agents come from, when a backend module replaces EC2.
    const agentProviderChoices: AgentProviderChoice[] = [];
    env.registerExtensionPoint(batchJobsAgentProviderExtensionPoint, {
      setAgentProvider(provider, options) {
        agentProviderChoices.push({ provider, vpcs: options?.vpcs });
      },
    });
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        urlReader: coreServices.urlReader,
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
        signals: signalsServiceRef,
      },
      async init(deps) {
        const base = await setupFoundation(deps, { jobLocators });
        const { batchJobsConfig, gate } = base;
        registerPermissions(deps.permissionsRegistry, batchJobsConfig);

        const templates = createJobTemplates(deps, templateSources);
        const jobs = await setupJobs(base, templates);
        const accountCredentials = awsAccountCredentials(deps.config);
        const agents = AgentProviders.create({
          vpcs: batchJobsConfig.vpcs,
          defaultProvider: createEc2Agents(base, accountCredentials),
          choices: agentProviderChoices,
          logger: deps.logger,
        });
        await scheduleSettlement(base, { agents, pauses: jobs.pauses });
        const fleet = await setupFleet(base, agents);
        const { refresher } = await setupFleetRefresh(base, agents);
        const { redeployer } = await setupOperations(base, jobs.stopBuild);
        await scheduleBuildAlerts(base, alertChannels);
        await setupMissedRuns(base, jobs, alertChannels);

        // Routines: offline-node sweep, orphan reaper, Jenkins backup.
        const routines = await setupRoutines({
          ...deps,
          batchJobsConfig,
          db: base.db,
          clients: base.clients,
          agents,
          audit: base.audit,
          operations: DatabaseFleetOperationStore.create({ db: base.db }),
          scheduler: base.scheduler,
          readAccess: base.readAccess,
          accountCredentials,
          gate,
        });
        deps.httpRouter.use(routines.router);
        // A "run now" in flight at shutdown finishes before the database closes.
        deps.lifecycle.addShutdownHook(() => routines.runner.drain());

        const { writer, history } = setupJobConfig(base, templates);
        registerApprovalExecutors(gate, {
          ...jobs,
          ...fleet,
          redeployer,
          refresher,
          writer,
          history,
          routines: routines.runner,
        });

        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
        deps.logger.info('Batch Jobs backend ready', {
          jenkins: batchJobsConfig.jenkins
            .map(j => `${j.name}=${j.baseUrl}`)
            .join(', '),
          vpcs: batchJobsConfig.vpcs.map(v => v.name).join(', '),
        });
      },
    });
  },
});
