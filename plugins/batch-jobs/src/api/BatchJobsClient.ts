import { parseEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AuditPage,
  BuildStagesResponse,
  BuildsPage,
  EntityJobsResponse,
  JobParametersResponse,
  LOG_MORE_DATA_HEADER,
  LOG_TEXT_END_HEADER,
  LOG_TEXT_SIZE_HEADER,
  LOG_TEXT_START_HEADER,
  QueueItemStatus,
  PauseJobRequest,
  PauseJobResponse,
  RerunRequest,
  RerunResponse,
  ApprovalPendingResponse,
  ResumeJobRequest,
  RunJobRequest,
  RunJobResponse,
  StopBuildRequest,
  StageLogResponse,
  StopBuildResponse,
  SubmitInputRequest,
  SubmitInputResponse,
  VpcTimeline,
} from '@batch-jobs/plugin-batch-jobs-common';
import {
  BatchJobsApi,
  BuildRef,
  JobRef,
  LogChunk,
  LogChunkRequest,
} from './BatchJobsApi';

/** Idempotency header understood by `POST /builds/rerun`. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Talks to the batch-jobs backend through the app's discovery and fetch APIs. @public */
export class BatchJobsClient implements BatchJobsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getEntityJobs(entityRef: string): Promise<EntityJobsResponse> {
    const { kind, namespace, name } = parseEntityRef(entityRef);
    const path = ['entity', namespace, kind, name, 'jobs']
      .map(encodeURIComponent)
      .join('/');
    return this.json(await this.request(path));
  }

  async getBuilds(
    request: JobRef & { limit?: number; cursor?: string },
  ): Promise<BuildsPage> {
    const query = new URLSearchParams({ vpc: request.vpc, job: request.job });
    if (request.limit !== undefined) query.set('limit', String(request.limit));
    if (request.cursor) query.set('cursor', request.cursor);
    return this.json(await this.request(`builds?${query}`));
  }

  async getLogChunk(request: LogChunkRequest): Promise<LogChunk> {
    const res = await this.request(`builds/log?${logQuery(request)}`);
    const max = 'tail' in request ? request.tail : request.limit;
    let bytes = await readBody(res, max);
    const header = (name: string) => {
      const value = res.headers.get(name);
      const n = value === null ? NaN : Number(value);
      return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
    };
    // Without our headers (an older backend): what we asked for, and what we got.
    const start =
      header(LOG_TEXT_START_HEADER) ?? ('start' in request ? request.start : 0);
    const size = header(LOG_TEXT_SIZE_HEADER) ?? start + bytes.length;
    let end = header(LOG_TEXT_END_HEADER) ?? start + bytes.length;
    if (end < size) {
      // Cut by a limit, maybe inside a character: leave it to the next read.
      const whole = completeUtf8Length(bytes);
      end -= bytes.length - whole;
      bytes = bytes.subarray(0, whole);
    }
    return {
      text: new TextDecoder().decode(bytes),
      start,
      end,
      size,
      // Jenkins only sends X-More-Data while the log can still grow.
      moreData: res.headers.get(LOG_MORE_DATA_HEADER)?.toLowerCase() === 'true',
    };
  }

  async downloadLog(request: BuildRef): Promise<Blob> {
    const res = await this.request(
      `builds/log?${logQuery({ ...request, start: 0 })}`,
    );
    return res.blob();
  }

  async rerun(
    request: BuildRef & { entityRef?: string },
    idempotencyKey: string,
  ): Promise<RerunResponse | ApprovalPendingResponse> {
    const body: RerunRequest = {
      vpc: request.vpc,
      job: request.job,
      number: request.number,
    };
    if (request.entityRef) body.entityRef = request.entityRef;
    const res = await this.request('builds/rerun', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
      },
      body: JSON.stringify(body),
    });
    return this.json(res);
  }

  async getQueueItem(request: {
    vpc: string;
    id: number;
  }): Promise<QueueItemStatus> {
    const query = new URLSearchParams({
      vpc: request.vpc,
      id: String(request.id),
    });
    return this.json(await this.request(`queue?${query}`));
  }

  async getAudit(request: {
    entityRef: string;
    vpc?: string;
    job?: string;
    limit?: number;
  }): Promise<AuditPage> {
    const query = new URLSearchParams({ entityRef: request.entityRef });
    if (request.vpc) query.set('vpc', request.vpc);
    if (request.job) query.set('job', request.job);
    if (request.limit !== undefined) query.set('limit', String(request.limit));
    return this.json(await this.request(`audit?${query}`));
  }

  async getJobParameters(
    request: JobRef & { fromBuild?: number },
  ): Promise<JobParametersResponse> {
    const query = new URLSearchParams({ vpc: request.vpc, job: request.job });
    if (request.fromBuild !== undefined)
      query.set('fromBuild', String(request.fromBuild));
    return this.json(await this.request(`jobs/parameters?${query}`));
  }

  async runJob(
    request: RunJobRequest,
    idempotencyKey: string,
  ): Promise<RunJobResponse | ApprovalPendingResponse> {
    return this.json(
      await this.request('jobs/run', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
        },
        body: JSON.stringify(request),
      }),
    );
  }

  async stopBuild(request: StopBuildRequest): Promise<StopBuildResponse> {
    return this.json(await this.post('builds/stop', request));
  }

  async pauseJob(request: PauseJobRequest): Promise<PauseJobResponse> {
    return this.json(await this.post('jobs/disable', request));
  }

  async resumeJob(request: ResumeJobRequest): Promise<PauseJobResponse> {
    return this.json(await this.post('jobs/enable', request));
  }

  async getBuildStages(request: BuildRef): Promise<BuildStagesResponse> {
    const query = new URLSearchParams({
      vpc: request.vpc,
      job: request.job,
      number: String(request.number),
    });
    return this.json(await this.request(`builds/stages?${query}`));
  }

  async getStageLog(
    request: BuildRef & { stage: string },
  ): Promise<StageLogResponse> {
    const query = new URLSearchParams({
      vpc: request.vpc,
      job: request.job,
      number: String(request.number),
      stage: request.stage,
    });
    return this.json(await this.request(`builds/stages/log?${query}`));
  }

  async submitInput(request: SubmitInputRequest): Promise<SubmitInputResponse> {
    return this.json(await this.post('builds/input', request));
  }

  private post(path: string, body: unknown): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async getVpcTimeline(request: {
    vpc: string;
    from?: Date;
    to?: Date;
    entityRef?: string;
  }): Promise<VpcTimeline> {
    const query = new URLSearchParams();
    if (request.entityRef) query.set('entityRef', request.entityRef);
    if (request.from) query.set('from', request.from.toISOString());
    if (request.to) query.set('to', request.to.toISOString());
    const suffix = query.toString() ? `?${query}` : '';
    return this.json(
      await this.request(
        `vpcs/${encodeURIComponent(request.vpc)}/timeline${suffix}`,
      ),
    );
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl('batch-jobs');
    const res = await this.fetchApi.fetch(`${baseUrl}/${path}`, init);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res;
  }

  private async json<T>(res: Response): Promise<T> {
    return (await res.json()) as T;
  }
}

