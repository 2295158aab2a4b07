export { batchJobsApiRef } from './BatchJobsApi';
export type { BatchJobsApi, BuildRef, JobRef, LogChunk } from './BatchJobsApi';
export { BatchJobsClient } from './BatchJobsClient';
