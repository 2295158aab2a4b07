import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  FleetOperation,
  FleetRefresh,
  FleetResponse,
  StartFleetRefreshRequest,
  LaunchAgentRequest,
  TerminateAgentResponse,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchFleetApi } from './BatchFleetApi';

/** @public */
export class BatchFleetClient implements BatchFleetApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async getFleet(request: { vpcs?: string[] } = {}): Promise<FleetResponse> {
    const query = new URLSearchParams();
    if (request.vpcs?.length) query.set('vpc', request.vpcs.join(','));
    return this.json(await this.request(`fleet?${query}`));
  }

  async launchAgent(
    request: LaunchAgentRequest,
    idempotencyKey: string,
  ): Promise<FleetOperation | ApprovalPendingResponse> {
    return this.json(
      await this.request('fleet/agents', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': idempotencyKey,
        },
        body: JSON.stringify(request),
      }),
    );
  }

  async getOperation(id: string): Promise<FleetOperation> {
    return this.json(
      await this.request(`fleet/operations/${encodeURIComponent(id)}`),
    );
  }

  async terminateAgent(request: {
    vpc: string;
    node: string;
    force?: boolean;
  }): Promise<TerminateAgentResponse> {
    const query = new URLSearchParams({ vpc: request.vpc });
    if (request.force) query.set('force', 'true');
    return this.json(
      await this.request(
        `fleet/agents/${encodeURIComponent(request.node)}?${query}`,
        { method: 'DELETE' },
      ),
    );
  }

  async startRefresh(
    vpc: string,
    request: StartFleetRefreshRequest,
  ): Promise<FleetRefresh | ApprovalPendingResponse> {
    return this.json(
      await this.request(`vpcs/${encodeURIComponent(vpc)}/fleet/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      }),
    );
  }

  async listRefreshes(vpc: string): Promise<{ items: FleetRefresh[] }> {
    return this.json(
      await this.request(`vpcs/${encodeURIComponent(vpc)}/fleet/refreshes`),
    );
  }

  async getRefresh(id: string): Promise<FleetRefresh> {
    return this.json(
      await this.request(`fleet/refreshes/${encodeURIComponent(id)}`),
    );
  }

  async controlRefresh(
    id: string,
    action: 'pause' | 'resume' | 'abort',
  ): Promise<FleetRefresh> {
    return this.json(
      await this.request(
        `fleet/refreshes/${encodeURIComponent(id)}/${encodeURIComponent(
          action,
        )}`,
        { method: 'POST' },
      ),
    );
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.options.discoveryApi.getBaseUrl('batch-jobs');
    const res = await this.options.fetchApi.fetch(`${base}/${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res;
  }

  private async json<T>(res: Response): Promise<T> {
    return (await res.json()) as T;
  }
}
