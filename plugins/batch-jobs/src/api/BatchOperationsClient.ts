import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  ApprovalRequest,
  ApprovalState,
  ApprovalsPage,
  WorkerJobsResponse,
  WorkerRedeployOperation,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchOperationsApi } from './BatchOperationsApi';

/** @public */
export class BatchOperationsClient implements BatchOperationsApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async listWorkers(vpc: string): Promise<WorkerJobsResponse> {
    return this.json(`vpcs/${encodeURIComponent(vpc)}/workers`);
  }

  async redeployWorkers(request: {
    vpc: string;
    jobs?: string[];
  }): Promise<WorkerRedeployOperation | ApprovalPendingResponse> {
    return this.json(
      `vpcs/${encodeURIComponent(request.vpc)}/workers/redeploy`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request.jobs ? { jobs: request.jobs } : {}),
      },
    );
  }

  async getOperation(id: string): Promise<WorkerRedeployOperation> {
    return this.json(`operations/${encodeURIComponent(id)}`);
  }

  async listApprovals(
    request: { status?: ApprovalState } = {},
  ): Promise<ApprovalsPage> {
    const query = new URLSearchParams();
    if (request.status) query.set('status', request.status);
    return this.json(`approvals?${query}`);
  }

  async approve(id: string): Promise<ApprovalRequest> {
    return this.json(`approvals/${encodeURIComponent(id)}/approve`, {
      method: 'POST',
    });
  }

  async execute(id: string): Promise<ApprovalRequest> {
    return this.json(`approvals/${encodeURIComponent(id)}/execute`, {
      method: 'POST',
    });
  }

  async reject(id: string, reason?: string): Promise<ApprovalRequest> {
    return this.json(`approvals/${encodeURIComponent(id)}/reject`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(reason ? { reason } : {}),
    });
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('batch-jobs');
    const res = await this.options.fetchApi.fetch(`${base}/${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }
}
