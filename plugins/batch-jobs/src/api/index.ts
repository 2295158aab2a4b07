export { batchJobsApiRef } from './BatchJobsApi';
export type {
  BatchJobsApi,
  BuildRef,
  JobRef,
  LogChunk,
  LogChunkRequest,
} from './BatchJobsApi';
export { BatchJobsClient } from './BatchJobsClient';
