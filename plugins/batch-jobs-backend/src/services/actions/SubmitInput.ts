import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  InputParameter,
  SubmitInputRequest,
  SubmitInputResponse,
  batchJobsInputSubmitPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { IdempotencyStore } from '../../database/types';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { PipelineRuns } from '../jobs/PipelineRuns';
import { ActionContext } from './RunJob';
import { runAuditedAction } from './auditedAction';
import { authorizeOnEntity, EntityActionServices } from './entityAccess';

/*
 * Jenkins sees the portal's service account answer the input; the audit
 * row names the person. In a VPC that requires approval, proceeding is the
 * second pair of eyes, so the person who started the build may not do it.
 */

/**
 * Proceeds (with the input's parameters) or aborts the `input` step a
 * pipeline build waits at. The one way in: authorize → audit `pending` →
 * answer → audit outcome.
 * @public
 */
export class SubmitInput {
  constructor(
    private readonly options: EntityActionServices & {
      idempotency: IdempotencyStore;
      runs: PipelineRuns;
    },
  ) {}

  async submit(
    input: SubmitInputRequest,
    context: ActionContext,
  ): Promise<SubmitInputResponse> {
    const { directory, runs } = this.options;
    const { vpc, fullName } = directory.resolveJob(input.vpc, input.job);
    const entityRef = await authorizeOnEntity(this.options, {
      vpc,
      fullName,
      entityRef: input.entityRef,
      credentials: context.credentials,
      permission: batchJobsInputSubmitPermission,
      verb: 'answer the inputs of',
    });
    const client = this.options.clients.get(vpc.jenkins)!;
    const target = `${fullName}#${input.number}`;
    const pending = await runs.pendingInputs(client, fullName, input.number);
    const step = pending.find(p => p.id === input.inputId);
    if (!step) {
      throw new ConflictError(
        `Build ${target} is not waiting for input '${input.inputId}'${
          pending.length
            ? ` (it waits for: ${pending.map(p => p.id).join(', ')})`
            : ''
        }`,
      );
    }
    const parameters =
      input.action === 'proceed'
        ? checkValues(step.parameters, input.parameters ?? {})
        : [];
    if (input.action === 'proceed' && this.options.gate?.requires(vpc)) {
      const starter = await this.starterOf(
        client,
        vpc.name,
        fullName,
        input.number,
      );
      if (starter && sameUser(starter, context.actor)) {
        throw new NotAllowedError(
          `${vpc.name} requires a second person: ${context.actor} started ${target} and may not proceed its input '${step.id}'`,
        );
      }
    }
    return runAuditedAction<SubmitInputResponse>(this.options, {
      event: {
        actor: context.actor,
        action: input.action === 'proceed' ? 'input.proceed' : 'input.abort',
        entityRef,
        vpc: vpc.name,
        job: fullName,
        target,
        // Passwords never reach the audit.
        parameters: Object.fromEntries(
          parameters.map(p => [
            p.name,
            p.type === 'password' ? '********' : p.value,
          ]),
        ),
        detail: {
          jenkins: client.name,
          number: input.number,
          inputId: step.id,
          inputMessage: step.message,
        },
      },
      key: undefined,
      logs: {
        succeeded: `Input ${
          input.action === 'proceed' ? 'proceeded' : 'aborted'
        }`,
        failed: 'Input answer failed',
        unrecorded: 'Could not record failed input answer',
      },
      act: async auditId => {
        await client.answerInput(
          fullName,
          input.number,
          step.id,
          input.action === 'proceed'
            ? {
                action: 'proceed',
                parameters: parameters.map(({ name, value }) => ({
                  name,
                  value,
                })),
              }
            : { action: 'abort' },
        );
        return {
          finish: {},
          response: {
            auditId,
            vpc: vpc.name,
            job: fullName,
            number: input.number,
            inputId: step.id,
            action: input.action,
          },
          fields: { inputId: step.id, action: input.action },
        };
      },
    });
  }

  /**
   * Who started the build: the portal user of the run or rerun that queued
   * it (its audit row), else the Jenkins user of its UserIdCause.
   */
  private async starterOf(
    client: JenkinsClient,
    vpc: string,
    fullName: string,
    number: number,
  ): Promise<string | undefined> {
    const build = await client.getBuild(fullName, number);
    if (typeof build.queueId === 'number') {
      const row = await this.options.audit.findByQueueItem(vpc, build.queueId);
      if (row && row.job === fullName) return row.actor;
    }
    for (const action of build.actions ?? []) {
      for (const cause of (
        action as { causes?: Array<{ userId?: string | null }> }
      )?.causes ?? []) {
        if (cause?.userId && cause.userId !== client.serviceAccount) {
          return cause.userId;
        }
      }
    }
    return undefined;
  }
}

/** A portal actor (`user:default/jane`) is the same person as `jane` in Jenkins. */
function sameUser(starter: string, actor: string): boolean {
  const name = (ref: string) =>
    ref.toLocaleLowerCase('en-US').replace(/^user:(?:[^/]+\/)?/, '');
  return (
    starter.toLocaleLowerCase('en-US') === actor.toLocaleLowerCase('en-US') ||
    name(starter) === name(actor)
  );
}

/** The submitted values, checked against the input's parameters; defaults fill the rest. */
function checkValues(
  definitions: InputParameter[],
  values: Record<string, string | boolean>,
): Array<{
  name: string;
  type: InputParameter['type'];
  value: string | boolean;
}> {
  const unknown = Object.keys(values).filter(
    name => !definitions.some(d => d.name === name),
  );
  if (unknown.length > 0) {
    throw new InputError(
      `Unknown input parameter(s) ${unknown
        .map(n => `'${n}'`)
        .join(', ')}; the input takes ${
        definitions.map(d => `'${d.name}'`).join(', ') || 'none'
      }`,
    );
  }
  return definitions.map(def => {
    const value =
      values[def.name] ?? def.default ?? (def.type === 'boolean' ? false : '');
    if (def.type === 'boolean' && typeof value !== 'boolean') {
      throw new InputError(
        `Input parameter '${def.name}' must be true or false`,
      );
    }
    if (def.type !== 'boolean' && typeof value !== 'string') {
      throw new InputError(`Input parameter '${def.name}' must be text`);
    }
    if (
      def.type === 'choice' &&
      def.choices &&
      !def.choices.includes(value as string)
    ) {
      throw new InputError(
        `Input parameter '${def.name}' must be one of ${def.choices.join(
          ', ',
        )}`,
      );
    }
    return { name: def.name, type: def.type, value };
  });
}
