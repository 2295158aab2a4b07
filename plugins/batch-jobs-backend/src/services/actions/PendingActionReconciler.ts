import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError, isError } from '@backstage/errors';
import {
  AuditRecord,
  AuditStore,
  IdempotencyStore,
} from '../../database/types';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { RawBuild } from '../jenkins/types';

/** The actions that trigger a Jenkins build and answer within one request. */
const BUILD_ACTIONS = ['build.rerun', 'job.run'];

/** What a crashed action is recorded as when Jenkins shows no trace of it. */
export const INTERRUPTED_REASON =
  'interrupted: the backend stopped before Jenkins answered';

/** Clock skew allowed between our database and Jenkins when matching builds. */
const SKEW_MS = 5_000;

type Resolution =
  | {
      outcome: 'succeeded';
      queueItemId: number;
      build?: { number: number; url: string };
      how: string;
    }
  | { outcome: 'failed'; error: string };

/**
 * Settles what a crash (not a graceful stop) left behind: audit rows of
 * reruns and runs still `pending` long after any request could have lasted,
 * and the Idempotency-Keys those requests held. Each row gets an outcome
 * from Jenkins' own record — the build it started, or "interrupted" when
 * Jenkins has none — and its key then replays that answer or is released.
 * @internal
 */
export class PendingActionReconciler {
  constructor(
    private readonly options: {
      audit: AuditStore;
      idempotency: IdempotencyStore;
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      logger: LoggerService;
      staleAfterMs: number;
      now?: () => Date;
    },
  ) {}

  async reconcile(): Promise<{ rows: number; keys: number }> {
    const { audit, idempotency, logger } = this.options;
    const now = this.options.now?.() ?? new Date();
    const before = new Date(now.getTime() - this.options.staleAfterMs);
    let rows = 0;
    const stale = await audit.listStalePending({
      actions: BUILD_ACTIONS,
      before,
      limit: 100,
    });
    for (const row of stale) {
      let resolution: Resolution;
      try {
        resolution = await this.resolve(row);
      } catch (error) {
        // Jenkins unreachable: guessing would be worse than asking again later.
        logger.warn(
          `Could not settle interrupted ${row.action} ${row.id} yet: ${
            isError(error) ? error.message : error
          }`,
        );
        continue;
      }
      const detail =
        resolution.outcome === 'succeeded'
          ? {
              queueItemId: resolution.queueItemId,
              reconciled: resolution.how,
            }
          : { error: resolution.error, interrupted: true };
      const settled = await audit.settlePending(row.id, resolution.outcome, {
        detail,
        ...(resolution.outcome === 'succeeded'
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

  /** Asks Jenkins what became of a row's build: by its queue item, or by a build only we could have started. */
  private async resolve(row: AuditRecord): Promise<Resolution> {
    const { directory, clients } = this.options;
    if (!row.vpc || !row.job) return { outcome: 'failed', error: INTERRUPTED_REASON };
    const jenkinsName =
      typeof row.detail.jenkins === 'string'
        ? row.detail.jenkins
        : directory.getVpc(row.vpc).jenkins;
    const client = clients.get(jenkinsName);
    if (!client) return { outcome: 'failed', error: INTERRUPTED_REASON };

    if (row.queueItemId !== null) {
      try {
        const item = await client.getQueueItem(row.queueItemId);
        if (item.cancelled) {
          return {
            outcome: 'failed',
            error: `${INTERRUPTED_REASON}; its queue item ${row.queueItemId} was cancelled in Jenkins`,
          };
        }
        const number = item.executable?.number;
        return {
          outcome: 'succeeded',
          queueItemId: row.queueItemId,
          ...(typeof number === 'number'
            ? { build: { number, url: item.executable?.url ?? '' } }
            : {}),
          how: `queue item ${row.queueItemId} found in Jenkins after a backend restart`,
        };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        // Jenkins forgets queue items minutes after they start: look for the build.
      }
    }

    const since = new Date(row.createdAt).getTime() - SKEW_MS;
    const page = await client.listBuilds(row.job, 0, 25);
    const builds = (page.allBuilds ?? [])
      .filter(
        b =>
          typeof b.number === 'number' &&
          typeof b.queueId === 'number' &&
          (row.queueItemId !== null
            ? b.queueId === row.queueItemId
            : (b.timestamp ?? 0) >= since &&
              startedBy(b, client.serviceAccount)),
      )
      .sort((a, b) => a.number! - b.number!);
    for (const build of builds) {
      // A build another audit row already owns is not this row's.
      const owner = await this.options.audit.findByQueueItem(
        row.vpc,
        build.queueId!,
      );
      if (owner && owner.id !== row.id) continue;
      return {
        outcome: 'succeeded',
        queueItemId: build.queueId!,
        build: { number: build.number!, url: build.url ?? '' },
        how:
          row.queueItemId !== null
            ? `build #${build.number} of queue item ${build.queueId} found after a backend restart`
            : `build #${build.number} (queue item ${build.queueId}), started by the portal's Jenkins user after this request, found after a backend restart`,
      };
    }
    return { outcome: 'failed', error: INTERRUPTED_REASON };
  }
}

function startedBy(build: RawBuild, user: string): boolean {
  return (build.actions ?? []).some(a =>
    (a?.causes ?? []).some(c => c.userId === user),
  );
}
