import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { BatchJobsAlertChannel } from '@batch-jobs/plugin-batch-jobs-node';
import { isError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ScheduledRunCheck,
  ScheduledRunReason,
} from '@batch-jobs/plugin-batch-jobs-common';
import { AlertsConfig, VpcConfig } from '../../config';
import { AlertKey, AlertStore } from '../../database/DatabaseAlertStore';
import {
  OutageRecord,
  ReachabilityStore,
} from '../../database/DatabaseReachabilityStore';
import { SlackWebhooks } from '../alerts/SlackWebhooks';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { MissedRuns } from './MissedRuns';
import { boundEntities, ownersOfJobs } from '../alerts/owners';

const message = (e: unknown) => (isError(e) ? e.message : String(e));
const MINUTE = 60_000;
/** The alert store's baseline row of the watcher: when it first watched a VPC (epoch minutes). */
const BASELINE_JOB = 'missed-runs';

/** A reason in words, for alerts and logs. @internal */
export function describeReason(reason: ScheduledRunReason): string {
  switch (reason.kind) {
    case 'controller-unreachable':
      return `controller ${reason.jenkins} unreachable since ${reason.since}`;
    case 'paused':
      return `paused by ${reason.by}${
        reason.reason ? `: ${reason.reason}` : ''
      }`;
    case 'disabled':
      return 'job disabled';
    case 'no-executor':
      return `no executor: ${reason.why}`;
    case 'queue-blocked':
      return `queue blocked: ${reason.why}`;
    default:
      return 'reason unknown';
  }
}

/**
 * Probes each Jenkins (recording when it answers and when it does not) and
 * reports each scheduled run that did not happen once, at most grace plus
 * one poll after its minute: Slack (the VPC's webhook) and a Backstage
 * notification to the owners of the entities claiming the job. When a
 * controller answers again, a recovery note says how many runs to catch up.
 * Runs as a global scheduled task; the alert store's claims make each
 * report once across replicas and restarts.
 * @public
 */
export class MissedRunWatcher {
  constructor(
    private readonly options: {
      alerts: AlertsConfig;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      missedRuns: MissedRuns;
      reachability: ReachabilityStore;
      store: AlertStore;
      slack: SlackWebhooks;
      catalog: CatalogService;
      auth: AuthService;
      notifications?: NotificationService;
      /** Channels backend modules added; those with deliverMissedRun get these alerts. */
      channels?: BatchJobsAlertChannel[];
      logger: LoggerService;
    },
  ) {}

  async tick(): Promise<void> {
    const { clients, directory, logger } = this.options;
    for (const client of clients.values()) {
      const closed = await this.probe(client);
      if (closed && this.options.alerts.enabled) {
        for (const vpc of directory
          .listVpcs()
          .filter(v => v.jenkins === client.name)) {
          await this.recovered(vpc, closed).catch(error =>
            logger.warn(
              `Missed runs: recovery note for ${vpc.name} failed: ${message(
                error,
              )}`,
            ),
          );
        }
      }
    }
    // Probed always (the report's reasons need it); alerts only when configured.
    if (!this.options.alerts.enabled) return;
    for (const vpc of directory.listVpcs()) {
      await this.alertMissed(vpc).catch(error =>
        logger.warn(
          `Missed runs: watching ${vpc.name} failed: ${message(error)}`,
        ),
      );
    }
  }

  /** Records whether the controller answers; returns the outage its answer ended. */
  private async probe(
    client: JenkinsClient,
  ): Promise<OutageRecord | undefined> {
    const { reachability, logger } = this.options;
    try {
      const { controllerNow } = await client.ping();
      return await reachability.recordAnswer(
        client.name,
        controllerNow,
        controllerNow.getTime() - Date.now(),
      );
    } catch (error) {
      await reachability.recordFailure(client.name, message(error), new Date());
      logger.warn(`Jenkins ${client.name} unreachable: ${message(error)}`);
      return undefined;
    }
  }

  private async alertMissed(vpc: VpcConfig) {
    const { missedRuns, store } = this.options;
    const { lookbackMs } = missedRuns.settings;
    const { now } = await missedRuns.controllerNow(vpc);
    // Runs before the watcher first looked at the VPC are never reported: a
    // new installation does not flood. The first replica's minute wins.
    const firstSeen =
      (await store.baseline(vpc.name, BASELINE_JOB, Math.floor(now / MINUTE))) *
      MINUTE;
    const from = Math.max(firstSeen, now - lookbackMs);
    const report = await missedRuns.report({ vpc: vpc.name, from });
    for (const run of report.runs) {
      if (run.state !== 'missed') continue;
      const key: AlertKey = {
        vpc: vpc.name,
        job: run.job,
        buildNumber: Math.floor(Date.parse(run.expected) / MINUTE),
        event: 'missed',
      };
      if (!(await store.claim(key))) continue;
      await this.deliver(vpc, key, {
        title: `Did not run: ${run.job.split('/').pop()} at ${run.expected}`,
        text: `${vpc.name} ${run.job} did not run at ${
          run.expected
        } (${describeReason(run.reason)})`,
        jobs: [run.job],
        severity: 'high',
      });
    }
  }

