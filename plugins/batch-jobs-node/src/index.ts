/**
 * Node library of the Batch Jobs plugin: the `batch-jobs-vpc` resource
 * type's rules and condition helpers, so a permission policy can grant
 * VPC-scoped actions by VPC without depending on the backend plugin.
 * @packageDocumentation
 */
export {
  batchJobsVpcConditions,
  batchJobsVpcResourceRef,
  batchJobsVpcRules,
  createBatchJobsVpcConditionalDecision,
} from './vpcPermissions';
export type { BatchJobsVpcResource } from './vpcPermissions';
