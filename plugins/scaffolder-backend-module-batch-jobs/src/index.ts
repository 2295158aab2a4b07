/**
 * Scaffolder actions that create and update batch jobs from the standard
 * pipeline template on each VPC's Jenkins, through the Batch Jobs backend.
 * @packageDocumentation
 */
export { scaffolderModuleBatchJobs as default } from './module';
export { scaffolderModuleBatchJobs } from './module';
export {
  createBatchJobCreateAction,
  createBatchJobUpdateAction,
} from './actions/batchJobActions';
export type {
  BatchJobAction,
  BatchJobActionInput,
  BatchJobActionOutput,
} from './actions/batchJobActions';
export { BatchJobsBackendClient } from './BatchJobsBackendClient';
export type { BatchJobsWriter } from './BatchJobsBackendClient';
