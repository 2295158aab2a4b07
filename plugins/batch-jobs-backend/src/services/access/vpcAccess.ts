import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import { BATCH_JOBS_VPC_RESOURCE_TYPE } from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { batchJobsVpcRules, vpcResource } from './vpcRules';

const authorizeConditions = createConditionAuthorizer(
  Object.values(batchJobsVpcRules),
);

/**
 * Whether the caller holds a VPC-scoped permission on `vpc`. A conditional
 * decision (e.g. `isInVpc`, `requiresApproval`) is evaluated here, against
 * the VPC's configuration: this plugin owns the resource.
 * @internal
 */
export async function mayInVpc(
  permissions: PermissionsService,
  permission: ResourcePermission<typeof BATCH_JOBS_VPC_RESOURCE_TYPE>,
  vpc: VpcConfig,
  credentials: BackstageCredentials,
): Promise<boolean> {
  const [decision] = await permissions.authorizeConditional(
    [{ permission }],
    { credentials },
  );
  if (decision.result === AuthorizeResult.CONDITIONAL) {
    return authorizeConditions(decision, vpcResource(vpc));
  }
  return decision.result === AuthorizeResult.ALLOW;
}

/** `mayInVpc`, throwing a NotAllowedError that names the permission and the VPC. @internal */
export async function authorizeInVpc(
  permissions: PermissionsService,
  permission: ResourcePermission<typeof BATCH_JOBS_VPC_RESOURCE_TYPE>,
  vpc: VpcConfig,
  credentials: BackstageCredentials,
  /** e.g. "launch agents" */
  verb: string,
): Promise<void> {
  if (!(await mayInVpc(permissions, permission, vpc, credentials))) {
    throw new NotAllowedError(
      `You are not allowed to ${verb} in VPC '${vpc.name}' (${permission.name})`,
    );
  }
}
