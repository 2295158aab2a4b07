import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError, isError } from '@backstage/errors';
import { PauseRecord, PauseStore } from '../../database/DatabasePauseStore';
import {
  AuditRecord,
  AuditStore,
  IdempotencyStore,
} from '../../database/types';
import { AgentProviders } from '../fleet/AgentProviders';
import { JenkinsClient, isQueueItemOf } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { mapResult } from '../jenkins/mapping';
import { RawBuild, RawComputer, RawQueueItem } from '../jenkins/types';

/** The actions that trigger a Jenkins build and answer within one request. */
const BUILD_ACTIONS = ['build.rerun', 'job.run'];
const PAUSE_ACTIONS = ['job.pause', 'job.resume'];
/** Every action the reconciler can settle from Jenkins' or EC2's record. */
const SETTLED_ACTIONS = [
  ...BUILD_ACTIONS,
  'build.stop',
  ...PAUSE_ACTIONS,
  'agent.terminate',
];

/** What a crashed action is recorded as when Jenkins shows no trace of it. */
export const INTERRUPTED_REASON =
  'interrupted: the backend stopped before Jenkins answered';

/** Clock skew allowed between our database and Jenkins when matching builds. */
const SKEW_MS = 5_000;

/** EC2 states of an instance that TerminateInstances reached. */
const TERMINATING = ['shutting-down', 'terminated'];

type Resolution =
  | {
      outcome: 'succeeded';
      detail: Record<string, unknown>;
      /** Build actions only: the queue item column links the row to Jenkins. */
      queueItemId?: number;
      build?: { number: number; url: string };
      /** Finishes what the action left undone; idempotent, runs before settling. */
      complete?: () => Promise<void>;
    }
  | { outcome: 'failed'; error: string };

const interrupted = (why: string): Resolution => ({
  outcome: 'failed',
  error: `${INTERRUPTED_REASON}; ${why}`,
});

/**
 * Settles what a crash (not a graceful stop) left behind: audit rows still
 * `pending` long after any request could have lasted, and the
 * Idempotency-Keys those requests held. Each row gets an outcome from the
 * record of the system it acted on — the build a rerun or run started (or
 * its item still in the queue), whether a stopped build ended, whether a
 * paused job is disabled, whether a terminated agent's instance is going —
 * or "interrupted" when that system shows the action did not happen. Its key
 * then replays that answer or is released. A system that does not answer
 * leaves the row for the next pass.
 * @internal
 */
export class PendingActionReconciler {
  constructor(
    private readonly options: {
      audit: AuditStore;
      idempotency: IdempotencyStore;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      agents: AgentProviders;
      pauses: PauseStore;
      logger: LoggerService;
      staleAfterMs: number;
      /**
       * Longer thresholds for actions whose request may outlast `staleAfterMs`
       * (a stop escalates for up to three times its delay).
       */
      staleAfterMsByAction?: Partial<Record<string, number>>;
      now?: () => Date;
    },
  ) {}

  async reconcile(): Promise<{ rows: number; keys: number }> {
    const { audit, idempotency, logger } = this.options;
    const now = this.options.now?.() ?? new Date();
    const before = new Date(now.getTime() - this.options.staleAfterMs);
    let rows = 0;
    for (const row of await this.listStale(now)) {
      let resolution: Resolution;
      try {
        resolution = await this.resolve(row);
        if (resolution.outcome === 'succeeded') await resolution.complete?.();
      } catch (error) {
        // Jenkins or EC2 unreachable: guessing would be worse than asking again later.
        logger.warn(
          `Could not settle interrupted ${row.action} ${row.id} yet: ${
            isError(error) ? error.message : error
          }`,
        );
        continue;
      }
      const detail =
        resolution.outcome === 'succeeded'
          ? resolution.detail
          : { error: resolution.error, interrupted: true };
      const settled = await audit.settlePending(row.id, resolution.outcome, {
        detail,
        ...(resolution.outcome === 'succeeded' &&
        resolution.queueItemId !== undefined
          ? { queueItemId: resolution.queueItemId }
          : {}),
      });
      if (!settled) continue;
      rows++;
      if (resolution.outcome === 'succeeded' && resolution.build) {
        await audit.recordBuild(row.id, resolution.build);
      }
      logger.info(`Settled interrupted ${row.action} ${row.id}`, {
        target: row.target,
        vpc: row.vpc ?? undefined,
        outcome: resolution.outcome,
        ...detail,
      });
    }

    let keys = 0;
    for (const key of await idempotency.listStale(before)) {
      if (key.auditId === null) {
        // Claimed, but the crash came before the action was even recorded:
        // nothing reached Jenkins, so a retry may start it.
        await idempotency.release(key.actor, key.key);
        keys++;
        continue;
      }
      const record = await audit.get(key.auditId);
      if (record?.outcome === 'pending') continue; // settled on a later pass
      if (record?.outcome === 'succeeded' && record.queueItemId !== null) {
        // A retry gets the first answer back, and starts nothing.
        await idempotency.complete(key.actor, key.key, {
          auditId: record.id,
          vpc: record.vpc,
          job: record.job,
          queueItemId: record.queueItemId,
          state: 'queued',
        });
      } else {
        // Failed (or interrupted with no trace in Jenkins): the retry is a new attempt.
        await idempotency.release(key.actor, key.key);
      }
      keys++;
    }
    return { rows, keys };
  }

