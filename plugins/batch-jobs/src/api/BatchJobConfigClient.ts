import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
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
import { BatchJobConfigApi, PromotionHeld } from './BatchJobConfigApi';

/** `GET /jobs/compare`, `POST /jobs/promote`, `GET /jobs/template` and `POST /jobs/update` of the batch-jobs backend. @public */
export class BatchJobConfigClient implements BatchJobConfigApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async compareJob(request: {
    vpc: string;
    job: string;
    vpcs: string[];
  }): Promise<JobComparisonResponse> {
    const query = new URLSearchParams({
      vpc: request.vpc,
      job: request.job,
      vpcs: request.vpcs.join(','),
    });
    return this.call(`jobs/compare?${query}`);
  }

  async promoteJob(
    request: PromoteJobRequest,
  ): Promise<PromoteJobResponse | PromotionHeld> {
    return this.call('jobs/promote', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
  }

  async getTemplateSpec(request: {
    vpc: string;
    job: string;
  }): Promise<JobTemplateSpecResponse> {
    const query = new URLSearchParams({ vpc: request.vpc, job: request.job });
    return this.call(`jobs/template?${query}`);
  }

  async updateJobs(
    request: CreateBatchJobsRequest,
  ): Promise<CreateBatchJobsResponse | ApprovalPendingResponse> {
    return this.call('jobs/update', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
  }

  async getConfigHistory(request: {
    vpc: string;
    job: string;
  }): Promise<JobConfigHistoryResponse> {
    const query = new URLSearchParams({ vpc: request.vpc, job: request.job });
    return this.call(`jobs/history?${query}`);
  }

  async getConfigVersion(id: string): Promise<JobConfigVersionResponse> {
    return this.call(`jobs/history/${encodeURIComponent(id)}`);
  }

  async restoreConfig(
    request: RestoreJobConfigRequest,
  ): Promise<RestoreJobConfigResponse | ApprovalPendingResponse> {
    return this.call('jobs/restore', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
  }

  private async call<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('batch-jobs');
    const res = await this.options.fetchApi.fetch(`${baseUrl}/${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }
}
