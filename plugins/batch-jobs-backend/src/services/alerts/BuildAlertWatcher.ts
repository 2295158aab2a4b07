import type { BatchJobsAlertChannel } from '@batch-jobs/plugin-batch-jobs-node';
import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { isError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  BATCH_JOBS_SLACK_WEBHOOK_ANNOTATION,
  BuildAlertEvent,
} from '@batch-jobs/plugin-batch-jobs-common';
import { AlertsConfig, VpcConfig } from '../../config';
import { AlertKey, AlertStore } from '../../database/DatabaseAlertStore';
import { AuditStore } from '../../database/types';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { isFolder, mapCauses } from '../jenkins/mapping';
import { mapPendingInputs } from '../jenkins/stages';
import { RawBuild, RawJob } from '../jenkins/types';
import { AlertDecision, decideAlerts } from './alertDecisions';
import { BuildAlert, alertTitle, buildSlackMessage } from './slackMessage';
import { SlackWebhooks } from './SlackWebhooks';
import { boundEntities, LinkedEntity, ownerOf } from './owners';

const PORTAL_VERBS: Record<string, string> = {
  'build.rerun': 'Rerun',
  'job.run': 'Run',
  'worker.redeploy': 'Redeployed',
};

const message = (e: unknown) => (isError(e) ? e.message : String(e));

/**
 * Notices builds of catalog-linked jobs that start, succeed or fail and
 * reports each event once: Slack (per VPC and per entity) and a Backstage
 * notification to the entity's owner. Runs as a global scheduled task; the
 * store's claims make each event reported once across replicas and
 * restarts. Never throws out of a tick for one bad job or webhook.
 * @public
 */
export class BuildAlertWatcher {
  /** Events this process already claimed or saw claimed: saves a DB round trip per tick. */
  private readonly seen = new Set<string>();
  private readonly baselines = new Map<string, number>();
  private readonly events: ReadonlySet<BuildAlertEvent>;

  constructor(
    private readonly options: {
      config: AlertsConfig;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      catalog: CatalogService;
      auth: AuthService;
      audit: AuditStore;
      store: AlertStore;
      slack: SlackWebhooks;
      logger: LoggerService;
      notifications?: NotificationService;
      /** Channels backend modules added (batchJobsAlertChannelsExtensionPoint). */
      channels?: BatchJobsAlertChannel[];
    },
  ) {
    this.events = new Set(options.config.events);
  }

  /** One look at every linked job of every VPC. */
  async tick(): Promise<void> {
    const { directory, logger } = this.options;
    let linked: LinkedEntity[];
    try {
      linked = await boundEntities(this.options);
    } catch (error) {
      logger.warn(
        `Alert watcher could not read the catalog: ${message(error)}`,
      );
      return;
    }
    if (linked.length === 0) return;
    for (const vpc of directory.listVpcs()) {
      const inVpc = linked.filter(l =>
        l.selection.vpcs.some(v => v.name === vpc.name),
      );
      if (inVpc.length === 0) continue;
      await this.watchVpc(vpc, inVpc).catch(error =>
        logger.warn(
          `Alert watcher failed on VPC ${vpc.name}: ${message(error)}`,
        ),
      );
    }
    if (this.seen.size > 50_000) this.seen.clear();
  }

  private async watchVpc(vpc: VpcConfig, linked: LinkedEntity[]) {
    const { directory, logger } = this.options;
    const client = this.options.clients.get(vpc.jenkins)!;
    const folders = new Set<string>();
    for (const l of linked) {
      for (const selector of l.selection.selectorsByVpc.get(vpc.name) ?? []) {
        folders.add(directory.parentFolder(vpc, selector));
      }
    }
    const jobs = new Map<string, RawJob>();
    for (const folder of folders) {
      try {
        const raw = await client.listFolder(folder);
        for (const item of raw.jobs ?? []) {
          if (isFolder(item)) {
            for (const inner of item.jobs ?? []) {
              if (!isFolder(inner) && inner.fullName)
                jobs.set(inner.fullName, inner);
            }
          } else if (item.fullName) jobs.set(item.fullName, item);
        }
      } catch (error) {
        logger.warn(
          `Alert watcher could not list folder '${folder}' of ${
            vpc.name
          }: ${message(error)}`,
        );
      }
    }
    for (const [fullName, job] of jobs) {
      const owners = linked.filter(l =>
        directory.selects(l.selection, vpc, fullName),
      );
      if (owners.length === 0) continue;
      await this.watchJob(vpc, client, fullName, job, owners).catch(error =>
        logger.warn(`Alert watcher failed on ${fullName}: ${message(error)}`),
      );
    }
  }

