import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  CatchUpOperation,
  MissedRunsReport,
  RunJobResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchMissedRunsApi } from './BatchMissedRunsApi';

/** @public */
export class BatchMissedRunsClient implements BatchMissedRunsApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async getMissedRuns(
    request: Parameters<BatchMissedRunsApi['getMissedRuns']>[0],
  ): Promise<MissedRunsReport> {
    const query = new URLSearchParams();
    if (request.job) query.set('job', request.job);
    if (request.entityRef) query.set('entityRef', request.entityRef);
    if (request.from) query.set('from', request.from.toISOString());
    if (request.to) query.set('to', request.to.toISOString());
    const suffix = query.toString() ? `?${query}` : '';
    return this.json(
      `vpcs/${encodeURIComponent(request.vpc)}/missed-runs${suffix}`,
    );
  }

  async runMissed(
    request: Parameters<BatchMissedRunsApi['runMissed']>[0],
    idempotencyKey: string,
  ): Promise<RunJobResponse | ApprovalPendingResponse> {
    return this.json('missed-runs/run', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': idempotencyKey,
      },
      body: JSON.stringify(request),
    });
  }

  async startCatchUp(
    request: Parameters<BatchMissedRunsApi['startCatchUp']>[0],
  ): Promise<CatchUpOperation> {
    const { vpc, ...body } = request;
    return this.json(`vpcs/${encodeURIComponent(vpc)}/catch-up`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async getCatchUp(request: { vpc: string; id: string }) {
    return this.json<CatchUpOperation>(
      `vpcs/${encodeURIComponent(request.vpc)}/catch-up/${encodeURIComponent(
        request.id,
      )}`,
    );
  }

  async listCatchUps(vpc: string) {
    return this.json<{ items: CatchUpOperation[] }>(
      `vpcs/${encodeURIComponent(vpc)}/catch-up`,
    );
  }

  async stopCatchUp(request: { vpc: string; id: string }) {
    return this.json<CatchUpOperation>(
      `vpcs/${encodeURIComponent(request.vpc)}/catch-up/${encodeURIComponent(
        request.id,
      )}/stop`,
      { method: 'POST' },
    );
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('batch-jobs');
    const res = await this.options.fetchApi.fetch(`${base}/${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }
}
