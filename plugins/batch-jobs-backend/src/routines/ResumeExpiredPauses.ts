import {
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { PauseJob } from '../services/actions/PauseJob';

/** Every minute: a timed pause ends within a minute of its end time. @public */
export const RESUME_PAUSES_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 1 },
  timeout: { minutes: 5 },
  initialDelay: { seconds: 30 },
  scope: 'global',
};

/**
 * Resumes jobs whose timed pause has ended. Global scope: one replica runs
 * it at a time, so a job is not enabled twice.
 * @public
 */
export async function scheduleResumeExpiredPauses(options: {
  scheduler: SchedulerService;
  pauseJob: PauseJob;
  logger: LoggerService;
  schedule?: SchedulerServiceTaskScheduleDefinition;
}) {
  const { scheduler, pauseJob, logger } = options;
  await scheduler.scheduleTask({
    id: 'batch-jobs-resume-expired-pauses',
    ...(options.schedule ?? RESUME_PAUSES_SCHEDULE),
    fn: async () => {
      const { resumed, failed } = await pauseJob.resumeDue();
      if (resumed || failed) {
        logger.info('Resumed jobs whose pause ended', { resumed, failed });
      }
    },
  });
}
