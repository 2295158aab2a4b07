import { createPermissionRule } from '@backstage/plugin-permission-node';
import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { BATCH_JOBS_VPC_RESOURCE_TYPE } from '@internal/plugin-batch-jobs-common';
import { z } from 'zod/v4';
import { VpcConfig } from '../../config';

/** The VPC resource of VPC-scoped permissions, as the rules see it. @public */
export interface BatchJobsVpcResource {
  name: string;
  requireApproval: boolean;
}

/** @public */
export const batchJobsVpcResourceRef = createPermissionResourceRef<
  BatchJobsVpcResource,
  never
>().with({
  pluginId: 'batch-jobs',
  resourceType: BATCH_JOBS_VPC_RESOURCE_TYPE,
});

const isInVpc = createPermissionRule({
  name: 'IS_IN_VPC',
  description: 'Allow in the named VPCs only',
  resourceRef: batchJobsVpcResourceRef,
  paramsSchema: z.object({
    vpcs: z.array(z.string()).describe('VPC names, e.g. DEV, STG'),
  }),
  apply: (vpc: BatchJobsVpcResource, { vpcs }) => vpcs.includes(vpc.name),
  toQuery: () => {
    throw new Error('IS_IN_VPC has no query form');
  },
});

const requiresApproval = createPermissionRule({
  name: 'REQUIRES_APPROVAL',
  description: 'Allow in VPCs whose actions wait for a second person',
  resourceRef: batchJobsVpcResourceRef,
  paramsSchema: z.object({}),
  apply: (vpc: BatchJobsVpcResource) => vpc.requireApproval,
  toQuery: () => {
    throw new Error('REQUIRES_APPROVAL has no query form');
  },
});

/** @public */
export const batchJobsVpcRules = { isInVpc, requiresApproval };

/** @internal */
export const vpcResource = (vpc: VpcConfig): BatchJobsVpcResource => ({
  name: vpc.name,
  requireApproval: vpc.requireApproval,
});
