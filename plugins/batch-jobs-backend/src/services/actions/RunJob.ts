import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  JobParameterDefinition,
  JobParametersResponse,
  RerunResponse,
  RunJobRequest,
  RunJobResponse,
  batchJobsJobRunPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { IdempotencyStore } from '../../database/types';
import {
  SECRET_MASK,
  checkParameters,
  mapParameterDefinitions,
  valuesFromBuild,
} from '../jenkins/parameters';
import { ApprovedAs, approvalDetail } from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';
import { holdUnderKey, runAuditedAction } from './auditedAction';
import {
  actingEntityRef,
  authorizeOnEntity,
  checkIdempotencyKey,
  claimIdempotencyKey,
  EntityActionServices,
} from './entityAccess';

/** @public */
export interface ActionContext {
  credentials: BackstageCredentials;
  /** Entity ref of the signed-in user. */
  actor: string;
  idempotencyKey?: string;
  /**
   * Set when a second person approved this action: it runs with the
   * requester's credentials (checked again) and does exactly what was reviewed.
   */
  approval?: ApprovedAs;
}

/**
 * Starts a job now with parameters a person entered. The one way in:
 * authorize → check the values against the job's definitions → audit
 * `pending` → `buildWithParameters` (or `build`) → audit outcome. Password
 * values go to Jenkins only: the audit gets a mask, no answer repeats them.
 * @public
 */
export class RunJob {
  constructor(
    private readonly options: EntityActionServices & {
      idempotency: IdempotencyStore;
    },
  ) {}

  /** Definitions for the form; with `fromBuild`, that build's values (no passwords). */
  async parameters(request: {
    vpc: string;
    job: string;
    fromBuild?: number;
  }): Promise<JobParametersResponse> {
    const { vpc, fullName } = this.options.directory.resolveJob(
      request.vpc,
      request.job,
    );
    const client = this.options.clients.get(vpc.jenkins)!;
    const [job, build] = await Promise.all([
      client.getJobParameters(fullName),
      request.fromBuild !== undefined
        ? client.getBuild(fullName, request.fromBuild)
        : Promise.resolve(undefined),
    ]);
    const definitions = mapParameterDefinitions(job);
    const response: JobParametersResponse = {
      vpc: vpc.name,
      job: fullName,
      definitions,
    };
    if (build && request.fromBuild !== undefined) {
      response.fromBuild = request.fromBuild;
      response.values = valuesFromBuild(build, definitions);
    }
    return response;
  }

