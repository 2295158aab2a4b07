import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  BackupsResponse,
  RoutineRun,
  RoutineRunsPage,
  RoutinesResponse,
  RunRoutineResponse,
} from '@batch-jobs/plugin-batch-jobs-common';

/** Client of the routine routes of the batch-jobs backend (`/api/batch-jobs/routines`, `/backups`). @public */
export interface BatchRoutinesApi {
  listRoutines(): Promise<RoutinesResponse>;
  /** Starts a run (202); a 409 ResponseError while one is going. */
  /** A real run answers an approval request while a VPC requires four eyes. */
  runRoutine(
    id: string,
    request: { dryRun: boolean },
  ): Promise<RunRoutineResponse | ApprovalPendingResponse>;
  listRuns(id: string, limit?: number): Promise<RoutineRunsPage>;
  getRun(runId: string): Promise<RoutineRun>;
  listBackups(limit?: number): Promise<BackupsResponse>;
}

/** @public */
export const batchRoutinesApiRef = createApiRef<BatchRoutinesApi>({
  id: 'plugin.batch-jobs.routines',
});