  /** Stale pending rows, oldest first; each action by its own threshold. */
  private async listStale(now: Date): Promise<AuditRecord[]> {
    const byThreshold = new Map<number, string[]>();
    for (const action of SETTLED_ACTIONS) {
      const ms = Math.max(
        this.options.staleAfterMs,
        this.options.staleAfterMsByAction?.[action] ?? 0,
      );
      byThreshold.set(ms, [...(byThreshold.get(ms) ?? []), action]);
    }
    const rows: AuditRecord[] = [];
    for (const [ms, actions] of byThreshold) {
      rows.push(
        ...(await this.options.audit.listStalePending({
          actions,
          before: new Date(now.getTime() - ms),
          limit: 100,
        })),
      );
    }
    return rows.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  private async resolve(row: AuditRecord): Promise<Resolution> {
    if (!row.vpc) return { outcome: 'failed', error: INTERRUPTED_REASON };
    let jenkinsName: string;
    try {
      jenkinsName =
        typeof row.detail.jenkins === 'string'
          ? row.detail.jenkins
          : this.options.directory.getVpc(row.vpc).jenkins;
    } catch {
      return interrupted(`VPC ${row.vpc} is no longer configured`);
    }
    const client = this.options.clients.get(jenkinsName);
    if (!client) return { outcome: 'failed', error: INTERRUPTED_REASON };

    if (row.action === 'agent.terminate')
      return this.resolveTerminate(row, client);
    if (!row.job) return { outcome: 'failed', error: INTERRUPTED_REASON };
    if (row.action === 'build.stop')
      return this.resolveStop(row, row.job, client);
    if (PAUSE_ACTIONS.includes(row.action)) {
      return this.resolvePause(row, row.job, client);
    }
    return this.resolveBuild(row, row.job, client);
  }

  /**
   * A rerun or run: by its queue item, or by a build or queued item only we
   * could have started (the portal's Jenkins user, after the request, not
   * another row's).
   */
  private async resolveBuild(
    row: AuditRecord,
    job: string,
    client: JenkinsClient,
  ): Promise<Resolution> {
    if (row.queueItemId !== null) {
      try {
        const item = await client.getQueueItem(row.queueItemId);
        if (item.cancelled) {
          return interrupted(
            `its queue item ${row.queueItemId} was cancelled in Jenkins`,
          );
        }
        const number = item.executable?.number;
        return {
          outcome: 'succeeded',
          queueItemId: row.queueItemId,
          detail: {
            queueItemId: row.queueItemId,
            reconciled: `queue item ${row.queueItemId} found in Jenkins after a backend restart`,
          },
          ...(typeof number === 'number'
            ? { build: { number, url: item.executable?.url ?? '' } }
            : {}),
        };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        // Jenkins forgets queue items minutes after they start: look for the build.
      }
    }

    const since = new Date(row.createdAt).getTime() - SKEW_MS;
    // The queue before the builds: an item that starts in between shows in the builds.
    const queued =
      row.queueItemId === null
        ? ((await client.listQueue({ causes: true })).items ?? []).filter(
            item =>
              typeof item.id === 'number' &&
              isQueueItemOf(item, job) &&
              (item.inQueueSince ?? 0) >= since &&
              startedBy(item.actions, client.serviceAccount),
          )
        : [];
    let page;
    try {
      page = await client.listBuilds(job, 0, 25);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return interrupted(`job '${job}' no longer exists in Jenkins`);
    }
    const builds = (page.allBuilds ?? []).filter(
      b =>
        typeof b.number === 'number' &&
        typeof b.queueId === 'number' &&
        (row.queueItemId !== null
          ? b.queueId === row.queueItemId
          : (b.timestamp ?? 0) >= since &&
            startedBy(b.actions, client.serviceAccount)),
    );
    // Queue ids only grow: the oldest row takes the oldest trace.
    const traces = new Map<number, { build?: RawBuild }>();
    for (const item of queued) traces.set(item.id!, {});
    for (const build of builds) traces.set(build.queueId!, { build });
    for (const queueId of [...traces.keys()].sort((a, b) => a - b)) {
      // A build or item another audit row already owns is not this row's.
      const owner = await this.options.audit.findByQueueItem(row.vpc!, queueId);
      if (owner && owner.id !== row.id) continue;
      const build = traces.get(queueId)!.build;
      let how: string;
      if (!build) {
        how = `queue item ${queueId}, queued by the portal's Jenkins user after this request, found waiting in Jenkins' queue after a backend restart`;
      } else if (row.queueItemId !== null) {
        how = `build #${build.number} of queue item ${queueId} found after a backend restart`;
      } else {
        how = `build #${build.number} (queue item ${queueId}), started by the portal's Jenkins user after this request, found after a backend restart`;
      }
      return {
        outcome: 'succeeded',
        queueItemId: queueId,
        detail: { queueItemId: queueId, reconciled: how },
        ...(build
          ? { build: { number: build.number!, url: build.url ?? '' } }
          : {}),
      };
    }
    return { outcome: 'failed', error: INTERRUPTED_REASON };
  }

  /** A stop: has the build ended, or was the queued item cancelled? */
  private async resolveStop(
    row: AuditRecord,
    job: string,
    client: JenkinsClient,
  ): Promise<Resolution> {
    let number =
      typeof row.detail.number === 'number' ? row.detail.number : undefined;
    const itemId =
      typeof row.detail.queueItemId === 'number'
        ? row.detail.queueItemId
        : undefined;
    if (number === undefined && itemId !== undefined) {
      let item: RawQueueItem | undefined;
      try {
        item = await client.getQueueItem(itemId);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      if (item) {
        // The same check the stop itself makes.
        if (!isQueueItemOf(item, job)) {
          return interrupted(
            `queue item ${itemId} is not an item of job '${job}'`,
          );
        }
        if (typeof item.executable?.number === 'number') {
          number = item.executable.number;
        } else if (item.cancelled) {
          return {
            outcome: 'succeeded',
            detail: {
              outcome: 'cancelled',
              reconciled: `queue item ${itemId} found cancelled in Jenkins after a backend restart`,
            },
          };
        } else {
          return interrupted(
            `queue item ${itemId} still waits in Jenkins' queue`,
          );
        }
      } else {
        // Jenkins forgets items minutes after they leave the queue.
        try {
          const page = await client.listBuilds(job, 0, 25);
          number = page.allBuilds?.find(b => b.queueId === itemId)?.number;
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        if (number === undefined) {
          return interrupted(
            `queue item ${itemId} is gone from Jenkins and no build came of it, so whether this stop cancelled it is unknown`,
          );
        }
      }
    }
    if (number === undefined)
      return { outcome: 'failed', error: INTERRUPTED_REASON };

    let build: RawBuild;
    try {
      build = await client.getBuild(job, number);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return interrupted(`build #${number} no longer exists in Jenkins`);
    }
    if (build.building) {
      return interrupted(`build #${number} is still running in Jenkins`);
    }
    const result = mapResult(build.result);
    return {
      outcome: 'succeeded',
      detail: {
        outcome: result === 'ABORTED' ? 'stopped' : 'already-finished',
        buildNumber: number,
        ...(result ? { result } : {}),
        reconciled: `build #${number} found ended (${
          result ?? 'no result'
        }) in Jenkins after a backend restart`,
      },
    };
  }

  /**
   * A pause or resume: is the job disabled (or enabled) as the action
   * wanted? Then the pause record is made to agree, as the action would have.
   */
  private async resolvePause(
    row: AuditRecord,
    job: string,
    client: JenkinsClient,
  ): Promise<Resolution> {
    const { audit, pauses } = this.options;
    const vpc = row.vpc!;
    const pausing = row.action === 'job.pause';
    // A later pause or resume may be what Jenkins shows now.
    const later = (
      await audit.list({ vpc, job, actions: PAUSE_ACTIONS, limit: 10 })
    ).find(r => r.id !== row.id && r.createdAt >= row.createdAt);
    if (later) {
      return interrupted(
        `a later ${later.action} by ${later.actor} changed job '${job}' since, so Jenkins can no longer tell whether this one took effect`,
      );
    }
    let disabled: boolean;
    try {
      disabled = (await client.getJob(job)).buildable === false;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return interrupted(`job '${job}' no longer exists in Jenkins`);
    }
    if (disabled !== pausing) {
      return interrupted(
        `Jenkins still shows job '${job}' ${disabled ? 'disabled' : 'enabled'}`,
      );
    }
    const record = await pauses.get(vpc, job);
    const createdAt = Date.parse(row.createdAt);
    if (pausing) {
      const wanted: PauseRecord = {
        vpc,
        job,
        by: row.actor,
        reason: String(row.parameters.reason ?? ''),
        entityRef: row.entityRef,
        at: row.createdAt,
        until:
          typeof row.parameters.until === 'string'
            ? row.parameters.until
            : null,
      };
      // The action writes the record after Jenkins: the crash may have come in between.
      const missing =
        !record ||
        (Date.parse(record.at) <= createdAt &&
          !(
            record.by === wanted.by &&
            record.reason === wanted.reason &&
            record.until === wanted.until
          ));
      return {
        outcome: 'succeeded',
        detail: {
          reconciled: `Jenkins shows job '${job}' disabled after a backend restart${
            missing ? '; pause recorded' : ''
          }`,
        },
        ...(missing ? { complete: () => pauses.set(wanted) } : {}),
      };
    }
    // Only the pause this resume ended, never a newer one.
    const stale = record !== undefined && Date.parse(record.at) <= createdAt;
    return {
      outcome: 'succeeded',
      detail: {
        reconciled: `Jenkins shows job '${job}' enabled after a backend restart${
          stale ? '; pause record removed' : ''
        }`,
      },
      ...(stale ? { complete: () => pauses.delete(vpc, job) } : {}),
    };
  }

  /**
   * An agent termination: is its instance shutting down or gone? Then the
   * node of the dead instance is deleted, as the action would have.
   */
  private async resolveTerminate(
    row: AuditRecord,
    client: JenkinsClient,
  ): Promise<Resolution> {
    const vpc = row.vpc!;
    const node = row.target;
    const provider = this.options.agents.find(vpc);
    const instanceId =
      typeof row.detail.instanceId === 'string'
        ? row.detail.instanceId
        : provider?.machineIdOf(vpc, node);
    if (!instanceId) return { outcome: 'failed', error: INTERRUPTED_REASON };
    if (!provider?.capabilities(vpc).terminate) {
      return interrupted(
        `VPC ${vpc}'s agent provider ${
          provider ? `'${provider.id}' cannot terminate` : 'is gone'
        }, so instance ${instanceId} cannot have been terminated`,
      );
    }
    const instance = await provider.describeAgent(vpc, instanceId);
    let computer: RawComputer | undefined;
    try {
      computer = await client.getComputer(node);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    if (instance && !TERMINATING.includes(instance.state)) {
      return interrupted(
        `EC2 instance ${instanceId} is still ${instance.state}${
          computer?.temporarilyOffline
            ? `; node ${node} stays drained (temporarily offline)`
            : ''
        }`,
      );
    }
    const ec2State = instance?.state ?? null;
    return {
      outcome: 'succeeded',
      detail: {
        ec2State,
        nodeDeleted: Boolean(computer),
        reconciled: `EC2 shows instance ${instanceId} ${
          ec2State ?? 'gone'
        } after a backend restart${
          computer ? `; its node ${node} deleted` : ''
        }`,
      },
      ...(computer
        ? {
            complete: async () => {
              try {
                await client.deleteNode(node);
              } catch (error) {
                if (!(error instanceof NotFoundError)) throw error;
              }
            },
          }
        : {}),
    };
  }
}

function startedBy(
  actions: RawBuild['actions'] | RawQueueItem['actions'],
  user: string,
): boolean {
  return (actions ?? []).some(a =>
    (a?.causes ?? []).some(c => c.userId === user),
  );
}
