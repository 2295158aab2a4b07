import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError, isError } from '@backstage/errors';
import { BackupStore } from '../database/DatabaseRoutineStore';
import { AuditStore } from '../database/types';
import { BackupBucket } from '../services/aws/BackupBucket';
import { JenkinsClient } from '../services/jenkins/JenkinsClient';
import { RawBuild } from '../services/jenkins/types';
import {
  BackupObject,
  checkBackup,
  decideRetention,
  findNewBackup,
  formatAge,
} from './decisions';
import { Routine, RoutineContext } from './RoutineRunner';

const BACKUP_SUFFIX = /\.(tar\.gz|tgz)$/;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error('aborted'));
      },
      { once: true },
    );
  });
}

/**
 * Runs the team's backup job on the controller, waits for it, then checks in
 * S3 that it produced a new, non-empty, readable gzip object, records it and
 * applies retention. A backup that is missing or empty fails the run.
 * @public
 */
export class JenkinsBackup implements Routine {
  readonly id = 'jenkins-backup' as const;
  readonly title = 'Jenkins backup to S3';
  readonly description =
    'Triggers the backup job on the controller, waits for it, verifies the new backup in S3 (newer than the build, not empty, a readable gzip), records it and applies retention. A missing or empty backup fails the run.';

  constructor(
    private readonly options: {
      jenkins: string;
      client: JenkinsClient;
      job: string;
      bucket?: BackupBucket;
      backups: BackupStore;
      audit: AuditStore;
      logger: LoggerService;
      waitTimeoutMs: number;
      pollIntervalMs: number;
      retention: { keepLast?: number; maxAgeDays?: number };
    },
  ) {}

  settings() {
    const { bucket, retention, job, jenkins, waitTimeoutMs } = this.options;
    return {
      job: `${jenkins}: ${job}`,
      bucket: bucket ? bucket.where : null,
      keepLast: retention.keepLast ?? null,
      maxAgeDays: retention.maxAgeDays ?? null,
      waitTimeout: formatAge(waitTimeoutMs),
    };
  }

  async run(ctx: RoutineContext): Promise<string> {
    const { client, job, bucket } = this.options;
    if (!bucket) {
      throw new Error(
        'No backup bucket configured: set batchJobs.routines.jenkins-backup.s3.bucket (and region/endpoint)',
      );
    }
    const before = await bucket.list();
    if (ctx.dryRun) {
      await ctx.report([
        { action: 'trigger-build', target: job, vpc: null, status: 'planned', message: `Would run ${job} on ${this.options.jenkins} and verify the new object in ${bucket.where}` },
      ]);
      const newest = before
        .filter(o => BACKUP_SUFFIX.test(o.key))
        .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime())[0];
      const removed = newest ? await this.retention(ctx, newest, before) : 0;
      return `would run ${job}, verify the backup and delete ${removed} old backup(s) (${before.length} object(s) now)`;
    }

    const queueId = await client.triggerBuild(job, null);
    const build = await this.waitForBuild(queueId, ctx);
    await ctx.report([
      { action: 'build', target: `${job} #${build.number}`, vpc: null, status: 'done', message: `Build ended ${build.result}` },
    ]);
    if (build.result !== 'SUCCESS') {
      throw new Error(`Backup build ${job} #${build.number} ended ${build.result}: no backup taken (${build.url})`);
    }

