import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  CreateBatchJobsRequest,
  CreateBatchJobsResponse,
  JobComparisonResponse,
  JobConfigHistoryResponse,
  JobConfigVersionResponse,
  JobTemplateSpecResponse,
  PromoteJobRequest,
  PromoteJobResponse,
  RestoreJobConfigRequest,
  RestoreJobConfigResponse,
} from '@batch-jobs/plugin-batch-jobs-common';

/** A promotion into a VPC with four eyes answers this instead. @public */
export interface PromotionHeld {
  approvalRequired: true;
  requestId: string;
}

/** Compare a job's configuration across VPCs, promote it, update it to the current template. @public */
export interface BatchJobConfigApi {
  /** `job` is the Jenkins full name in `vpc`; the others are compared with it. */
  compareJob(request: {
    vpc: string;
    job: string;
    vpcs: string[];
  }): Promise<JobComparisonResponse>;
  promoteJob(
    request: PromoteJobRequest,
  ): Promise<PromoteJobResponse | PromotionHeld>;
  /** What a template job's config.xml says it was rendered from (`job`: full name in `vpc`). */
  getTemplateSpec(request: {
    vpc: string;
    job: string;
  }): Promise<JobTemplateSpecResponse>;
  /** `POST /jobs/update`: re-renders existing jobs from the template; held where a VPC requires approval. */
  updateJobs(
    request: CreateBatchJobsRequest,
  ): Promise<CreateBatchJobsResponse | ApprovalPendingResponse>;
  /** `GET /jobs/history`: the config.xml versions portal writes replaced (`job`: full name in `vpc`). */
  getConfigHistory(request: {
    vpc: string;
    job: string;
  }): Promise<JobConfigHistoryResponse>;
  /** `GET /jobs/history/:id`: one version's XML and its diff from the current config. */
  getConfigVersion(id: string): Promise<JobConfigVersionResponse>;
  /** `POST /jobs/restore`: held where the VPC requires approval. */
  restoreConfig(
    request: RestoreJobConfigRequest,
  ): Promise<RestoreJobConfigResponse | ApprovalPendingResponse>;
}

/** @public */
export const batchJobConfigApiRef = createApiRef<BatchJobConfigApi>({
  id: 'plugin.batch-jobs.job-config',
});
