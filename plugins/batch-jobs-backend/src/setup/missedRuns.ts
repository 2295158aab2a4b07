import type { BatchJobsAlertChannel } from '@batch-jobs/plugin-batch-jobs-node';
import { DatabaseAlertStore } from '../database/DatabaseAlertStore';
import { DatabaseCatchUpStore } from '../database/DatabaseCatchUpStore';
import { PauseStore } from '../database/DatabasePauseStore';
import { DatabaseReachabilityStore } from '../database/DatabaseReachabilityStore';
import { createMissedRunsRouter } from '../router/missedRunsRouter';
import { RunJob } from '../services/actions/RunJob';
import { SlackWebhooks } from '../services/alerts/SlackWebhooks';
import { CatchUp } from '../services/missedRuns/CatchUp';
import { MissedRunWatcher } from '../services/missedRuns/MissedRunWatcher';
import { MissedRuns } from '../services/missedRuns/MissedRuns';
import { readMissedRunsConfig } from '../services/missedRuns/missedRunsConfig';
import { actionDeps, Foundation } from './foundation';

/**
 * Missed runs and outages: the reachability probe and "did not run" alerts
 * (once per cluster), the expected-versus-actual report, and catch-ups
 * (resumed after a restart by whichever replica finds them unheld).
 */
export async function setupMissedRuns(
  base: Foundation,
  jobs: { runJob: RunJob; pauses: PauseStore },
  channels: BatchJobsAlertChannel[],
) {
  const { batchJobsConfig, directory, clients, configs, db } = base;
  const { logger, config, httpAuth, userInfo, lifecycle } = base.deps;
  const settings = readMissedRunsConfig(config);
  const reachability = DatabaseReachabilityStore.create({ db });
  const missedRuns = new MissedRuns({
    config: batchJobsConfig,
    missedRuns: settings,
    directory,
    clients,
    configs,
    cache: base.readCache,
    pauses: jobs.pauses,
    reachability,
    logger,
  });
  const catchUp = new CatchUp({
    ...actionDeps(base),
    gate: base.gate,
    idempotency: base.idempotency,
    runJob: jobs.runJob,
    missedRuns,
    store: DatabaseCatchUpStore.create({ db }),
  });
  const watcher = new MissedRunWatcher({
    alerts: batchJobsConfig.alerts,
    directory,
    clients,
    missedRuns,
    reachability,
    store: DatabaseAlertStore.create({ db }),
    slack: new SlackWebhooks({
      logger,
      maxAttempts: batchJobsConfig.alerts.maxAttempts,
    }),
    catalog: base.deps.catalog,
    auth: base.deps.auth,
    notifications: base.deps.notifications,
    channels,
    logger,
  });
  await base.scheduler.scheduleTask({
    id: 'batch-jobs-missed-runs',
    frequency: { milliseconds: settings.pollIntervalMs },
    timeout: { minutes: 5 },
    initialDelay: { milliseconds: Math.min(settings.pollIntervalMs, 5000) },
    scope: 'global',
    fn: async () => {
      await watcher
        .tick()
        .catch(error => logger.error(`Missed run watcher failed: ${error}`));
      // Catch-ups a stopped replica left: taken over once their lease expired.
      await catchUp
        .resume()
        .catch(error => logger.error(`Catch-up resume failed: ${error}`));
    },
  });
  lifecycle.addShutdownHook(() => catchUp.close());
  base.deps.httpRouter.use(
    createMissedRunsRouter({
      httpAuth,
      userInfo,
      directory,
      readAccess: base.readAccess,
      missedRuns,
      catchUp,
    }),
  );
  return { missedRuns, catchUp };
}
