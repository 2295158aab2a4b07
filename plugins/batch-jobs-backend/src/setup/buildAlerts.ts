import type { BatchJobsAlertChannel } from '@batch-jobs/plugin-batch-jobs-node';
import { DatabaseAlertStore } from '../database/DatabaseAlertStore';
import { BuildAlertWatcher } from '../services/alerts/BuildAlertWatcher';
import { SlackWebhooks } from '../services/alerts/SlackWebhooks';
import { Foundation } from './foundation';

/** Build alerts, once per cluster; the store makes each event reported once. */
export async function scheduleBuildAlerts(
  base: Foundation,
  channels: BatchJobsAlertChannel[],
) {
  const alerts = base.batchJobsConfig.alerts;
  if (!alerts.enabled) return;
  const { logger, catalog, auth, notifications } = base.deps;
  const watcher = new BuildAlertWatcher({
    config: alerts,
    directory: base.directory,
    clients: base.clients,
    catalog,
    auth,
    audit: base.audit,
    store: DatabaseAlertStore.create({ db: base.db }),
    slack: new SlackWebhooks({ logger, maxAttempts: alerts.maxAttempts }),
    logger,
    notifications,
    channels,
  });
  await base.scheduler.scheduleTask({
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
        .catch(error => logger.error(`Build alert watcher failed: ${error}`));
    },
  });
}
