import { DatabasePauseStore } from '../database/DatabasePauseStore';
import { createRouter } from '../router';
import { scheduleResumeExpiredPauses } from '../routines/ResumeExpiredPauses';
import { PauseJob } from '../services/actions/PauseJob';
import { Rerun } from '../services/actions/Rerun';
import { RunJob } from '../services/actions/RunJob';
import { StopBuild } from '../services/actions/StopBuild';
import { SubmitInput } from '../services/actions/SubmitInput';
import { registerBatchJobsActions } from '../services/assistant/registerActions';
import { JobsView } from '../services/jobs/JobsView';
import { JobListings } from '../services/jobs/JobListings';
import { entityJobsChannel } from '@batch-jobs/plugin-batch-jobs-common';
import { ConsoleLogs } from '../services/consoleLogs/ConsoleLogs';
import { PipelineRuns } from '../services/jobs/PipelineRuns';
import { JobTemplates } from '../services/templates/JobTemplates';
import { ScheduleTimeline } from '../services/schedules/ScheduleTimeline';
import { actionDeps, Foundation } from './foundation';

/**
 * Jobs per entity and VPC, builds, logs, schedules, and the build controls
 * (rerun, run now, stop, pause), served by the REST routes and the AI
 * assistant actions.
 */
export async function setupJobs(base: Foundation, templates: JobTemplates) {
  const { batchJobsConfig, directory, clients, readCache, configs, audit } =
    base;
  const { logger, config } = base.deps;
  // Pipeline builds' stages and inputs (Stage View REST API).
  const runs = new PipelineRuns({ directory, clients });
  const { cache: cacheConfig } = batchJobsConfig;
  // One poller per watched Jenkins item, whatever the number of open tabs.
  const listings = new JobListings({
    cache: readCache,
    logger,
    intervalMs: Math.max(100, cacheConfig.watchIntervalSeconds * 1000),
    // Tabs with signals poll once a minute; a closed tab stops costing soon after.
    leaseMs: Math.max(90_000, 3 * cacheConfig.watchIntervalSeconds * 1000),
    ttlMs: cacheConfig.ttlSeconds * 1000,
    statsTtlMs: cacheConfig.scheduleTtlSeconds * 1000,
  });
  base.deps.lifecycle.addShutdownHook(() => listings.stop());
  const announce = async (entityRefs: string[], userRefs: string[]) => {
    for (const entityRef of entityRefs) {
      readCache.dropViews(JobsView.viewKeyPrefix(entityRef));
      // Only to users who read the list (and passed its checks) lately.
      const recipients = userRefs.length
        ? userRefs
        : listings.watchersOf(entityRef);
      if (recipients.length === 0) continue;
      await base.deps.signals.publish({
        recipients: { type: 'user', entityRef: recipients },
        channel: entityJobsChannel(entityRef),
        message: { changed: 'jobs' },
      });
    }
  };
  listings.setChangeListener(({ entityRefs, userRefs }) =>
    announce(entityRefs, userRefs),
  );
  const jobs = new JobsView({
    listings,
    extrasWaitMs: cacheConfig.extrasWaitMs,
    onExtrasLoaded: entityRef => {
      announce([entityRef], listings.watchersOf(entityRef)).catch(error =>
        logger.warn(`Could not announce a job list change: ${error}`),
      );
    },
    config: batchJobsConfig,
    directory,
    clients,
    runs,
    cache: readCache,
    configs,
    audit,
    logger,
    templateVersions: () => templates.currentVersions(),
  });
  const timeline = new ScheduleTimeline({
    config: batchJobsConfig,
    directory,
    clients,
    cache: readCache,
    configs,
  });
  const deps = actionDeps(base);
  const { idempotency, gate } = base;
  const rerun = new Rerun({ ...deps, idempotency, gate });
  const runJob = new RunJob({ ...deps, idempotency, gate });
  // Stops are not held (they limit damage); the gate tells the approvers.
  const stopBuild = StopBuild.fromConfig(config, { ...deps, gate });
  const pauses = DatabasePauseStore.create({ db: base.db });
  const pauseJob = new PauseJob({ ...deps, pauses, cache: readCache, gate });
  await scheduleResumeExpiredPauses({
    scheduler: base.scheduler,
    pauseJob,
    logger,
  });

  const { auth, userInfo, catalog, httpAuth, actionsRegistry } = base.deps;
  // The same reads and rerun for AI assistants (MCP), through the same checks.
  registerBatchJobsActions(actionsRegistry, {
    auth,
    userInfo,
    catalog,
    jobs,
    rerun,
    readAccess: base.readAccess,
    decorate: response => pauseJob.decorate(response),
  });
  base.deps.httpRouter.use(
    await createRouter({
      httpAuth,
      userInfo,
      catalog,
      audit,
      directory,
      readAccess: base.readAccess,
      maxLogStreamsPerUser: batchJobsConfig.logs.maxStreamsPerUser,
      logs: new ConsoleLogs({
        directory,
        clientFor: vpc => jobs.clientFor(vpc),
        cache: readCache,
        logger,
      }),
      jobs,
      rerun,
      timeline,
      runJob,
      stopBuild,
      pauseJob,
      runs,
      submitInput: new SubmitInput({ ...deps, idempotency, runs, gate }),
    }),
  );
  return { jobs, rerun, runJob, stopBuild, pauses, pauseJob };
}
