import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  ApprovalRequest,
  ApprovalState,
  ApprovalsPage,
  WorkerJobsResponse,
  WorkerRedeployOperation,
} from '@batch-jobs/plugin-batch-jobs-common';

/** Worker redeploys and the four-eyes approvals. @public */
export interface BatchOperationsApi {
  /** The worker jobs a redeploy of `vpc` would restart. */
  listWorkers(vpc: string): Promise<WorkerJobsResponse>;
  /** Starts a redeploy (or, in a VPC that needs four eyes, asks for approval). */
  redeployWorkers(request: {
    vpc: string;
    jobs?: string[];
  }): Promise<WorkerRedeployOperation | ApprovalPendingResponse>;
  getOperation(id: string): Promise<WorkerRedeployOperation>;
  listApprovals(request?: { status?: ApprovalState }): Promise<ApprovalsPage>;
  /** Approves another person's request; it then waits for its requester to execute it. */
  approve(id: string): Promise<ApprovalRequest>;
  /**
   * Runs your own approved request with your own permissions (checked
   * again); refused when what was reviewed changed since the request.
   */
  execute(id: string): Promise<ApprovalRequest>;
  reject(id: string, reason?: string): Promise<ApprovalRequest>;
}

/** @public */
export const batchOperationsApiRef = createApiRef<BatchOperationsApi>({
  id: 'plugin.batch-jobs.operations',
});
