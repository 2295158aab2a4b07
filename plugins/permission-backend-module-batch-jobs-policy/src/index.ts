/**
 * An example permission policy for Batch Jobs: actions for configured
 * operators, approvers, viewers and entity owners. Other plugins'
 * permissions go to a fallback policy given in code (default: deny).
 * @packageDocumentation
 */
export { permissionModuleBatchJobsPolicy as default } from './module';
export { permissionModuleBatchJobsPolicy } from './module';
export { BatchJobsPermissionPolicy } from './policy';
export type {
  BatchJobsOperatorGrant,
  BatchJobsPermissionPolicyOptions,
  BatchJobsPolicyRules,
} from './policy';
