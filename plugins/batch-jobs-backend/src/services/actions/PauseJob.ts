import { InputError, isError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  EntityJobsResponse,
  JobPause,
  PauseJobRequest,
  PauseJobResponse,
  ResumeJobRequest,
  batchJobsJobPausePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { PauseRecord, PauseStore } from '../../database/DatabasePauseStore';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { ReadCache } from '../jobs/ReadCache';
import { listingCacheKeys } from '../jobs/JobListings';
import { approvalDetail } from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';
import { ActionContext } from './RunJob';
import {
  actingEntityRef,
  ancestorFolders,
  authorizeOnEntity,
  EntityActionServices,
} from './entityAccess';

/** Who resumes a pause whose end time has come. @public */
export const PAUSE_ROUTINE_ACTOR = 'plugin:default/batch-jobs';

/** Longest a timed pause may last. */
const MAX_PAUSE_MS = 90 * 24 * 3600_000;
const MAX_REASON = 500;

function toPause(record: PauseRecord): JobPause {
  const pause: JobPause = {
    by: record.by,
    reason: record.reason,
    at: record.at,
  };
  if (record.until) pause.until = record.until;
  return pause;
}

/**
 * Pauses a job (Jenkins: disable, so neither its timer nor anyone starts it)
 * and resumes it. Jenkins only keeps the flag; the person, the reason and an
 * optional end time are kept in our database and shown in the jobs list.
 * @public
 */
export class PauseJob {
  constructor(
    private readonly options: EntityActionServices & {
      pauses: PauseStore;
      cache?: ReadCache;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.options.now ? this.options.now() : new Date();
  }

  async pause(
    input: PauseJobRequest,
    context: ActionContext,
  ): Promise<PauseJobResponse | ApprovalPendingResponse> {
    const { directory, audit, pauses, logger } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (!reason) {
      throw new InputError('Invalid pause request: reason is required');
    }
    if (reason.length > MAX_REASON) {
      throw new InputError(
        `Invalid pause request: reason must be at most ${MAX_REASON} characters`,
      );
    }
    const now = this.now();
    let until: string | null = null;
    if (input.until !== undefined && input.until !== null) {
      const t = Date.parse(input.until);
      if (!Number.isFinite(t)) {
        throw new InputError(
          `Invalid pause request: until '${input.until}' is not an ISO time`,
        );
      }
      if (t <= now.getTime()) {
        throw new InputError(
          'Invalid pause request: until must be in the future',
        );
      }
      if (t - now.getTime() > MAX_PAUSE_MS) {
        throw new InputError(
          'Invalid pause request: until must be within 90 days',
        );
      }
      until = new Date(t).toISOString();
    }
    // Also when approved: the requester's permission may have gone since.
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: actingEntityRef(input.entityRef, context.approval),
      credentials: context.credentials,
      permission: batchJobsJobPausePermission,
      verb: 'pause jobs of',
    });
    const payload = {
      vpc: vpc.name,
      job: fullName,
      reason,
      until,
      ...(entityRef ? { entityRef } : {}),
    };
    const hash = pinHash({ action: 'job.pause', ...payload });
    if (context.approval)
      checkPin(context.approval.review?.hash, hash, 'the request');
    const gate = this.options.gate;
    if (!context.approval && gate?.requires(vpc)) {
      return gate.hold({
        action: 'job.pause',
        vpc,
        job: fullName,
        target: fullName,
        summary: `Pause ${fullName}${
          until ? ` until ${until}` : ''
        }: ${reason}`,
        entityRef,
        payload,
        review: { hash, hashOf: 'the job, the reason and the end time' },
        actor: context.actor,
      });
    }
    const client = this.options.clients.get(vpc.jenkins)!;
    const auditId = await audit.create({
      actor: context.actor,
      action: 'job.pause',
      entityRef,
      vpc: vpc.name,
      job: fullName,
      target: fullName,
      parameters: { reason, ...(until ? { until } : {}) },
      detail: { jenkins: client.name, ...approvalDetail(context.approval) },
    });
    try {
      await client.setJobDisabled(fullName, true);
      const record: PauseRecord = {
        vpc: vpc.name,
        job: fullName,
        by: context.actor,
        reason,
        entityRef,
        at: now.toISOString(),
        until,
      };
      await pauses.set(record);
      await audit.finish(auditId, 'succeeded', {});
      await this.forget(client, fullName);
      logger.info('Job paused', {
        actor: context.actor,
        target: fullName,
        auditId,
      });
      return {
        auditId,
        vpc: vpc.name,
        job: fullName,
        paused: true,
        pause: toPause(record),
      };
    } catch (error) {
      await this.failed(auditId, error);
      throw error;
    }
  }

  async resume(
    input: ResumeJobRequest,
    context: ActionContext,
  ): Promise<PauseJobResponse | ApprovalPendingResponse> {
    const { directory } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    const reason =
      typeof input.reason === 'string'
        ? input.reason.trim().slice(0, MAX_REASON)
        : '';
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: actingEntityRef(input.entityRef, context.approval),
      credentials: context.credentials,
      permission: batchJobsJobPausePermission,
      verb: 'resume jobs of',
    });
    const payload = {
      vpc: vpc.name,
      job: fullName,
      reason,
      ...(entityRef ? { entityRef } : {}),
    };
    const hash = pinHash({ action: 'job.resume', ...payload });
    if (context.approval)
      checkPin(context.approval.review?.hash, hash, 'the request');
    const gate = this.options.gate;
    if (!context.approval && gate?.requires(vpc)) {
      return gate.hold({
        action: 'job.resume',
        vpc,
        job: fullName,
        target: fullName,
        summary: `Resume ${fullName}${reason ? `: ${reason}` : ''}`,
        entityRef,
        payload,
        review: { hash, hashOf: 'the job and the reason' },
        actor: context.actor,
      });
    }
    return this.enable(vpc.name, fullName, {
      actor: context.actor,
      entityRef,
      reason,
      detail: approvalDetail(context.approval),
    });
  }

  /**
   * Resumes every pause whose end time has come, as the routine. A failure
   * on one job leaves its row for the next run and does not stop the others.
   */
  async resumeDue(): Promise<{ resumed: number; failed: number }> {
    const due = await this.options.pauses.listDue(this.now(), 100);
    let resumed = 0;
    let failed = 0;
    for (const pause of due) {
      try {
        if (await this.endPause(pause)) resumed++;
      } catch (error) {
        failed++;
        this.options.logger.warn(
          `Could not resume ${pause.vpc} ${pause.job}: ${
            isError(error) ? error.message : error
          }`,
        );
      }
    }
    return { resumed, failed };
  }

  /**
   * Ends one timed pause. The row is claimed first, only while it is still
   * this pause, so a job paused again since it was read keeps its new
   * pause; one paused again while Jenkins enabled it is disabled again.
   * Returns whether the job was resumed.
   */
  private async endPause(pause: PauseRecord): Promise<boolean> {
    const { directory, audit, pauses, logger } = this.options;
    if (!(await pauses.deleteIf(pause))) return false;
    const vpc = directory.getVpc(pause.vpc);
    const client = this.options.clients.get(vpc.jenkins)!;
    const auditId = await audit.create({
      actor: PAUSE_ROUTINE_ACTOR,
      action: 'job.resume',
      entityRef: pause.entityRef,
      vpc: vpc.name,
      job: pause.job,
      target: pause.job,
      parameters: {
        reason: `pause by ${pause.by} ended (until ${pause.until})`,
      },
      detail: {
        jenkins: client.name,
        pausedBy: pause.by,
        pauseReason: pause.reason,
        pausedAt: pause.at,
      },
    });
    try {
      try {
        await client.setJobDisabled(pause.job, false);
      } catch (error) {
        // Back for the next run, unless someone paused the job meanwhile.
        await pauses.restore(pause);
        throw error;
      }
      const newer = await pauses.get(vpc.name, pause.job);
      if (newer) {
        await client.setJobDisabled(pause.job, true);
        await audit.finish(auditId, 'failed', {
          detail: { supersededBy: { by: newer.by, at: newer.at } },
        });
        logger.info('Job paused again while its pause ended: kept paused', {
          target: pause.job,
          pausedBy: newer.by,
          auditId,
        });
        return false;
      }
      await audit.finish(auditId, 'succeeded', {});
      await this.forget(client, pause.job);
      logger.info('Job resumed', {
        actor: PAUSE_ROUTINE_ACTOR,
        target: pause.job,
        auditId,
      });
      return true;
    } catch (error) {
      await this.failed(auditId, error);
      throw error;
    }
  }

  /** Adds who paused a job and why to the jobs Jenkins shows disabled. */
  async decorate(response: EntityJobsResponse): Promise<EntityJobsResponse> {
    await Promise.all(
      response.vpcs.map(async vpc => {
        const names = vpc.jobs.filter(j => !j.error).map(j => j.fullName);
        if (names.length === 0) return;
        let records: PauseRecord[];
        try {
          records = await this.options.pauses.list(vpc.vpc, names);
        } catch (error) {
          this.options.logger.warn(`Could not read pauses: ${error}`);
          return;
        }
        const byJob = new Map(records.map(r => [r.job, r]));
        for (const job of vpc.jobs) {
          const record = byJob.get(job.fullName);
          // Someone enabled it in Jenkins since: the pause is over.
          if (
            record &&
            (job.buildable === false || job.color?.startsWith('disabled'))
          ) {
            job.pause = toPause(record);
          }
        }
      }),
    );
    return response;
  }

  private async enable(
    vpcName: string,
    fullName: string,
    who: {
      actor: string;
      entityRef: string | null;
      reason: string;
      detail?: Record<string, unknown>;
    },
  ): Promise<PauseJobResponse> {
    const { directory, audit, pauses, logger } = this.options;
    const vpc = directory.getVpc(vpcName);
    const client = this.options.clients.get(vpc.jenkins)!;
    const previous = await pauses.get(vpc.name, fullName);
    const auditId = await audit.create({
      actor: who.actor,
      action: 'job.resume',
      entityRef: who.entityRef,
      vpc: vpc.name,
      job: fullName,
      target: fullName,
      parameters: who.reason ? { reason: who.reason } : {},
      detail: {
        jenkins: client.name,
        ...who.detail,
        ...(previous
          ? {
              pausedBy: previous.by,
              pauseReason: previous.reason,
              pausedAt: previous.at,
            }
          : {}),
      },
    });
    try {
      await client.setJobDisabled(fullName, false);
      await pauses.delete(vpc.name, fullName);
      await audit.finish(auditId, 'succeeded', {});
      await this.forget(client, fullName);
      logger.info('Job resumed', {
        actor: who.actor,
        target: fullName,
        auditId,
      });
      return { auditId, vpc: vpc.name, job: fullName, paused: false };
    } catch (error) {
      await this.failed(auditId, error);
      throw error;
    }
  }

  private async failed(auditId: string, error: unknown) {
    const message = isError(error) ? error.message : String(error);
    await this.options.audit
      .finish(auditId, 'failed', { detail: { error: message } })
      .catch(e =>
        this.options.logger.error(
          `Could not record failed action ${auditId}: ${e}`,
        ),
      );
  }

  /** The jobs list is cached briefly: drop the listings that hold this job. */
  private async forget(client: JenkinsClient, fullName: string) {
    const cache = this.options.cache;
    if (!cache) return;
    await Promise.all([
      ...ancestorFolders(fullName).map(folder =>
        cache.delete(`jenkins:${client.name}:folder:${folder}`),
      ),
      ...listingCacheKeys(client.name, fullName).map(key => cache.delete(key)),
    ]);
  }
}
