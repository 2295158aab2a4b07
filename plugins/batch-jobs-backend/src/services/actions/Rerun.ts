import { createHash } from 'node:crypto';
import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  isError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ApprovalPendingResponse,
  RerunRequest,
  RerunResponse,
  batchJobsBuildRerunPermission,
} from '@internal/plugin-batch-jobs-common';
import { AuditStore, IdempotencyStore } from '../../database/types';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { ApprovalGate, ApprovedAs } from '../approvals/ApprovalGate';
import {
  mapParameters,
  parameterDefinitions,
  secretParameterNames,
} from '../jenkins/mapping';
import { authorizeOnEntity } from './entityAccess';

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

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/**
 * Reruns a build with the parameters it ran with. The one way in for reruns:
 * authorize → audit `pending` → act → audit outcome. Jenkins refusing is an
 * error for the caller, never a success.
 * @public
 */
export class Rerun {
  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      audit: AuditStore;
      idempotency: IdempotencyStore;
      permissions: PermissionsService;
      catalog: CatalogService;
      logger: LoggerService;
      /** The four-eyes gate of VPCs with `requireApproval`. */
      gate?: ApprovalGate;
    },
  ) {}

  async rerun(
    input: RerunInput,
    context: RerunContext,
  ): Promise<RerunResponse | ApprovalPendingResponse> {
    const { directory, audit, idempotency, logger } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    if (!Number.isInteger(input.number) || input.number < 1) {
      throw new InputError(`Invalid build number '${input.number}'`);
    }
    const key = context.idempotencyKey;
    if (key !== undefined && !KEY_RE.test(key)) {
      throw new InputError(
        'Idempotency-Key must be 1-255 printable ASCII characters',
      );
    }

    const entityRef = context.approval
      ? context.approval.entityRef ?? input.entityRef ?? null
      : await authorizeOnEntity(this.options, {
          vpc,
          fullName,
          entityRef: input.entityRef,
          credentials: context.credentials,
          permission: batchJobsBuildRerunPermission,
          verb: 'rerun builds of',
        });

    if (key !== undefined) {
      const hash = createHash('sha256')
        .update(
          JSON.stringify([
            vpc.name,
            fullName,
            input.number,
            input.entityRef ?? null,
          ]),
        )
        .digest('hex');
      const claim = await idempotency.claim(context.actor, key, hash);
      if (claim.state === 'replay') return claim.response as RerunResponse;
      if (claim.state === 'mismatch') {
        throw new ConflictError(
          `Idempotency-Key '${key}' was already used for a different request`,
        );
      }
      if (claim.state === 'in-flight') {
        throw new ConflictError(
          `A request with Idempotency-Key '${key}' is still in progress`,
        );
      }
    }

    const gate = this.options.gate;
    if (!context.approval && gate?.requires(vpc)) {
      try {
        const held = await gate.hold({
          action: 'build.rerun',
          vpc,
          job: fullName,
          target: `${fullName}#${input.number}`,
          summary: `Rerun ${fullName} #${input.number}`,
          entityRef,
          payload: {
            vpc: vpc.name,
            job: fullName,
            number: input.number,
            ...(entityRef ? { entityRef } : {}),
          },
          actor: context.actor,
        });
        if (key !== undefined)
          await idempotency.complete(context.actor, key, held);
        return held;
      } catch (error) {
        if (key !== undefined)
          await idempotency.release(context.actor, key).catch(() => {});
        throw error;
      }
    }

    const client = this.options.clients.get(vpc.jenkins)!;
    const target = `${fullName}#${input.number}`;
    let auditId: string | undefined;
    try {
      auditId = await audit.create({
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
          ...(context.approval
            ? {
                approvalId: context.approval.approvalId,
                approvedBy: context.approval.approvedBy,
              }
            : {}),
        },
      });
      // A crash from here on leaves this link for the reconciler to settle the key.
      if (key !== undefined)
        await idempotency.attach(context.actor, key, auditId);

      const [build, job] = await Promise.all([
        client.getBuild(fullName, input.number),
        client.getJob(fullName),
      ]);
      const parameters = mapParameters(build, secretParameterNames(job));
      const send: Record<string, string> = {};
      const recorded: Record<string, unknown> = {};
      const omittedSecrets: string[] = [];
      for (const p of parameters) {
        recorded[p.name] = p.value;
        // Jenkins never exports secret values: those fall back to the job's default.
        if (p.secret) omittedSecrets.push(p.name);
        else if (p.value !== null) send[p.name] = String(p.value);
      }
      const parameterized = parameterDefinitions(job).length > 0;
      const queueItemId = await client.triggerBuild(
        fullName,
        parameterized ? send : null,
      );

      await audit.finish(auditId, 'succeeded', {
        queueItemId,
        parameters: recorded,
        detail: {
          queueItemId,
          ...(omittedSecrets.length
            ? { secretParametersFromDefaults: omittedSecrets }
            : {}),
        },
      });
      const response: RerunResponse = {
        auditId,
        vpc: vpc.name,
        job: fullName,
        queueItemId,
        state: 'queued',
      };
      if (key !== undefined)
        await idempotency.complete(context.actor, key, response);
      logger.info('Rerun queued', {
        actor: context.actor,
        target,
        vpc: vpc.name,
        queueItemId,
        auditId,
      });
      return response;
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      if (auditId) {
        await audit
          .finish(auditId, 'failed', { detail: { error: message } })
          .catch(e =>
            logger.error(`Could not record failed rerun ${auditId}: ${e}`),
          );
      }
      if (key !== undefined) {
        await idempotency
          .release(context.actor, key)
          .catch(e => logger.error(`Could not release Idempotency-Key: ${e}`));
      }
      logger.warn('Rerun failed', {
        actor: context.actor,
        target,
        error: message,
      });
      throw error;
    }
  }
}

