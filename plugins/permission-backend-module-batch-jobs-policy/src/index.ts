/**
 * The portal's permission policy: Batch Jobs actions for configured
 * operators, approvers and entity owners; every other permission allowed.
 * @packageDocumentation
 */
export { permissionModuleBatchJobsPolicy as default } from './module';
export { permissionModuleBatchJobsPolicy } from './module';
export { BatchJobsPermissionPolicy } from './policy';
export type { BatchJobsPolicyRules } from './policy';
