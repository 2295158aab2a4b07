/*
 * Operations of the REST API: worker redeploys, the four-eyes gate
 * (approval requests) and what the alert watcher sends. Shared by backend
 * and frontend.
 */

// --- Worker redeploy ---------------------------------------------------------

/** POST /vpcs/:vpc/workers/redeploy body. @public */
export interface RedeployWorkersRequest {
  /** Full names of the worker jobs to restart; default: every worker job of the VPC. */
  jobs?: string[];
}

/** GET /vpcs/:vpc/workers → the worker jobs a redeploy would restart. @public */
export interface WorkerJobsResponse {
  vpc: string;
  /** The configured pattern the short job names match, e.g. `STG-worker*`. */
  pattern: string;
  jobs: Array<{
    fullName: string;
    /** The running build a redeploy would stop, if any. */
    runningBuild: number | null;
    url: string;
  }>;
  /** True when actions in this VPC need a second person's approval. */
  requireApproval: boolean;
}

/** @public */
export type WorkerRedeployJobState =
  | 'pending'
  | 'stopping'
  | 'starting'
  | 'succeeded'
  | 'failed';

/** Progress and result of restarting one worker job. @public */
export interface WorkerRedeployJob {
  job: string;
  state: WorkerRedeployJobState;
  /** The build that was stopped (null when none was running). */
  stoppedBuild: number | null;
  /** The build started with the previous parameters. */
  newBuild: number | null;
  newBuildUrl: string | null;
  queueItemId: number | null;
  /** Parameters sent (passwords masked as null: Jenkins uses their default). */
  parameters: Record<string, string | null>;
  /** What happened, in order, in plain words. */
  steps: Array<{ at: string; message: string }>;
  error: string | null;
}

/** @public */
export type OperationState = 'running' | 'succeeded' | 'failed';

/** GET /operations/:id; POST /vpcs/:vpc/workers/redeploy → 202 with this. @public */
export interface WorkerRedeployOperation {
  id: string;
  kind: 'workers.redeploy';
  /** `failed` when at least one job failed (the others still ran). */
  state: OperationState;
  vpc: string;
  /** Entity ref of the person who asked for the redeploy. */
  actor: string;
  /** Set when the redeploy ran after a four-eyes approval. */
  approvedBy: string | null;
  jobs: WorkerRedeployJob[];
  createdAt: string;
  updatedAt: string;
}

// --- Four-eyes gate ------------------------------------------------------------

/**
 * Actions a VPC with `requireApproval` holds until a second person approves:
 * everything that starts, changes or removes something there. Stopping a
 * build is not held (it limits damage); it notifies the approvers instead.
 * @public
 */
export type ApprovalAction =
  | 'build.rerun'
  | 'job.run'
  | 'job.pause'
  | 'job.resume'
  | 'job.create'
  | 'job.update'
  | 'job.promote'
  | 'job.restore'
  | 'agent.launch'
  | 'agent.terminate'
  | 'workers.redeploy'
  | 'routine.run';

/**
 * `pending` → `approved` (by another person) → `executing` (by the
 * requester, with their own credentials) → `completed` or `failed`.
 * Pending and approved requests `expire`.
 * @public
 */
export type ApprovalState =
  | 'pending'
  | 'approved'
  | 'executing'
  | 'completed'
  | 'rejected'
  | 'expired'
  /** The execution was refused (source changed, permission lost) or the action failed (see `error`). */
  | 'failed';

/** A job configuration a held create, update or promotion will write. @public */
export interface ApprovalConfigChange {
  vpc: string;
  fullName: string;
  /** False when the job does not exist yet (it will be created). */
  exists: boolean;
  /** The config.xml that will be written, exactly. */
  configXml: string;
  /** Unified diff from the job's current config.xml (empty before creation) to `configXml`. */
  diff: string;
}

/**
 * What the approver reviewed, pinned: execution does exactly this, and
 * refuses when what it was computed from changed since the request.
 * @public
 */
export interface ApprovalReview {
  /**
   * Run and rerun: the exact values the build will get. Password parameters
   * are never stored: `null` means the job's default is used.
   */
  parameters?: Record<string, string | number | boolean | null>;
  /** Create, update and promote: each config.xml that will be written, with its diff. */
  configs?: ApprovalConfigChange[];
  /** sha256 (hex) of what was reviewed; recomputed at execution. */
  hash: string;
  /** What `hash` covers, in words (e.g. "the source config.xml of DEV/p/job"). */
  hashOf: string;
  /**
   * Create, update and promote: sha256 of the current config.xml the diffs
   * were made against; execution refuses when the target changed meanwhile.
   */
  targetHash?: string;
}

/** `GET /approvals?status=` (or `state=`) → `{ items }`; one approval request. @public */
export interface ApprovalRequest {
  id: string;
  action: ApprovalAction;
  status: ApprovalState;
  vpc: string;
  /** e.g. `PROD/payments-settlement/migrate-ledger#41`. */
  target: string;
  /** One line for people, e.g. "Rerun PROD/…/migrate-ledger #41". */
  summary: string;
  entityRef: string | null;
  /** The request body of the held action. */
  payload: Record<string, unknown>;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  /** Why it was rejected. */
  reason: string | null;
  /** What was reviewed and will be executed; null on requests made before pinning. */
  review: ApprovalReview | null;
  /** When the requester started the approved action. */
  executedAt: string | null;
  /** What the action answered once executed (RerunResponse, FleetOperation, …). */
  result: Record<string, unknown> | null;
  error: string | null;
}

/** @public */
export interface ApprovalsPage {
  items: ApprovalRequest[];
}

/**
 * A gated action's 202 answer instead of acting: a pending request a
 * second person approves.
 * @public
 */
export interface ApprovalPendingResponse {
  approvalRequired: true;
  requestId: string;
  approval: { id: string; status: 'pending'; expiresAt: string };
}

/** Tells a gated action's answer from the action's own. @public */
export function isApprovalPending(
  value: unknown,
): value is ApprovalPendingResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { approvalRequired?: unknown }).approvalRequired === true
  );
}

/** POST /approvals/:id/reject body. @public */
export interface RejectApprovalRequest {
  reason?: string;
}

// --- Alerts --------------------------------------------------------------------

/** Build events the alert watcher can report. `recovery`: a success after a failure. @public */
export type BuildAlertEvent = 'start' | 'success' | 'failure' | 'recovery';

/** Per-entity annotation naming a webhook of `batchJobs.alerts.slackWebhooks`. @public */
export const BATCH_JOBS_SLACK_WEBHOOK_ANNOTATION =
  'batch-jobs.io/slack-webhook';
