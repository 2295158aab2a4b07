import express from 'express';
import Router from 'express-promise-router';
import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuditStore } from '../database/types';
import { PauseJob } from '../services/actions/PauseJob';
import { Rerun } from '../services/actions/Rerun';
import { RunJob } from '../services/actions/RunJob';
import { StopBuild } from '../services/actions/StopBuild';
import { JobReadAccess } from '../services/actions/readAccess';
import { JobDirectory } from '../services/jenkins/JobDirectory';
import { JobsView } from '../services/jobs/JobsView';
import { ConsoleLogs } from '../services/consoleLogs/ConsoleLogs';
import { PipelineRuns } from '../services/jobs/PipelineRuns';
import { SubmitInput } from '../services/actions/SubmitInput';
import { ScheduleTimeline } from '../services/schedules/ScheduleTimeline';
import { createAuditRouter } from './auditRouter';
import { createBuildsRouter } from './buildsRouter';
import { createControlsRouter } from './controlsRouter';
import { createJobsRouter } from './jobsRouter';
import { createTimelineRouter } from './timelineRouter';

/** @public */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  catalog: CatalogService;
  audit: AuditStore;
  directory: JobDirectory;
  /** Who may read a job's data, or a whole VPC's. */
  readAccess: JobReadAccess;
  /** Log streams one user may hold open at once (default 8). */
  maxLogStreamsPerUser?: number;
  /** Tail, bounded and shared live reads of logs (default: without a shared cache). */
  logs?: ConsoleLogs;
  jobs: JobsView;
  rerun: Rerun;
  timeline: ScheduleTimeline;
  /** Operator controls: run now, stop, pause/resume. */
  runJob?: RunJob;
  stopBuild?: StopBuild;
  pauseJob?: PauseJob;
  /** Pipeline stages and inputs: read them, answer an input. */
  runs?: PipelineRuns;
  submitInput?: SubmitInput;
}

/** The plugin's HTTP API, one router per concern. @public */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.use(createJobsRouter(options));
  router.use(createBuildsRouter(options));
  router.use(createAuditRouter(options));
  router.use(createTimelineRouter(options));
  const { runJob, stopBuild, pauseJob } = options;
  if (runJob && stopBuild && pauseJob) {
    router.use(
      createControlsRouter({ ...options, runJob, stopBuild, pauseJob }),
    );
  }
  return router;
}