  async run(
    input: RunJobRequest,
    context: ActionContext,
  ): Promise<RunJobResponse | ApprovalPendingResponse> {
    const { directory, idempotency } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    const key = context.idempotencyKey;
    checkIdempotencyKey(key);
    if (
      !input.parameters ||
      typeof input.parameters !== 'object' ||
      Array.isArray(input.parameters)
    ) {
      throw new InputError('Invalid run request: parameters must be an object');
    }
    // Also when approved: the requester's permission may have gone since.
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: actingEntityRef(input.entityRef, context.approval),
      credentials: context.credentials,
      permission: batchJobsJobRunPermission,
      verb: 'run jobs of',
    });
    const client = this.options.clients.get(vpc.jenkins)!;
    // Checked before claiming the key, so a bad form can be corrected and resent.
    const definitions = mapParameterDefinitions(
      await client.getJobParameters(fullName),
    );
    const checked = checkParameters(definitions, input.parameters);
    const gate = this.options.gate;
    const held = !context.approval && gate?.requires(vpc);
    const pinned = effectiveParameters(definitions, checked.send);
    const hash = pinHash({ vpc: vpc.name, job: fullName, parameters: pinned });
    if (held || context.approval) {
      // An approval request is stored and shown: it must hold no secret.
      const secrets = Object.entries(checked.recorded)
        .filter(([, v]) => v === SECRET_MASK)
        .map(([name]) => name);
      if (secrets.length > 0) {
        throw new InputError(
          `VPC ${
            vpc.name
          } needs a second person's approval, and an approval request shows and stores what it runs: it cannot carry the password parameter${
            secrets.length > 1 ? 's' : ''
          } ${secrets.join(', ')}. Leave ${
            secrets.length > 1 ? 'them' : 'it'
          } empty to use the job's default, or run the job in Jenkins`,
        );
      }
    }
    if (context.approval) checkPin(context.approval.review?.hash, hash);
    if (key !== undefined) {
      // The fingerprint holds masks, never a password.
      const replay = await claimIdempotencyKey<
        RunJobResponse | ApprovalPendingResponse
      >(idempotency, context.actor, key, [
        'job.run',
        vpc.name,
        fullName,
        checked.recorded,
        input.entityRef ?? null,
      ]);
      if (replay) return replay;
    }
    if (held) {
      return holdUnderKey(idempotency, context.actor, key, () =>
        gate!.hold({
          action: 'job.run',
          vpc,
          job: fullName,
          target: fullName,
          summary: `Run ${fullName}`,
          entityRef,
          payload: {
            vpc: vpc.name,
            job: fullName,
            parameters: checked.recorded,
            ...(entityRef ? { entityRef } : {}),
          },
          review: {
            parameters: pinned,
            hash,
            hashOf: `the parameters ${fullName} will run with (defaults included)`,
          },
          actor: context.actor,
        }),
      );
    }
    return runAuditedAction<RunJobResponse>(this.options, {
      event: {
        actor: context.actor,
        action: 'job.run',
        entityRef,
        vpc: vpc.name,
        job: fullName,
        target: fullName,
        parameters: context.approval ? pinned : checked.recorded,
        detail: { jenkins: client.name, ...approvalDetail(context.approval) },
      },
      key,
      logs: {
        succeeded: 'Run queued',
        failed: 'Run failed',
        unrecorded: 'Could not record failed run',
      },
      act: async auditId => {
        // Approved: every value explicit, so a default changed since cannot slip in.
        const send = context.approval ? explicit(pinned) : checked.send;
        const queueItemId = await client.triggerBuild(
          fullName,
          definitions.length > 0 ? send : null,
        );
        const defaults = definitions
          .filter(d => !(d.name in checked.recorded))
          .map(d => d.name);
        return {
          finish: {
            queueItemId,
            detail: {
              queueItemId,
              ...(defaults.length ? { parametersFromDefaults: defaults } : {}),
            },
          },
          response: queuedAnswer(auditId, vpc.name, fullName, queueItemId),
          fields: { queueItemId },
        };
      },
      redact: message =>
        scrub(
          message,
          Object.entries(checked.recorded)
            .filter(([, v]) => v === SECRET_MASK)
            .map(([name]) => checked.send[name]),
        ),
    });
  }
}

/** What a rerun or run answers once Jenkins queued the build. @internal */
export function queuedAnswer(
  auditId: string,
  vpc: string,
  job: string,
  queueItemId: number,
): RunJobResponse & RerunResponse {
  return { auditId, vpc, job, queueItemId, state: 'queued' };
}

/**
 * The values a run gets: those entered, and each other parameter's default
 * (null for a password: Jenkins keeps it, the portal never sees it).
 */
function effectiveParameters(
  definitions: JobParameterDefinition[],
  send: Record<string, string>,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const def of definitions) {
    if (def.name in send) out[def.name] = send[def.name];
    else if (def.type === 'password') out[def.name] = null;
    else if (def.type === 'choice') out[def.name] = def.choices?.[0] ?? null;
    else if (def.default !== undefined) out[def.name] = String(def.default);
    else out[def.name] = null;
  }
  return out;
}

function explicit(
  values: Record<string, string | null>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => e[1] !== null),
  );
}

/** Jenkins error pages may echo a submitted value: never let a password through. */
function scrub(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join(SECRET_MASK);
  }
  return out;
}
