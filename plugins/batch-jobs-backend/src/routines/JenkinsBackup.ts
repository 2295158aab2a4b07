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
 * Runs the team's backup job on the controller, waits for it, then reads the
 * new object in S3 whole (gzip trailers, a tar holding `config.xml` and
 * `jobs/`), records the outcome and applies retention to the backups it
 * recorded as verified under the prefix. A backup that is missing or fails
 * verification is recorded as such, logged as an error and fails the run;
 * it never counts toward retention.
 * @public
 */
export class JenkinsBackup implements Routine {
  readonly id = 'jenkins-backup' as const;
  readonly title = 'Jenkins backup to S3';
  readonly description =
    'Triggers the backup job on the controller, waits for it, reads the new backup in S3 whole (gzip CRC and size, a tar holding config.xml and jobs/), records it and applies retention to the backups it verified. A missing or invalid backup fails the run and never counts.';

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
        {
          action: 'trigger-build',
          target: job,
          vpc: null,
          status: 'planned',
          message: `Would run ${job} on ${this.options.jenkins} and verify the new object in ${bucket.where}`,
        },
      ]);
      const removed = await this.retention(ctx, before);
      return `would run ${job}, verify the backup and delete ${removed} old backup(s) (${before.length} object(s) now)`;
    }

    const queueId = await client.triggerBuild(job, null);
    const build = await this.waitForBuild(queueId, ctx);
    await ctx.report([
      {
        action: 'build',
        target: `${job} #${build.number}`,
        vpc: null,
        status: 'done',
        message: `Build ended ${build.result}`,
      },
    ]);
    if (build.result !== 'SUCCESS') {
      throw new Error(
        `Backup build ${job} #${build.number} ended ${build.result}: no backup taken (${build.url})`,
      );
    }

    const after = await bucket.list();
    const found = findNewBackup({
      before: new Set(before.map(o => o.key)),
      after,
      buildStartedAt: new Date(build.timestamp!),
    });
    if (!found) {
      await ctx.report([
        {
          action: 'verify',
          target: bucket.where,
          vpc: null,
          status: 'failed',
          message: `No new backup object after build #${build.number}`,
        },
      ]);
      throw new Error(
        `Backup MISSING: build ${job} #${build.number} succeeded but no new object appeared in ${bucket.where}`,
      );
    }
    const head = await bucket.head(found.key);
    // The whole object: a stub or a cut-off upload only shows at its end.
    const archive = head.size > 0 ? await bucket.inspect(found.key) : undefined;
    const check = checkBackup(head, archive);
    await this.options.backups.record({
      bucket: bucket.config.bucket,
      prefix: bucket.config.prefix,
      key: found.key,
      sizeBytes: head.size,
      createdAt: head.lastModified.toISOString(),
      verified: check.ok,
      ...(check.ok ? {} : { failure: check.reason }),
      runId: ctx.runId,
      build: { number: build.number!, url: build.url ?? '' },
    });
    if (!check.ok) {
      await ctx.report([
        {
          action: 'verify',
          target: found.key,
          vpc: null,
          status: 'failed',
          message: check.reason,
        },
      ]);
      this.options.logger.error(`Backup INVALID: ${check.reason}`, {
        key: found.key,
        build: build.number,
        runId: ctx.runId,
      });
      throw new Error(
        `Backup INVALID: ${check.reason} (build ${job} #${build.number})`,
      );
    }
    await ctx.report([
      {
        action: 'verify',
        target: found.key,
        vpc: null,
        status: 'done',
        message: `Verified: ${head.size} bytes read, gzip CRC and size match, ${
          archive!.entries
        } tar entries with config.xml and jobs/, written ${head.lastModified.toISOString()}`,
      },
    ]);
    const removed = await this.retention(ctx, after);
    return `backup ${found.key} verified (${head.size} bytes); ${removed} old backup(s) deleted`;
  }

  private async waitForBuild(
    queueId: number,
    ctx: RoutineContext,
  ): Promise<RawBuild & { number: number }> {
    const { client, job, waitTimeoutMs, pollIntervalMs } = this.options;
    const deadline = Date.now() + waitTimeoutMs;
    let number: number | undefined;
    for (;;) {
      ctx.signal.throwIfAborted();
      if (Date.now() > deadline) {
        throw new Error(
          `Backup build of ${job} did not finish within ${formatAge(
            waitTimeoutMs,
          )} (${number ? `build #${number}` : `queue item ${queueId}`})`,
        );
      }
      if (number === undefined) {
        try {
          const item = await client.getQueueItem(queueId);
          if (item.cancelled)
            throw new Error(
              `Backup build of ${job} was cancelled in the queue`,
            );
          if (item.executable?.number) {
            number = item.executable.number;
            await ctx.report([
              {
                action: 'trigger-build',
                target: `${job} #${number}`,
                vpc: null,
                status: 'done',
                message: 'Build started',
              },
            ]);
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

  /**
   * Deletes what retention lets go among the backups this routine recorded
   * as verified under the prefix; returns how many (planned ones in a dry
   * run). An object S3 no longer lists is only marked gone; one whose size
   * changed since it was verified is someone else's now and stays.
   */
  private async retention(
    ctx: RoutineContext,
    listed: BackupObject[],
  ): Promise<number> {
    const { bucket, backups, audit, retention, logger } = this.options;
    const { prefix } = bucket!.config;
    const verified = (
      await backups.listVerified({ bucket: bucket!.config.bucket, prefix })
    )
      .filter(b => b.key.startsWith(prefix) && BACKUP_SUFFIX.test(b.key))
      .map(b => ({
        key: b.key,
        size: b.sizeBytes,
        lastModified: new Date(b.createdAt),
      }));
    if (verified.length === 0) return 0;
    const { remove } = decideRetention({
      objects: verified,
      ...retention,
      newestVerifiedKey: verified[0].key,
      reference: verified[0].lastModified,
    });
    const now = new Map(listed.map(o => [o.key, o]));
    let removed = 0;
    for (const object of remove) {
      const current = now.get(object.key);
      if (!current) {
        if (!ctx.dryRun)
          await backups.markDeleted(
            bucket!.config.bucket,
            object.key,
            new Date(),
          );
        await ctx.report([
          {
            action: 'delete-backup',
            target: object.key,
            vpc: null,
            status: 'skipped',
            message: 'No longer in the bucket',
          },
        ]);
        continue;
      }
      if (current.size !== object.size) {
        await ctx.report([
          {
            action: 'delete-backup',
            target: object.key,
            vpc: null,
            status: 'skipped',
            message: `Kept: ${current.size} bytes now, ${object.size} when verified (replaced since)`,
          },
        ]);
        continue;
      }
      if (ctx.dryRun) {
        removed++;
        await ctx.report([
          {
            action: 'delete-backup',
            target: object.key,
            vpc: null,
            status: 'planned',
            message: `Would delete (written ${object.lastModified.toISOString()})`,
          },
        ]);
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
        detail: {
          sizeBytes: object.size,
          lastModified: object.lastModified.toISOString(),
        },
      });
      try {
        await bucket!.delete(object.key);
        await backups.markDeleted(
          bucket!.config.bucket,
          object.key,
          new Date(),
        );
        await audit.finish(auditId, 'succeeded', {});
        await ctx.report([
          {
            action: 'delete-backup',
            target: object.key,
            vpc: null,
            status: 'done',
            message: 'Deleted by retention',
            auditId,
          },
        ]);
        removed++;
      } catch (error) {
        const message = isError(error) ? error.message : String(error);
        await audit
          .finish(auditId, 'failed', { detail: { error: message } })
          .catch(() => undefined);
        await ctx.report([
          {
            action: 'delete-backup',
            target: object.key,
            vpc: null,
            status: 'failed',
            message,
            auditId,
          },
        ]);
        logger.warn(`Retention could not delete ${object.key}: ${message}`);
      }
    }
    return removed;
  }
}