  private async watchJob(
    vpc: VpcConfig,
    client: JenkinsClient,
    fullName: string,
    job: RawJob,
    owners: LinkedEntity[],
  ) {
    const { store } = this.options;
    const builds = (job.builds ?? [])
      .filter(b => typeof b.number === 'number')
      .map(b => ({ number: b.number!, result: b.result ?? null }));
    const newest = Math.max(
      0,
      job.lastBuild?.number ?? 0,
      ...builds.map(b => b.number),
    );
    const baselineKey = `${vpc.name}\n${fullName}`;
    let baseline = this.baselines.get(baselineKey);
    if (baseline === undefined) {
      baseline = await store.baseline(vpc.name, fullName, newest);
      this.baselines.set(baselineKey, baseline);
    }
    for (const decision of decideAlerts(builds, baseline, this.events)) {
      const key: AlertKey = {
        vpc: vpc.name,
        job: fullName,
        buildNumber: decision.number,
        event: decision.event,
      };
      const seenKey = JSON.stringify(key);
      if (this.seen.has(seenKey)) continue;
      const claimed = await store.claim(key);
      this.seen.add(seenKey);
      if (!claimed) continue;
      await this.report(vpc, client, key, decision, owners);
    }
    await this.watchInput(vpc, client, fullName, job, owners);
  }

  /**
   * A pipeline build that starts waiting at an `input` step: its entities'
   * owners hear it once (the store's claim), with the input's message and a
   * link to proceed or abort it in the portal. One Stage View read per
   * running pipeline build not yet reported.
   */
  private async watchInput(
    vpc: VpcConfig,
    client: JenkinsClient,
    fullName: string,
    job: RawJob,
    owners: LinkedEntity[],
  ) {
    const { notifications, config, store, logger } = this.options;
    const last = job.lastBuild;
    if (!notifications || !config.notifyOwners) return;
    if (!last?.building || typeof last.number !== 'number') return;
    if (!/WorkflowJob$/.test(job._class ?? '')) return;
    const key: AlertKey = {
      vpc: vpc.name,
      job: fullName,
      buildNumber: last.number,
      event: 'input',
    };
    const seenKey = JSON.stringify(key);
    if (this.seen.has(seenKey)) return;
    const run = await client.describeRun(fullName, last.number);
    if (run.status !== 'PAUSED_PENDING_INPUT') return;
    this.seen.add(seenKey);
    if (!(await store.claim(key))) return;
    const [input] = mapPendingInputs(
      await client.pendingInputs(fullName, last.number),
    );
    const ownerRefs = [
      ...new Set(
        owners.map(o => ownerOf(o.entity)).filter((r): r is string => !!r),
      ),
    ];
    let state: 'sent' | 'failed' | 'skipped' = ownerRefs.length
      ? 'sent'
      : 'skipped';
    let error: string | undefined;
    if (ownerRefs.length) {
      try {
        await notifications.send({
          recipients: { type: 'entity', entityRef: ownerRefs },
          payload: {
            title: `Waiting for input: ${fullName.split('/').pop()} #${
              last.number
            }`,
            description: `${input?.message ?? 'A pipeline input'} (${
              vpc.name
            }) — proceed or abort it in the portal`,
            link: portalLink(
              config.portalBaseUrl,
              owners[0].entity,
              vpc.name,
              fullName,
              last.number,
            ),
            severity: 'high',
            topic: 'batch-jobs.inputs',
          },
        });
      } catch (e) {
        state = 'failed';
        error = message(e);
        logger.warn(`Could not send input notification: ${error}`);
      }
    }
    await store
      .record(key, { state, attempts: 1, ...(error ? { error } : {}) })
      .catch(e => logger.warn(`Could not record input notification: ${e}`));
  }

  private async report(
    vpc: VpcConfig,
    client: JenkinsClient,
    key: AlertKey,
    decision: AlertDecision,
    owners: LinkedEntity[],
  ) {
    const { config, store, slack, logger } = this.options;
    const build = await client.getBuild(key.job, decision.number);
    const alert: BuildAlert = {
      event: decision.event,
      vpc: vpc.name,
      appName: owners
        .map(o => o.entity.metadata.title ?? o.entity.metadata.name)
        .join(', '),
      entityRef: owners[0].ref,
      job: key.job,
      buildNumber: decision.number,
      at: whenOf(build, decision.event),
      cause: await this.causeOf(vpc, key.job, build),
      result: build.result ?? null,
      jenkinsUrl: build.url ?? `${client.baseUrl}/`,
      portalUrl: portalLink(
        config.portalBaseUrl,
        owners[0].entity,
        vpc.name,
        key.job,
        decision.number,
      ),
    };

    const urls = this.webhooksFor(vpc, owners);
    const errors: string[] = [];
    let attempts = 0;
    for (const url of urls) {
      const delivery = await slack.post(
        url,
        buildSlackMessage(alert, config.timezone),
      );
      attempts += delivery.attempts;
      if (!delivery.ok) errors.push(delivery.error ?? 'failed');
    }
    const ownerRefs = [
      ...new Set(
        owners.map(o => ownerOf(o.entity)).filter((r): r is string => !!r),
      ),
    ];
    await this.notifyOwners(alert, ownerRefs);
    const channels = this.options.channels ?? [];
    for (const channel of channels) {
      attempts++;
      try {
        await channel.deliver(alert, { ownerRefs });
      } catch (error) {
        errors.push(`${channel.id}: ${message(error)}`);
        logger.warn(`Alert channel ${channel.id} failed: ${message(error)}`);
      }
    }
    let state: 'skipped' | 'failed' | 'sent' = 'sent';
    if (urls.length === 0 && channels.length === 0) state = 'skipped';
    else if (errors.length) state = 'failed';
    await store
      .record(key, {
        state,
        attempts,
        ...(errors.length ? { error: errors.join('; ') } : {}),
      })
      .catch(e => logger.warn(`Could not record alert delivery: ${e}`));
    logger.info('Build alert reported', {
      event: alert.event,
      vpc: vpc.name,
      job: key.job,
      build: decision.number,
      webhooks: urls.length,
      channels: channels.length,
      failedDeliveries: errors.length,
    });
  }

