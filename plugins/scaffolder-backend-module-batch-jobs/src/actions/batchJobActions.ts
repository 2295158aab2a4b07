import { InputError } from '@backstage/errors';
import {
  createTemplateAction,
  type TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  BatchJobParameterSpec,
  CreateBatchJobsRequest,
  isApprovalPending,
  validateBatchJobSpec,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsWriter } from '../BatchJobsBackendClient';

type RawInput = {
  vpcs: string[];
  folder: string;
  name: string;
  schedule?: string;
  agentType: 'batch' | 'worker';
  parameters: Array<
    Omit<BatchJobParameterSpec, 'choices'> & { choices?: string[] | string }
  >;
  application: string;
  batchName: string;
  description?: string;
  template?: string;
  entityRef?: string;
  update?: boolean;
  force?: boolean;
  dryRun?: boolean;
};

/** The request, with the checks the backend also makes done early for a clear step error. */
function toRequest(input: RawInput, dryRun: boolean): CreateBatchJobsRequest {
  const request: CreateBatchJobsRequest = {
    ...input,
    schedule: input.schedule?.trim() || null,
    parameters: input.parameters.map(p => ({
      ...p,
      ...(typeof p.choices === 'string'
        ? {
            choices: p.choices
              .split(',')
              .map(c => c.trim())
              .filter(Boolean),
          }
        : {}),
    })) as BatchJobParameterSpec[],
    dryRun,
  };
  const problems = validateBatchJobSpec(request);
  if (problems.length > 0) {
    throw new InputError(`Invalid batch job: ${problems.join('; ')}`);
  }
  return request;
}

/**
 * Input of `batch-jobs:job:create` and `batch-jobs:job:update`. Spelled out
 * (not inferred from the schema) so the public API reads the same on every
 * build: inferred object types list their properties in varying order.
 * @public
 */
export type BatchJobActionInput = {
  vpcs: string[];
  folder: string;
  name: string;
  agentType: 'batch' | 'worker';
  parameters: {
    name: string;
    type: 'string' | 'boolean' | 'text' | 'choice' | 'password';
    defaultValue?: string | boolean;
    description?: string;
    choices?: string | string[];
  }[];
  application: string;
  batchName: string;
  schedule?: string;
  description?: string;
  template?: string;
  entityRef?: string;
  update?: boolean;
  force?: boolean;
  dryRun?: boolean;
};

/** Output of the batch-jobs scaffolder actions. @public */
export type BatchJobActionOutput = {
  jobs: { vpc: string; action: string; fullName: string; url: string }[];
  configXml: Record<string, string>;
  approval?: { id: string; status: string; expiresAt: string };
};

/** @public */
export type BatchJobAction = TemplateAction<
  BatchJobActionInput,
  BatchJobActionOutput,
  'v2'
>;

