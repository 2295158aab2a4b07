import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  AuditPage,
  BuildStagesResponse,
  BuildsPage,
  EntityJobsResponse,
  JobParametersResponse,
  PauseJobRequest,
  PauseJobResponse,
  QueueItemStatus,
  RerunResponse,
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

/** Identifies one job of one VPC. `job` is the job's Jenkins full name. @public */
export interface JobRef {
  vpc: string;
  job: string;
}

/** Identifies one build. @public */
export interface BuildRef extends JobRef {
  number: number;
}

/** A piece of console log: the bytes [start, end) of a log `size` bytes long so far. @public */
export interface LogChunk {
  text: string;
  /** Byte offset of the first byte of `text` (a tail starts on a whole line). */
  start: number;
  /** Byte offset just after `text`: the `start` to ask for next. */
  end: number;
  /** Length of the log known so far (Jenkins' `X-Text-Size`). */
  size: number;
  /** True while the build is still writing its log (Jenkins' `X-More-Data`). */
  moreData: boolean;
}

/**
 * Which piece of a log to read: at most `limit` bytes from `start`, or the
 * last `tail` bytes. @public
 */
export type LogChunkRequest = BuildRef &
  ({ start: number; limit?: number } | { tail: number });

/** Client of the batch-jobs backend (`/api/batch-jobs`). @public */
export interface BatchJobsApi {
  /** Jobs of an entity grouped by VPC. */
  getEntityJobs(entityRef: string): Promise<EntityJobsResponse>;
  /** A page of builds, newest first; pass `cursor` from the previous page for older ones. */
  getBuilds(
    request: JobRef & { limit?: number; cursor?: string },
  ): Promise<BuildsPage>;
  /** A piece of a console log; never holds more than `limit` (or `tail`) bytes. */
  getLogChunk(request: LogChunkRequest): Promise<LogChunk>;
  /** The whole console log as a Blob, fetched with the user's credentials. */
  downloadLog(request: BuildRef): Promise<Blob>;
  /**
   * Reruns a build with its parameters, as the entity `entityRef` (the
   * permission is checked against it and the audit row names it). Repeating a
   * call with the same `idempotencyKey` returns the first answer and starts
   * nothing new.
   */
  rerun(
    request: BuildRef & { entityRef?: string },
    idempotencyKey: string,
    /** In a VPC that needs four eyes: a pending approval request instead. */
  ): Promise<RerunResponse | ApprovalPendingResponse>;
  getQueueItem(request: { vpc: string; id: number }): Promise<QueueItemStatus>;
  getAudit(request: {
    entityRef: string;
    vpc?: string;
    job?: string;
    limit?: number;
  }): Promise<AuditPage>;
  /** A job's parameter definitions; with `fromBuild`, that build's values (never passwords). */
  getJobParameters(
    request: JobRef & { fromBuild?: number },
  ): Promise<JobParametersResponse>;
  /** Starts a job now with parameters; the same `idempotencyKey` never starts two builds. */
  runJob(
    request: RunJobRequest,
    idempotencyKey: string,
    /** In a VPC that needs four eyes: a pending approval request instead. */
  ): Promise<RunJobResponse | ApprovalPendingResponse>;
  /** Stops a running build (escalating as needed) or cancels a queued item; resolves once it ended. */
  stopBuild(request: StopBuildRequest): Promise<StopBuildResponse>;
  /** Pauses (disables) a job with a reason and an optional end time. */
  pauseJob(request: PauseJobRequest): Promise<PauseJobResponse>;
  /** Resumes (enables) a paused job. */
  resumeJob(request: ResumeJobRequest): Promise<PauseJobResponse>;
  /** A pipeline build's stages, the failed one and the inputs it waits at; `pipeline: false` for freestyle. */
  getBuildStages(request: BuildRef): Promise<BuildStagesResponse>;
  /** One stage's log (`stage`: the stage's id). */
  getStageLog(request: BuildRef & { stage: string }): Promise<StageLogResponse>;
  /** Proceeds (with parameters) or aborts the input a build waits at; audited under the user. */
  submitInput(request: SubmitInputRequest): Promise<SubmitInputResponse>;
  /**
   * Every scheduled run of a VPC's jobs between `from` and `to` (at most 7
   * days), grouped by agent label, with the intervals where runs outnumber
   * the label's executors.
   */
  getVpcTimeline(request: {
    vpc: string;
    from?: Date;
    to?: Date;
    /** Only this entity's jobs (readable by whoever sees the entity); absent: the whole VPC (batch-jobs.vpc.read). */
    entityRef?: string;
  }): Promise<VpcTimeline>;
}

/** @public */
export const batchJobsApiRef = createApiRef<BatchJobsApi>({
  id: 'plugin.batch-jobs.service',
});