  private async recovered(vpc: VpcConfig, outage: OutageRecord) {
    const { missedRuns, store } = this.options;
    const report = await missedRuns.report({
      vpc: vpc.name,
      from: outage.since.getTime(),
    });
    const inOutage = (r: ScheduledRunCheck) =>
      r.state === 'missed' && r.reason.kind === 'controller-unreachable';
    const toCatchUp = report.runs.filter(inOutage);
    const key: AlertKey = {
      vpc: vpc.name,
      job: `controller:${vpc.jenkins}`,
      buildNumber: outage.id,
      event: 'outage-over',
    };
    if (!(await store.claim(key))) return;
    await this.deliver(vpc, key, {
      title: `Jenkins ${vpc.jenkins} is back: ${toCatchUp.length} runs to catch up in ${vpc.name}`,
      text: `Jenkins ${
        vpc.jenkins
      } was unreachable from ${outage.since.toISOString()} to ${outage.until?.toISOString()}; ${
        toCatchUp.length
      } scheduled runs of ${vpc.name} did not run and can be caught up`,
      jobs: [...new Set(toCatchUp.map(r => r.job))],
      severity: 'normal',
    });
  }

  private async deliver(
    vpc: VpcConfig,
    key: AlertKey,
    alert: {
      title: string;
      text: string;
      jobs: string[];
      severity: 'high' | 'normal';
    },
  ) {
    const { slack, store, logger, alerts } = this.options;
    const errors: string[] = [];
    let attempts = 0;
    if (vpc.alerts.slackWebhookUrl) {
      const delivery = await slack.post(vpc.alerts.slackWebhookUrl, {
        text: alert.text,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: alert.title } },
          { type: 'section', text: { type: 'mrkdwn', text: alert.text } },
        ],
      });
      attempts += delivery.attempts;
      if (!delivery.ok) errors.push(delivery.error ?? 'failed');
    }
    const owners = await this.ownersOf(vpc, alert.jobs);
    if (this.options.notifications && alerts.notifyOwners && owners.length) {
      try {
        await this.options.notifications.send({
          recipients: { type: 'entity', entityRef: owners },
          payload: {
            title: alert.title,
            description: alert.text,
            link: `${alerts.portalBaseUrl}/batch-fleet`,
            severity: alert.severity,
            topic: 'batch-jobs.missed-runs',
          },
        });
        attempts++;
      } catch (error) {
        errors.push(`notifications: ${message(error)}`);
      }
    }
    for (const channel of this.options.channels ?? []) {
      if (!channel.deliverMissedRun) continue;
      attempts++;
      try {
        await channel.deliverMissedRun(
          {
            event: key.event === 'outage-over' ? 'outage-over' : 'missed',
            vpc: vpc.name,
            jobs: alert.jobs,
            ...(key.event === 'missed'
              ? { expected: new Date(key.buildNumber * MINUTE) }
              : {}),
            title: alert.title,
            text: alert.text,
          },
          { ownerRefs: owners },
        );
      } catch (error) {
        errors.push(`${channel.id}: ${message(error)}`);
        logger.warn(`Alert channel ${channel.id} failed: ${message(error)}`);
      }
    }
    let state: 'sent' | 'failed' | 'skipped' = 'sent';
    if (attempts === 0 && errors.length === 0) state = 'skipped';
    else if (errors.length) state = 'failed';
    await store
      .record(key, {
        state,
        attempts,
        ...(errors.length ? { error: errors.join('; ') } : {}),
      })
      .catch(e => logger.warn(`Could not record alert delivery: ${e}`));
    logger.info('Missed run alert reported', {
      vpc: vpc.name,
      event: key.event,
      job: key.job,
      state,
    });
  }

  /** Owners of the catalog entities that claim any of the jobs. */
  private async ownersOf(vpc: VpcConfig, jobs: string[]): Promise<string[]> {
    if (jobs.length === 0) return [];
    const linked = await boundEntities(this.options);
    return ownersOfJobs(this.options.directory, linked, vpc, jobs);
  }
}