function makeAction(
  id: string,
  mode: 'create' | 'update',
  description: string,
  writer: BatchJobsWriter,
) {
  return createTemplateAction({
    id,
    description,
    supportsDryRun: true,
    examples: [
      {
        description: 'A nightly batch in DEV and STG',
        example: `steps:
  - id: job
    action: ${id}
    input:
      vpcs: [DEV, STG]
      folder: payments-settlement
      name: nightly-import
      schedule: H 2 * * *
      agentType: batch
      application: payments-batch
      batchName: import-settlements
      parameters:
        - { name: RUN_DATE, type: string, defaultValue: yesterday }`,
      },
    ],
    schema: {
      input: {
        vpcs: z =>
          z
            .array(z.string())
            .min(1)
            .describe('VPCs to create the job in, e.g. [DEV, STG]'),
        folder: z =>
          z
            .string()
            .describe(
              "Folder below each VPC's folder, usually the service (created when missing)",
            ),
        name: z => z.string().describe('Job name'),
        schedule: z =>
          z
            .string()
            .optional()
            .describe(
              'Jenkins timer spec, e.g. "H 2 * * *"; empty for no timer',
            ),
        agentType: z =>
          z
            .enum(['batch', 'worker'])
            .default('batch')
            .describe("Runs on the VPC's batch agents or worker agents"),
        parameters: z =>
          z
            .array(
              z.object({
                name: z.string(),
                type: z
                  .enum(['string', 'text', 'boolean', 'choice', 'password'])
                  .default('string'),
                description: z.string().optional(),
                defaultValue: z.union([z.string(), z.boolean()]).optional(),
                // A list, or one comma-separated string as a form field gives it.
                choices: z.union([z.array(z.string()), z.string()]).optional(),
              }),
            )
            .default([])
            .describe('Build parameters'),
        application: z =>
          z.string().describe('The batch application to check out'),
        batchName: z =>
          z.string().describe('The batch of the application to run'),
        description: z => z.string().optional(),
        template: z =>
          z
            .string()
            .optional()
            .describe(
              'Id of the job template (GET /api/batch-jobs/jobs/templates); default: the standard batch pipeline',
            ),
        entityRef: z =>
          z
            .string()
            .optional()
            .describe('The owning component, recorded in the audit trail'),
        update: z =>
          z
            .boolean()
            .optional()
            .describe('Replace the configuration of jobs that already exist'),
        force: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Replace an existing job the template did not create (refused without it); its config is kept in the job history',
            ),
        dryRun: z =>
          z
            .boolean()
            .optional()
            .describe('Render and check only; write nothing'),
      },
      output: {
        jobs: z =>
          z
            .array(
              z.object({
                vpc: z.string(),
                fullName: z.string(),
                action: z.string(),
                url: z.string(),
              }),
            )
            .describe('The job of each VPC and what was done to it'),
        configXml: z =>
          z
            .record(z.string())
            .describe('The config.xml of each VPC (dry runs only)'),
        approval: z =>
          z
            .object({
              id: z.string(),
              status: z.string(),
              expiresAt: z.string(),
            })
            .optional()
            .describe(
              'Set when a VPC requires four eyes: the request waits for another person (nothing was written)',
            ),
      },
    },
    async handler(ctx) {
      const input = ctx.input as unknown as RawInput;
      const dryRun = Boolean(ctx.isDryRun || input.dryRun);
      const request = toRequest(input, dryRun);
      const credentials = await ctx.getInitiatorCredentials();
      const response = await writer.write(request, mode, credentials);
      if (isApprovalPending(response)) {
        ctx.logger.info(
          `A VPC of this request requires four eyes: nothing was written. Approval request ${response.requestId} waits for another person (Batch Fleet page, Approvals); once approved, you execute it there. It expires ${response.approval.expiresAt}.`,
        );
        ctx.output('jobs', []);
        ctx.output('approval', response.approval);
        return;
      }
      for (const job of response.jobs) {
        ctx.logger.info(
          `${job.vpc}: ${job.action} ${job.fullName} (${job.url})`,
        );
      }
      ctx.output(
        'jobs',
        response.jobs.map(({ vpc, fullName, action, url }) => ({
          vpc,
          fullName,
          action,
          url,
        })),
      );
      if (response.dryRun) {
        ctx.output(
          'configXml',
          Object.fromEntries(response.jobs.map(j => [j.vpc, j.configXml])),
        );
      }
    },
  });
}

/**
 * `batch-jobs:job:create`: the job from the standard batch pipeline template
 * on each VPC's Jenkins (createItem). A job that exists already is an error
 * unless `update: true`. Permission `batch-jobs.job.create`; audited.
 * @public
 */
export function createBatchJobCreateAction(options: {
  writer: BatchJobsWriter;
}): BatchJobAction {
  return makeAction(
    'batch-jobs:job:create',
    'create',
    "Creates a batch job from the standard pipeline template in each VPC's Jenkins",
    options.writer,
  );
}

/**
 * `batch-jobs:job:update`: replaces the configuration of existing jobs with
 * the template's (their build history is kept). Permission
 * `batch-jobs.job.create`; audited.
 * @public
 */
export function createBatchJobUpdateAction(options: {
  writer: BatchJobsWriter;
}): BatchJobAction {
  return makeAction(
    'batch-jobs:job:update',
    'update',
    'Reconfigures existing batch jobs from the standard pipeline template, keeping their builds',
    options.writer,
  );
}
