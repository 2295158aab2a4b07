import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  JobParametersResponse,
  RerunResponse,
  RunJobRequest,
  RunJobResponse,
  batchJobsJobRunPermission,
} from '@internal/plugin-batch-jobs-common';
import { AuditStore, IdempotencyStore } from '../../database/types';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import {
  SECRET_MASK,
  checkParameters,
  mapParameterDefinitions,
  valuesFromBuild,
} from '../jenkins/parameters';
import { runAuditedAction } from './auditedAction';
import {
  authorizeOnEntity,
  checkIdempotencyKey,
  claimIdempotencyKey,
} from './entityAccess';

/** @public */
export interface ActionContext {
  credentials: BackstageCredentials;
  /** Entity ref of the signed-in user. */
  actor: string;
  idempotencyKey?: string;
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
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      audit: AuditStore;
      idempotency: IdempotencyStore;
      permissions: PermissionsService;
      catalog: CatalogService;
      logger: LoggerService;
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
  ): Promise<RunJobResponse> {
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
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: input.entityRef,
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
    if (key !== undefined) {
      // The fingerprint holds masks, never a password.
      const replay = await claimIdempotencyKey<RunJobResponse>(
        idempotency,
        context.actor,
        key,
        [
          'job.run',
          vpc.name,
          fullName,
          checked.recorded,
          input.entityRef ?? null,
        ],
      );
      if (replay) return replay;
    }
    return runAuditedAction<RunJobResponse>(this.options, {
      event: {
        actor: context.actor,
        action: 'job.run',
        entityRef,
        vpc: vpc.name,
        job: fullName,
        target: fullName,
        parameters: checked.recorded,
        detail: { jenkins: client.name },
      },
      key,
      logs: {
        succeeded: 'Run queued',
        failed: 'Run failed',
        unrecorded: 'Could not record failed run',
      },
      act: async auditId => {
        const queueItemId = await client.triggerBuild(
          fullName,
          definitions.length > 0 ? checked.send : null,
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

/** Jenkins error pages may echo a submitted value: never let a password through. */
function scrub(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join(SECRET_MASK);
  }
  return out;
}
