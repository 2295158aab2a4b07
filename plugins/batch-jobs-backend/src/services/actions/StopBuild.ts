import { Config } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import {
  StopBuildRequest,
  StopBuildResponse,
  StopMethod,
  batchJobsBuildStopPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { JenkinsClient, isQueueItemOf } from '../jenkins/JenkinsClient';
import { jobKind, mapResult } from '../jenkins/mapping';
import { RawBuild } from '../jenkins/types';
import { ActionContext } from './RunJob';
import { authorizeOnEntity, EntityActionServices } from './entityAccess';

/** Default of `batchJobs.stop.escalateAfterSeconds`. @public */
export const DEFAULT_ESCALATE_AFTER_SECONDS = 30;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Stops a running build and makes sure it really ended, or cancels a queued
 * item. Jenkins' `stop` only asks a pipeline to stop; a step that ignores
 * the interrupt keeps it running, so after `escalateAfterSeconds` without
 * an end the action escalates the way Jenkins offers it: `term` (fail the
 * running steps), then `kill` (end the build at once). Freestyle builds have
 * only `stop`. Answers when the build has ended (synchronous, bounded by
 * about three times the escalation delay).
 * @public
 */
export class StopBuild {
  static fromConfig(
    config: Config,
    deps: ConstructorParameters<typeof StopBuild>[0],
  ): StopBuild {
    const key = 'batchJobs.stop.escalateAfterSeconds';
    const seconds =
      config.getOptionalNumber(key) ?? DEFAULT_ESCALATE_AFTER_SECONDS;
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new Error(
        `Invalid config at ${key}: must be a positive number of seconds, got ${seconds}`,
      );
    }
    return new StopBuild({ ...deps, escalateAfterMs: seconds * 1000 });
  }

  constructor(
    /** Stops are never held (they limit damage); in a four-eyes VPC the gate tells the approvers. */
    private readonly options: EntityActionServices & {
      escalateAfterMs?: number;
    },
  ) {}

  private get escalateAfterMs() {
    return (
      this.options.escalateAfterMs ?? DEFAULT_ESCALATE_AFTER_SECONDS * 1000
    );
  }

  async stop(
    input: StopBuildRequest,
    context: ActionContext,
  ): Promise<StopBuildResponse> {
    const { directory, audit, logger } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    const hasNumber = input.number !== undefined;
    const hasItem = input.queueItemId !== undefined;
    if (hasNumber === hasItem) {
      throw new InputError(
        'Invalid stop request: give either number (a build) or queueItemId (a queued item)',
      );
    }
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: input.entityRef,
      credentials: context.credentials,
      permission: batchJobsBuildStopPermission,
      verb: 'stop builds of',
    });
    const client = this.options.clients.get(vpc.jenkins)!;
    const target = hasNumber
      ? `${fullName}#${input.number}`
      : `${fullName} queue item ${input.queueItemId}`;
    const auditId = await audit.create({
      actor: context.actor,
      action: 'build.stop',
      entityRef,
      vpc: vpc.name,
      job: fullName,
      target,
      parameters: {},
      detail: {
        jenkins: client.name,
        ...(hasNumber
          ? { number: input.number }
          : { queueItemId: input.queueItemId }),
      },
    });
    if (this.options.gate?.requires(vpc)) {
      await this.options.gate.notifyApprovers({
        actor: context.actor,
        title: `Stopped without approval: ${target}`,
        description: `${context.actor} is stopping ${target} in ${vpc.name}. Stops are not held for approval because they limit damage; audit row ${auditId}.`,
      });
    }
    const methods: StopMethod[] = [];
    try {
      let number = input.number;
      let response: StopBuildResponse | undefined;
      if (number === undefined) {
        const cancelled = await this.cancel(
          client,
          fullName,
          input.queueItemId!,
          methods,
        );
        if (typeof cancelled === 'number') number = cancelled;
        else
          response = {
            auditId,
            vpc: vpc.name,
            job: fullName,
            queueItemId: input.queueItemId,
            outcome: 'cancelled',
            methods,
          };
      }
      if (!response) {
        const ended = await this.end(client, fullName, number!, methods);
        response = {
          auditId,
          vpc: vpc.name,
          job: fullName,
          number,
          ...(input.queueItemId !== undefined
            ? { queueItemId: input.queueItemId }
            : {}),
          outcome: methods.length ? 'stopped' : 'already-finished',
          result: mapResult(ended.result),
          methods,
        };
      }
      await audit.finish(auditId, 'succeeded', {
        detail: {
          outcome: response.outcome,
          methods,
          ...(response.number !== undefined
            ? { buildNumber: response.number }
            : {}),
          ...(response.result ? { result: response.result } : {}),
        },
      });
      logger.info('Build stopped', {
        actor: context.actor,
        target,
        outcome: response.outcome,
        methods: methods.join(','),
        auditId,
      });
      return response;
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      await audit
        .finish(auditId, 'failed', { detail: { error: message, methods } })
        .catch(e =>
          logger.error(`Could not record failed stop ${auditId}: ${e}`),
        );
      logger.warn('Stop failed', {
        actor: context.actor,
        target,
        error: message,
      });
      throw error;
    }
  }

  /** Cancels a waiting item; when it already became a build, returns that build's number. */
  private async cancel(
    client: JenkinsClient,
    fullName: string,
    id: number,
    methods: StopMethod[],
  ): Promise<number | 'cancelled'> {
    const item = await client.getQueueItem(id);
    if (!isQueueItemOf(item, fullName)) {
      throw new NotFoundError(
        `Queue item ${id} is not an item of job '${fullName}'`,
      );
    }
    if (typeof item.executable?.number === 'number')
      return item.executable.number;
    if (item.cancelled) return 'cancelled';
    try {
      await client.cancelQueueItem(id);
      methods.push('cancelItem');
      return 'cancelled';
    } catch (error) {
      if ((error as Error)?.name !== 'NotFoundError') throw error;
    }
    // It left the queue while we asked: it is a build now, or gone.
    const again = await client.getQueueItem(id);
    if (typeof again.executable?.number === 'number')
      return again.executable.number;
    return 'cancelled';
  }

  /**
   * Stop, then term and kill for pipelines, until Jenkins says the build
   * ended. No permission check or audit: callers (the stop action, worker
   * redeploys) do their own.
   */
  async end(
    client: JenkinsClient,
    fullName: string,
    number: number,
    methods: StopMethod[],
  ): Promise<RawBuild> {
    let build = await client.getBuild(fullName, number);
    if (!build.building) return build;
    // Only pipeline runs have term and kill (WorkflowRun.doTerm/doKill).
    const pipeline = jobKind(await client.getJob(fullName)) === 'pipeline';
    const steps: Array<'stop' | 'term' | 'kill'> = pipeline
      ? ['stop', 'term', 'kill']
      : ['stop', 'stop'];
    for (const step of steps) {
      methods.push(step);
      await client.stopBuild(fullName, number, step);
      build = await this.waitForEnd(client, fullName, number);
      if (!build.building) return build;
      this.options.logger.warn(
        `Build ${fullName} #${number} still running ${Math.round(
          this.escalateAfterMs / 1000,
        )} s after ${step}`,
      );
    }
    throw new ConflictError(
      `Jenkins '${
        client.name
      }' did not end build '${fullName}' #${number} after ${methods.join(
        ', ',
      )}; it is still running`,
    );
  }

  private async waitForEnd(
    client: JenkinsClient,
    fullName: string,
    number: number,
  ): Promise<RawBuild> {
    const deadline = Date.now() + this.escalateAfterMs;
    const interval = Math.min(1000, Math.max(50, this.escalateAfterMs / 10));
    for (;;) {
      const build = await client.getBuild(fullName, number);
      if (!build.building || Date.now() >= deadline) return build;
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
    }
  }
}
