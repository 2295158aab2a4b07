import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { BATCH_JOBS_VPC_RESOURCE_TYPE } from '@batch-jobs/plugin-batch-jobs-common';
// Zod 4: the permission framework wants a Standard Schema that converts to
// JSON Schema (the rules' params are published to policy tooling).
import { z } from 'zod';

/**
 * A VPC as the rules of VPC-scoped permissions see it (resource type
 * `batch-jobs-vpc`, resource ref: the VPC's name).
 * @public
 */
export interface BatchJobsVpcResource {
  /** The VPC's name as configured in `batchJobs.vpcs[].name`, e.g. `PROD`. */
  name: string;
  /** Whether its actions wait for a second person (`requireApproval`). */
  requireApproval: boolean;
}

/**
 * The resource of VPC-scoped permissions (agent launch and terminate, worker
 * redeploy, job create and promote, VPC-wide reads). No query form: the
 * backend evaluates conditions on one VPC at a time.
 * @public
 */
export const batchJobsVpcResourceRef = createPermissionResourceRef<
  BatchJobsVpcResource,
  never
>().with({
  pluginId: 'batch-jobs',
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

function noQuery(rule: string): never {
  throw new Error(`${rule} is evaluated by the Batch Jobs backend only`);
}

const isInVpc = createPermissionRule({
  name: 'IS_IN_VPC',
  description: 'Allow in the named VPCs only (names as configured, e.g. PROD)',
  resourceRef: batchJobsVpcResourceRef,
  paramsSchema: z.object({
    vpcs: z.array(z.string()).describe('VPC names, e.g. DEV, STG'),
  }),
  apply: (vpc, { vpcs }) => vpcs.includes(vpc.name),
  toQuery: () => noQuery('IS_IN_VPC'),
});

const requiresApproval = createPermissionRule({
  name: 'REQUIRES_APPROVAL',
  description:
    'Allow in VPCs whose actions wait for a second person (requireApproval)',
  resourceRef: batchJobsVpcResourceRef,
  apply: vpc => vpc.requireApproval,
  toQuery: () => noQuery('REQUIRES_APPROVAL'),
});

/**
 * The rules of the `batch-jobs-vpc` resource type, registered by the Batch
 * Jobs backend.
 * @public
 */
export const batchJobsVpcRules = { isInVpc, requiresApproval };

const { conditions, createConditionalDecision } = createConditionExports({
  resourceRef: batchJobsVpcResourceRef,
  rules: batchJobsVpcRules,
});

/**
 * Conditions for a policy's VPC-scoped decisions, e.g.
 * `batchJobsVpcConditions.isInVpc({ vpcs: ['DEV', 'STG'] })` or
 * `batchJobsVpcConditions.requiresApproval()`.
 * @public
 */
export const batchJobsVpcConditions = conditions;

/**
 * A conditional decision on a VPC-scoped Batch Jobs permission, e.g.
 * `createBatchJobsVpcConditionalDecision(permission, batchJobsVpcConditions.isInVpc({ vpcs: ['DEV'] }))`.
 * Combine conditions with `{ allOf }`, `{ anyOf }` and `{ not }`.
 * @public
 */
export const createBatchJobsVpcConditionalDecision = createConditionalDecision;