  /** The VPC's webhook and those the entities name, each once. */
  private webhooksFor(vpc: VpcConfig, owners: LinkedEntity[]): string[] {
    const urls = new Set<string>();
    if (vpc.alerts.slackWebhookUrl) urls.add(vpc.alerts.slackWebhookUrl);
    for (const owner of owners) {
      const name =
        owner.entity.metadata.annotations?.[
          BATCH_JOBS_SLACK_WEBHOOK_ANNOTATION
        ]?.trim();
      if (!name) continue;
      const url = this.options.config.slackWebhooks[name];
      if (url) urls.add(url);
      else
        this.options.logger.warn(
          `Entity ${owner.ref} names Slack webhook '${name}', which is not in batchJobs.alerts.slackWebhooks`,
        );
    }
    return [...urls];
  }

  private async notifyOwners(alert: BuildAlert, refs: string[]) {
    const { notifications, config, logger } = this.options;
    if (!notifications || !config.notifyOwners) return;
    if (refs.length === 0) return;
    try {
      await notifications.send({
        recipients: { type: 'entity', entityRef: refs },
        payload: {
          title: `${alertTitle(alert)}: ${alert.job.split('/').pop()} #${
            alert.buildNumber
          }`,
          description: `${alert.appName} — ${alert.cause}`,
          link: alert.portalUrl,
          severity: alert.event === 'failure' ? 'high' : 'normal',
          topic: 'batch-jobs.alerts',
        },
      });
    } catch (error) {
      logger.warn(`Could not send build notification: ${message(error)}`);
    }
  }

  /**
   * The real cause: our audit knows the person behind a portal action
   * (Jenkins only sees the service account); otherwise Jenkins' first cause.
   */
  private async causeOf(
    vpc: VpcConfig,
    job: string,
    build: RawBuild,
  ): Promise<string> {
    try {
      const records = await this.options.audit.listQueued({
        vpc: vpc.name,
        jobs: [job],
        limit: 200,
      });
      const record = records.find(
        r =>
          r.buildNumber === build.number ||
          (r.queueItemId !== null && r.queueItemId === build.queueId),
      );
      if (record) {
        const verb = PORTAL_VERBS[record.action] ?? 'Started';
        const approvedBy = record.detail?.approvedBy;
        return `${verb} by ${record.actor} in the portal${
          typeof approvedBy === 'string' ? ` (approved by ${approvedBy})` : ''
        }`;
      }
    } catch (error) {
      this.options.logger.warn(
        `Could not read the audit trail: ${message(error)}`,
      );
    }
    const [first] = mapCauses(build);
    if (!first) return 'Unknown cause';
    if (first.kind === 'upstream' && first.upstreamJob) {
      return `Started by upstream job ${first.upstreamJob}${
        first.upstreamBuild !== undefined ? ` #${first.upstreamBuild}` : ''
      }`;
    }
    return first.description;
  }
}

function whenOf(build: RawBuild, event: BuildAlertEvent): Date {
  const start = build.timestamp ?? Date.now();
  if (event === 'start') return new Date(start);
  return new Date(start + (build.duration ?? 0));
}

function portalLink(
  base: string,
  entity: Entity,
  vpc: string,
  job: string,
  number: number,
): string {
  const ns = encodeURIComponent(entity.metadata.namespace ?? 'default');
  const kind = encodeURIComponent(entity.kind.toLowerCase());
  const name = encodeURIComponent(entity.metadata.name);
  const query = new URLSearchParams({ vpc, job, build: String(number) });
  return `${base}/catalog/${ns}/${kind}/${name}/batch-jobs?${query}`;
}
