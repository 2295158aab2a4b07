import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  RerunRequest,
  RerunResponse,
  batchJobsBuildRerunPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { IdempotencyStore } from '../../database/types';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { ApprovedAs, approvalDetail } from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';
import {
  mapParameters,
  parameterDefinitions,
  secretParameterNames,
} from '../jenkins/mapping';
import { queuedAnswer } from './RunJob';
import { holdUnderKey, runAuditedAction } from './auditedAction';
import {
  actingEntityRef,
  authorizeOnEntity,
  checkIdempotencyKey,
  claimIdempotencyKey,
  EntityActionServices,
} from './entityAccess';

/** `RerunRequest` plus the entity the caller acts through (optional). @public */
export interface RerunInput extends RerunRequest {
  entityRef?: string;
}

/** @public */
export interface RerunContext {
  credentials: BackstageCredentials;
  /** Entity ref of the signed-in user. */
  actor: string;
  idempotencyKey?: string;
  /** Set when a second person approved this rerun: it runs as `actor` without asking again. */
  approval?: ApprovedAs;
}

/**
 * Reruns a build with the parameters it ran with. The one way in for reruns:
 * authorize → audit `pending` → act → audit outcome. Jenkins refusing is an
 * error for the caller, never a success.
 * @public
 */
export class Rerun {
  constructor(
    private readonly options: EntityActionServices & {
      idempotency: IdempotencyStore;
    },
  ) {}

  async rerun(
    input: RerunInput,
    context: RerunContext,
  ): Promise<RerunResponse | ApprovalPendingResponse> {
    const { directory, idempotency } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    if (!Number.isInteger(input.number) || input.number < 1) {
      throw new InputError(`Invalid build number '${input.number}'`);
    }
    const key = context.idempotencyKey;
    checkIdempotencyKey(key);

    // Also when approved: it runs with the requester's credentials, whose
    // permission and entity claim may have gone since the request.
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: actingEntityRef(input.entityRef, context.approval),
      credentials: context.credentials,
      permission: batchJobsBuildRerunPermission,
      verb: 'rerun builds of',
    });
    const client = this.options.clients.get(vpc.jenkins)!;

    if (key !== undefined) {
      const replay = await claimIdempotencyKey<
        RerunResponse | ApprovalPendingResponse
      >(idempotency, context.actor, key, [
        vpc.name,
        fullName,
        input.number,
        input.entityRef ?? null,
      ]);
      if (replay !== undefined) return replay;
    }

    const target = `${fullName}#${input.number}`;
    const gate = this.options.gate;
    if (!context.approval && gate?.requires(vpc)) {
      return holdUnderKey(idempotency, context.actor, key, async () => {
        // The approver sees the values the build will get, read now.
        const pinned = await this.pinnedParameters(
          client,
          vpc.name,
          fullName,
          input.number,
        );
        return gate.hold({
          action: 'build.rerun',
          vpc,
          job: fullName,
          target,
          summary: `Rerun ${fullName} #${input.number}`,
          entityRef,
          payload: {
            vpc: vpc.name,
            job: fullName,
            number: input.number,
            ...(entityRef ? { entityRef } : {}),
          },
          review: {
            parameters: pinned.recorded,
            hash: pinned.hash,
            hashOf: `the parameters of ${fullName} #${input.number}`,
          },
          actor: context.actor,
        });
      });
    }

    return runAuditedAction<RerunResponse>(this.options, {
      event: {
        actor: context.actor,
        action: 'build.rerun',
        entityRef,
        vpc: vpc.name,
        job: fullName,
        target,
        parameters: {},
        detail: {
          jenkins: client.name,
          sourceBuild: input.number,
          ...approvalDetail(context.approval),
        },
      },
      key,
      logs: {
        succeeded: 'Rerun queued',
        failed: 'Rerun failed',
        unrecorded: 'Could not record failed rerun',
      },
      act: async auditId => {
        const { send, recorded, omittedSecrets, parameterized, hash } =
          await this.pinnedParameters(client, vpc.name, fullName, input.number);
        // Exactly what the approver saw, or nothing.
        if (context.approval) checkPin(context.approval.review?.hash, hash);
        const queueItemId = await client.triggerBuild(
          fullName,
          parameterized ? send : null,
        );
        return {
          finish: {
            queueItemId,
            parameters: recorded,
            detail: {
              queueItemId,
              ...(omittedSecrets.length
                ? { secretParametersFromDefaults: omittedSecrets }
                : {}),
            },
          },
          response: queuedAnswer(auditId, vpc.name, fullName, queueItemId),
          fields: { queueItemId },
        };
      },
    });
  }

  /** The parameters a rerun of `number` sends, and their hash (what an approval pins). */
  private async pinnedParameters(
    client: JenkinsClient,
    vpc: string,
    fullName: string,
    number: number,
  ) {
    const [build, job] = await Promise.all([
      client.getBuild(fullName, number),
      client.getJob(fullName),
    ]);
    const parameters = mapParameters(build, secretParameterNames(job));
    const send: Record<string, string> = {};
    const recorded: Record<string, string | number | boolean | null> = {};
    const omittedSecrets: string[] = [];
    for (const p of parameters) {
      recorded[p.name] = p.value;
      // Jenkins never exports secret values: those fall back to the job's default.
      if (p.secret) omittedSecrets.push(p.name);
      else if (p.value !== null) send[p.name] = String(p.value);
    }
    const parameterized = parameterDefinitions(job).length > 0;
    const hash = pinHash({
      vpc,
      job: fullName,
      number,
      parameters: recorded,
      parameterized,
    });
    return { send, recorded, omittedSecrets, parameterized, hash };
  }
}
