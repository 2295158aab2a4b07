/**
 * Batch Jobs: Jenkins batch jobs per VPC on a catalog entity page, with
 * builds, live logs, audited reruns.
 * @packageDocumentation
 */
export { BatchFleetPage, EntityBatchFleetCard } from './plugin';
export { batchFleetApiRef } from './api/BatchFleetApi';
export type { BatchFleetApi } from './api/BatchFleetApi';
export { BatchFleetClient } from './api/BatchFleetClient';
export { BatchApprovalsCard } from './plugin';
export { batchOperationsApiRef } from './api/BatchOperationsApi';
export type { BatchOperationsApi } from './api/BatchOperationsApi';
export { BatchOperationsClient } from './api/BatchOperationsClient';
export {
  batchJobsPlugin,
  EntityBatchJobsContent,
  EntityBatchJobsCard,
} from './plugin';
export { isBatchJobsAvailable } from './conditions';
export { batchJobsApiRef, BatchJobsClient } from './api';
export type {
  BatchJobsApi,
  BuildRef,
  JobRef,
  LogChunk,
  LogChunkRequest,
} from './api';
export type { BatchJobsCardProps } from './components/BatchJobsCard';
export type {
  AuditEvent,
  BuildCause,
  BuildParameter,
  BuildStatus,
  BuildSummary,
  BuildsPage,
  EntityJobsResponse,
  JobSummary,
  QueueItemStatus,
  RerunResponse,
  VpcJobs,
} from '@batch-jobs/plugin-batch-jobs-common';
export { BatchJobScheduleFieldExtension } from './components/BatchJobScheduleField';