function logQuery(request: LogChunkRequest): URLSearchParams {
  const query = new URLSearchParams({
    vpc: request.vpc,
    job: request.job,
    number: String(request.number),
  });
  if ('tail' in request) {
    query.set('tail', String(request.tail));
  } else {
    query.set('start', String(request.start));
    if (request.limit !== undefined) query.set('limit', String(request.limit));
  }
  return query;
}

/** At most `max` bytes of the body; the rest is never read (the stream is cancelled). */
async function readBody(res: Response, max?: number): Promise<Uint8Array> {
  if (max === undefined || !res.body) {
    const all = new Uint8Array(await res.arrayBuffer());
    return max === undefined ? all : all.subarray(0, max);
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total < max) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
  }
  if (total >= max) reader.cancel().catch(() => {});
  const out = new Uint8Array(Math.min(total, max));
  let offset = 0;
  for (const part of parts) {
    const piece = part.subarray(0, out.length - offset);
    out.set(piece, offset);
    offset += piece.length;
    if (offset >= out.length) break;
  }
  return out;
}

/** Length of the longest prefix of `bytes` that ends on a whole UTF-8 character. */
function completeUtf8Length(bytes: Uint8Array): number {
  // Walk back over continuation bytes (10xxxxxx) to the last lead byte.
  let i = bytes.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (bytes[i] & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return bytes.length;
  const lead = bytes[i];
  // Continuation bytes a lead byte announces: 110xxxxx 1, 1110xxxx 2, 11110xxx 3.
  let needs = 0;
  if (lead >= 0xf0) needs = 3;
  else if (lead >= 0xe0) needs = 2;
  else if (lead >= 0xc0) needs = 1;
  return needs > continuation ? i : bytes.length;
}
