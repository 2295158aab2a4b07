/**
 * Batch Jobs backend plugin: Jenkins batch jobs per VPC behind one audited,
 * permission-checked API.
 * @packageDocumentation
 */
export { batchJobsPlugin as default } from './plugin';
export { batchJobsPlugin } from './plugin';