    const after = await bucket.list();
    const found = findNewBackup({
      before: new Set(before.map(o => o.key)),
      after,
      buildStartedAt: new Date(build.timestamp!),
    });
    if (!found) {
      await ctx.report([{ action: 'verify', target: bucket.where, vpc: null, status: 'failed', message: `No new backup object after build #${build.number}` }]);
      throw new Error(`Backup MISSING: build ${job} #${build.number} succeeded but no new object appeared in ${bucket.where}`);
    }
    const head = await bucket.head(found.key);
    const bytes = head.size > 0 ? await bucket.firstBytes(found.key, 4) : new Uint8Array();
    const check = checkBackup(head, bytes);
    const record = {
      bucket: bucket.config.bucket,
      key: found.key,
      sizeBytes: head.size,
      createdAt: head.lastModified.toISOString(),
      verified: check.ok,
      runId: ctx.runId,
      build: { number: build.number!, url: build.url ?? '' },
    };
    await this.options.backups.record(record);
    if (!check.ok) {
      await ctx.report([{ action: 'verify', target: found.key, vpc: null, status: 'failed', message: check.reason }]);
      throw new Error(`Backup INVALID: ${check.reason} (build ${job} #${build.number})`);
    }
    await ctx.report([
      { action: 'verify', target: found.key, vpc: null, status: 'done', message: `Verified: ${head.size} bytes, gzip, written ${head.lastModified.toISOString()}` },
    ]);
    const removed = await this.retention(ctx, head, after);
    return `backup ${found.key} verified (${head.size} bytes); ${removed} old backup(s) deleted`;
  }

  private async waitForBuild(queueId: number, ctx: RoutineContext): Promise<RawBuild & { number: number }> {
    const { client, job, waitTimeoutMs, pollIntervalMs } = this.options;
    const deadline = Date.now() + waitTimeoutMs;
    let number: number | undefined;
    for (;;) {
      ctx.signal.throwIfAborted();
      if (Date.now() > deadline) {
        throw new Error(
          `Backup build of ${job} did not finish within ${formatAge(waitTimeoutMs)} (${number ? `build #${number}` : `queue item ${queueId}`})`,
        );
      }
      if (number === undefined) {
        try {
          const item = await client.getQueueItem(queueId);
          if (item.cancelled) throw new Error(`Backup build of ${job} was cancelled in the queue`);
          if (item.executable?.number) {
            number = item.executable.number;
            await ctx.report([{ action: 'trigger-build', target: `${job} #${number}`, vpc: null, status: 'done', message: 'Build started' }]);
          }
        } catch (error) {
          // Jenkins forgets left queue items after a few minutes; nothing to do but wait.
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
      if (number !== undefined) {
        const build = await client.getBuild(job, number);
        if (!build.building && build.result) return { ...build, number };
      }
      await sleep(pollIntervalMs, ctx.signal);
    }
  }

  /** Deletes what retention lets go; returns how many (planned ones in a dry run). */
  private async retention(ctx: RoutineContext, newest: BackupObject, objects: BackupObject[]): Promise<number> {
    const { bucket, backups, audit, retention, logger } = this.options;
    const { remove } = decideRetention({
      objects: objects.filter(o => BACKUP_SUFFIX.test(o.key)),
      ...retention,
      newestVerifiedKey: newest.key,
      reference: newest.lastModified,
    });
    let removed = 0;
    for (const object of remove) {
      if (ctx.dryRun) {
        removed++;
        await ctx.report([{ action: 'delete-backup', target: object.key, vpc: null, status: 'planned', message: `Would delete (written ${object.lastModified.toISOString()})` }]);
        continue;
      }
      const auditId = await audit.create({
        actor: ctx.actor,
        action: 'routine.backup.delete',
        entityRef: null,
        vpc: null,
        job: this.options.job,
        target: `s3://${bucket!.config.bucket}/${object.key}`,
        parameters: { routine: this.id, runId: ctx.runId, ...retention },
        detail: { sizeBytes: object.size, lastModified: object.lastModified.toISOString() },
      });
      try {
        await bucket!.delete(object.key);
        await backups.markDeleted(bucket!.config.bucket, object.key, new Date());
        await audit.finish(auditId, 'succeeded', {});
        await ctx.report([{ action: 'delete-backup', target: object.key, vpc: null, status: 'done', message: 'Deleted by retention', auditId }]);
        removed++;
      } catch (error) {
        const message = isError(error) ? error.message : String(error);
        await audit.finish(auditId, 'failed', { detail: { error: message } }).catch(() => undefined);
        await ctx.report([{ action: 'delete-backup', target: object.key, vpc: null, status: 'failed', message, auditId }]);
        logger.warn(`Retention could not delete ${object.key}: ${message}`);
      }
    }
    return removed;
  }
}
