import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ForwardedError, ResponseError } from '@backstage/errors';
import {
  ApprovalPendingResponse,
  CreateBatchJobsRequest,
  CreateBatchJobsResponse,
} from '@batch-jobs/plugin-batch-jobs-common';

/**
 * Writes jobs through the Batch Jobs backend (`/api/batch-jobs/jobs/…`) on
 * behalf of the person running the template, so that its permission checks,
 * VPC configuration, Jenkins clients and audit trail stay in one place.
 * @public
 */
export interface BatchJobsWriter {
  write(
    request: CreateBatchJobsRequest,
    mode: 'create' | 'update',
    credentials: BackstageCredentials,
  ): Promise<CreateBatchJobsResponse | ApprovalPendingResponse>;
}

/** {@link BatchJobsWriter} over HTTP, found with the discovery service. @public */
export class BatchJobsBackendClient implements BatchJobsWriter {
  constructor(
    private readonly options: {
      discovery: DiscoveryService;
      auth: AuthService;
    },
  ) {}

  async write(
    request: CreateBatchJobsRequest,
    mode: 'create' | 'update',
    credentials: BackstageCredentials,
  ): Promise<CreateBatchJobsResponse | ApprovalPendingResponse> {
    const { discovery, auth } = this.options;
    const baseUrl = await discovery.getBaseUrl('batch-jobs');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'batch-jobs',
    });
    const res = await fetch(`${baseUrl}/jobs/${mode}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(request),
    });
    if (!res.ok) {
      // The step log shows the message: say what the backend said, not just the status.
      const error = await ResponseError.fromResponse(res);
      const reason = error.body?.error?.message ?? error.message;
      throw new ForwardedError(
        `Batch Jobs refused to ${mode} the job (HTTP ${res.status}): ${reason}`,
        error,
      );
    }
    // 202: a VPC requires four eyes; the request waits for a second person.
    return (await res.json()) as
      | CreateBatchJobsResponse
      | ApprovalPendingResponse;
  }
}
