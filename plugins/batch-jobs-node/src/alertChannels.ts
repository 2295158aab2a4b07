import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { BuildAlertEvent } from '@batch-jobs/plugin-batch-jobs-common';

/**
 * One build event the backend reports: a catalog-linked job's build started,
 * succeeded, failed or recovered. Reported once per event across replicas
 * and restarts.
 * @public
 */
export interface BatchJobsBuildAlert {
  event: BuildAlertEvent;
  vpc: string;
  /** Title (or name) of the catalog entity the job belongs to. */
  appName: string;
  entityRef: string;
  /** Jenkins full name. */
  job: string;
  buildNumber: number;
  /** When the build started (start) or ended (other events). */
  at: Date;
  /** The real cause in words: the portal user, the timer, the upstream job. */
  cause: string;
  result: string | null;
  jenkinsUrl: string;
  portalUrl: string;
}

/**
 * A scheduled run that did not happen (`missed`), or a controller answering
 * again after an outage (`outage-over`, with the runs to catch up).
 * Reported once per run (or outage) across replicas and restarts.
 * @public
 */
export interface BatchJobsMissedRunAlert {
  event: 'missed' | 'outage-over';
  vpc: string;
  /** Jenkins full names of the jobs concerned. */
  jobs: string[];
  /** The minute the run should have started (missed). */
  expected?: Date;
  /** One line for a title, and the whole story with the reason. */
  title: string;
  text: string;
}

/**
 * Somewhere build alerts go besides the built-in Slack webhooks and
 * Backstage notifications: a pager, a chat other than Slack, a ticket queue.
 * @public
 */
export interface BatchJobsAlertChannel {
  /** Names the channel in logs and in the alert's delivery record. */
  id: string;
  /**
   * Delivers one alert; throwing marks the delivery failed (logged, the
   * other channels still get it). Called once per event.
   */
  deliver(
    alert: BatchJobsBuildAlert,
    context: {
      /** Owners (group or user refs) of the entities the job belongs to. */
      ownerRefs: string[];
    },
  ): Promise<void>;
  /**
   * Delivers a "did not run" alert or an outage's recovery note; channels
   * without it get only build alerts.
   */
  deliverMissedRun?(
    alert: BatchJobsMissedRunAlert,
    context: { ownerRefs: string[] },
  ): Promise<void>;
}

/** @public */
export interface BatchJobsAlertChannelsExtensionPoint {
  addAlertChannel(channel: BatchJobsAlertChannel): void;
}

/**
 * Adds alert channels to the Batch Jobs backend from a backend module:
 *
 * ```ts
 * createBackendModule({
 *   pluginId: 'batch-jobs',
 *   moduleId: 'pager-alerts',
 *   register(env) {
 *     env.registerInit({
 *       deps: { alerts: batchJobsAlertChannelsExtensionPoint },
 *       async init({ alerts }) {
 *         alerts.addAlertChannel({ id: 'pager', deliver: async alert => { … } });
 *       },
 *     });
 *   },
 * });
 * ```
 * @public
 */
export const batchJobsAlertChannelsExtensionPoint =
  createExtensionPoint<BatchJobsAlertChannelsExtensionPoint>({
    id: 'batch-jobs.alert-channels',
  });
