import type {
  AuthService,
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { EntityJobsResponse } from '@batch-jobs/plugin-batch-jobs-common';
import { isApprovalPending } from '@batch-jobs/plugin-batch-jobs-common';
import { JobReadAccess } from '../actions/readAccess';
import { Rerun } from '../actions/Rerun';
import { JobsView } from '../jobs/JobsView';

/*
 * Batch Jobs for AI assistants (MCP) through Backstage's actions registry:
 * list an entity's jobs, read a build and its log, rerun a build. Each goes
 * through the very checks of its REST route: the caller's catalog view and
 * job read access, and for the rerun the permission, the audit row and the
 * four-eyes gate (Rerun), with the caller as the actor.
 */

/** The end of a log an assistant gets: enough to see why a build failed. */
const LOG_TAIL_BYTES = 64 * 1024;

/** The zod the actions registry hands each schema (its own copy, not ours). */
type RegistryZod = Parameters<
  Parameters<ActionsRegistryService['register']>[0]['schema']['input']
>[0];

/** The `vpc` and `job` inputs every job action takes. */
const jobInput = (z: RegistryZod) => ({
  vpc: z.string().min(1).max(100).describe('VPC name, e.g. DEV'),
  job: z
    .string()
    .min(1)
    .max(1000)
    .describe(
      'Full Jenkins job name, e.g. DEV/payments-settlement/daily-settlement-report',
    ),
});

export function registerBatchJobsActions(
  registry: ActionsRegistryService,
  deps: {
    auth: AuthService;
    userInfo: UserInfoService;
    catalog: CatalogService;
    jobs: JobsView;
    rerun: Rerun;
    readAccess: JobReadAccess;
    decorate?: (r: EntityJobsResponse) => Promise<EntityJobsResponse>;
  },
) {
  const { auth, userInfo, catalog, jobs, rerun, readAccess } = deps;

  const readableJob = async (
    credentials: BackstageCredentials,
    vpcName: string,
    job: string,
  ) => {
    const { vpc, fullName } = await readAccess.readableJob(
      vpcName,
      job,
      credentials,
    );
    return { vpc: vpc.name, job: fullName };
  };

  registry.register({
    name: 'list-batch-jobs',
    title: 'List batch jobs',
    description:
      'Lists the Jenkins batch jobs of a catalog entity in each VPC: schedule (with H resolved and the next runs), last build and its result, and whether the job is paused. Only entities the caller can see in the catalog.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .min(1)
            .max(500)
            .describe('Entity ref, e.g. component:default/payments-settlement'),
        }),
      output: z =>
        z.object({
          entityRef: z.string(),
          vpcs: z.array(
            z.object({
              vpc: z.string(),
              error: z.string().optional(),
              jobs: z.array(
                z.object({
                  fullName: z.string(),
                  schedule: z.string().nullable(),
                  nextRuns: z.array(z.string()),
                  lastBuild: z
                    .object({
                      number: z.number(),
                      result: z.string().nullable(),
                      startedAt: z.string(),
                    })
                    .nullable(),
                  paused: z.boolean(),
                  error: z.string().optional(),
                }),
              ),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const ref = parseEntityRef(input.entityRef);
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (!entity)
        throw new NotFoundError(`Entity ${input.entityRef} not found`);
      const view = await jobs.entityJobsView(
        entity,
        deps.decorate ?? (async r => r),
      );
      const body: EntityJobsResponse = JSON.parse(view.json);
      return {
        output: {
          entityRef: body.entityRef,
          vpcs: body.vpcs.map(v => ({
            vpc: v.vpc,
            ...(v.error ? { error: v.error } : {}),
            jobs: v.jobs.map(j => ({
              fullName: j.fullName,
              schedule: j.schedule.spec,
              nextRuns: j.schedule.nextRuns ?? [],
              lastBuild: j.lastBuild
                ? {
                    number: j.lastBuild.number,
                    result: j.lastBuild.result,
                    startedAt: j.lastBuild.startedAt,
                  }
                : null,
              paused: Boolean(j.pause),
              ...(j.error ? { error: j.error } : {}),
            })),
          })),
        },
      };
    },
  });

  registry.register({
    name: 'get-batch-build',
    title: 'Get a batch job build',
    description:
      'One build of a batch job (the latest when no number is given): result, start, duration, parameters (passwords never), and who or what triggered it.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          ...jobInput(z),
          number: z
            .number()
            .int()
            .positive()
            .optional()
            .describe('Build number; the latest when absent'),
        }),
      output: z => z.object({ build: z.record(z.any()).nullable() }),
    },
    action: async ({ input, credentials }) => {
      const { vpc, job } = await readableJob(credentials, input.vpc, input.job);
      const page = await jobs.listBuilds({
        vpc,
        job,
        limit: input.number ? 100 : 1,
      });
      const build = input.number
        ? page.items.find(b => b.number === input.number)
        : page.items[0];
      if (input.number && !build) {
        throw new NotFoundError(
          `Build #${input.number} of ${job} not found among its last 100 builds`,
        );
      }
      return {
        output: { build: build ? JSON.parse(JSON.stringify(build)) : null },
      };
    },
  });

  registry.register({
    name: 'get-batch-build-log',
    title: 'Get a batch job build log',
    description: `The console log of a build: its last ${
      LOG_TAIL_BYTES / 1024
    } KB, where a failure shows.`,
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          ...jobInput(z),
          number: z.number().int().positive(),
        }),
      output: z =>
        z.object({
          log: z.string(),
          truncated: z.boolean(),
          building: z.boolean(),
        }),
    },
    action: async ({ input, credentials }) => {
      const { vpc, job } = await readableJob(credentials, input.vpc, input.job);
      const chunk = await jobs.streamLog({
        vpc,
        job,
        number: input.number,
        start: 0,
      });
      // Keep only the tail in memory, however long the log is.
      let tail = Buffer.alloc(0);
      let truncated = false;
      for await (const part of chunk.stream) {
        tail = Buffer.concat([tail, Buffer.from(part)]);
        if (tail.length > LOG_TAIL_BYTES) {
          tail = tail.subarray(tail.length - LOG_TAIL_BYTES);
          truncated = true;
        }
      }
      return {
        output: {
          log: tail.toString('utf8'),
          truncated,
          building: chunk.moreData === 'true',
        },
      };
    },
  });

  registry.register({
    name: 'rerun-batch-build',
    title: 'Rerun a batch job build',
    description:
      'Reruns a build with the same parameters, as the calling user: permission-checked and audited like the portal button; in a VPC that requires approval it files a request for a second person instead.',
    attributes: { destructive: false, idempotent: false, readOnly: false },
    schema: {
      input: z =>
        z.object({
          ...jobInput(z),
          number: z
            .number()
            .int()
            .positive()
            .describe('The build to run again'),
          entityRef: z.string().min(1).max(500).optional(),
        }),
      output: z =>
        z.object({
          state: z.enum(['queued', 'started', 'cancelled', 'approval-pending']),
          auditId: z.string().optional(),
          queueItemId: z.number().optional(),
          approvalId: z.string().optional(),
        }),
    },
    action: async ({ input, credentials }) => {
      // Our audit trail names a person: a service cannot be the actor.
      if (!auth.isPrincipal(credentials, 'user')) {
        throw new NotAllowedError(
          'A rerun must be requested by a signed-in user',
        );
      }
      const { userEntityRef } = await userInfo.getUserInfo(credentials);
      const answer = await rerun.rerun(input, {
        credentials,
        actor: userEntityRef,
      });
      if (isApprovalPending(answer)) {
        return {
          output: {
            state: 'approval-pending' as const,
            approvalId: answer.approval.id,
          },
        };
      }
      return {
        output: {
          state: answer.state,
          auditId: answer.auditId,
          queueItemId: answer.queueItemId,
        },
      };
    },
  });
}
