import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  BackupsResponse,
  RoutineRun,
  RoutineRunsPage,
  RoutinesResponse,
  RunRoutineResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchRoutinesApi } from './BatchRoutinesApi';

/** @public */
export class BatchRoutinesClient implements BatchRoutinesApi {
  constructor(
    private readonly options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  async listRoutines(): Promise<RoutinesResponse> {
    return this.json('routines');
  }

  async runRoutine(
    id: string,
    request: { dryRun: boolean },
  ): Promise<RunRoutineResponse | ApprovalPendingResponse> {
    return this.json(`routines/${encodeURIComponent(id)}/run`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ dryRun: request.dryRun }),
    });
  }

  async listRuns(id: string, limit = 20): Promise<RoutineRunsPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    return this.json(`routines/${encodeURIComponent(id)}/runs?${query}`);
  }

  async getRun(runId: string): Promise<RoutineRun> {
    return this.json(`routines/runs/${encodeURIComponent(runId)}`);
  }

  async listBackups(limit = 50): Promise<BackupsResponse> {
    return this.json(`backups?${new URLSearchParams({ limit: String(limit) })}`);
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('batch-jobs');
    const res = await this.options.fetchApi.fetch(`${base}/${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }
}
