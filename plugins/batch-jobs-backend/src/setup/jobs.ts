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
  const jobs = new JobsView({
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
