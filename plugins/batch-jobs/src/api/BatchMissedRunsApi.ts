import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  CatchUpChoice,
  CatchUpOperation,
  MissedRunsReport,
  RunJobResponse,
} from '@batch-jobs/plugin-batch-jobs-common';

/** Client of the missed-runs routes of the batch-jobs backend. @public */
export interface BatchMissedRunsApi {
  /** Missed and late runs of a VPC: every job, one entity's jobs, or one job. */
  getMissedRuns(request: {
    vpc: string;
    job?: string;
    entityRef?: string;
    from?: Date;
    to?: Date;
  }): Promise<MissedRunsReport>;
  /** Runs one missed run now, with its scheduled time; the same key never starts two builds. */
  runMissed(
    request: { vpc: string; job: string; expected: string; entityRef?: string },
    idempotencyKey: string,
  ): Promise<RunJobResponse | ApprovalPendingResponse>;
  /** Starts a per-VPC catch-up of the missed runs of the window. */
  startCatchUp(request: {
    vpc: string;
    choice: CatchUpChoice;
    choices?: Record<string, CatchUpChoice>;
    from?: string;
    to?: string;
    concurrency?: number;
  }): Promise<CatchUpOperation>;
  getCatchUp(request: { vpc: string; id: string }): Promise<CatchUpOperation>;
  listCatchUps(vpc: string): Promise<{ items: CatchUpOperation[] }>;
  stopCatchUp(request: { vpc: string; id: string }): Promise<CatchUpOperation>;
}

/** @public */
export const batchMissedRunsApiRef = createApiRef<BatchMissedRunsApi>({
  id: 'plugin.batch-jobs.missed-runs',
});
