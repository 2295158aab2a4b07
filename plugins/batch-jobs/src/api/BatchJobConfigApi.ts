import { createApiRef } from '@backstage/core-plugin-api';
import {
  JobComparisonResponse,
  PromoteJobRequest,
  PromoteJobResponse,
} from '@internal/plugin-batch-jobs-common';

/** A promotion into a VPC with four eyes answers this instead. @public */
export interface PromotionHeld {
  approvalRequired: true;
  requestId: string;
}

/** Compare a job's configuration across VPCs and promote it. @public */
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
}

/** @public */
export const batchJobConfigApiRef = createApiRef<BatchJobConfigApi>({
  id: 'plugin.batch-jobs.job-config',
});
