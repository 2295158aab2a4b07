import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  BATCH_JOBS_VPC_RESOURCE_TYPE,
  batchJobsPermissions,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsConfig } from '../config';
import {
  batchJobsVpcResourceRef,
  batchJobsVpcRules,
  vpcResource,
} from '../services/access/vpcRules';

/**
 * The plugin's permissions, and the VPC resource type: a policy's
 * conditions (isInVpc, requiresApproval) then also answer the frontend's
 * checks, which the permission backend sends here to apply.
 */
export function registerPermissions(
  registry: PermissionsRegistryService,
  config: BatchJobsConfig,
) {
  registry.addPermissions(batchJobsPermissions);
  registry.addResourceType({
    resourceRef: batchJobsVpcResourceRef,
    permissions: batchJobsPermissions.filter(p =>
      isResourcePermission(p, BATCH_JOBS_VPC_RESOURCE_TYPE),
    ),
    rules: Object.values(batchJobsVpcRules),
    getResources: async names =>
      names.map(name => {
        const vpc = config.vpcs.find(v => v.name === name);
        return vpc ? vpcResource(vpc) : undefined;
      }),
  });
}
