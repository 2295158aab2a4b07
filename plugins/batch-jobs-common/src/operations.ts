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

// --- Fleet refresh --------------------------------------------------------------

/** POST /vpcs/:vpc/fleet/refresh body; defaults from `batchJobs.fleet.refresh`. @public */
export interface StartFleetRefreshRequest {
  /** Replacements launched at once. */
  batchSize?: number;
  /** Executors of the VPC that must stay online (not drained) throughout. */
  minHealthyExecutors?: number;
  /** How long a drained agent's running builds may take before the refresh pauses for the operator. */
  drainTimeoutSeconds?: number;
  reason?: string;
}

/**
 * `running` → `succeeded`; `paused` by a person or by a drain that timed
 * out; `rolling-back` → `rolled-back` when a replacement never came online;
 * `aborted` (the batch in flight rolled back first); `failed` when the
 * rollback itself could not finish.
 * @public
 */
export type FleetRefreshState =
  | 'running'
  | 'paused'
  | 'rolling-back'
  | 'rolled-back'
  | 'aborted'
  | 'succeeded'
  | 'failed';

/**
 * One old agent: `pending` → `launching` (its replacement) → `ready`
 * (replacement online) → `draining` (old one temporarily offline, builds
 * finishing) → `replaced` (node deleted, instance terminated). `skipped`
 * when already on the default version; `rolled-back` when its batch was.
 * @public
 */
export type FleetRefreshAgentState =
  | 'pending'
  | 'launching'
  | 'ready'
  | 'draining'
  | 'replaced'
  | 'skipped'
  | 'rolled-back';

/** @public */
export interface FleetRefreshAgent {
  node: string;
  instanceId: string;
  type: 'batch' | 'worker';
  executors: number;
  /** The launch template version it runs, when known. */
  fromVersion: number | null;
  state: FleetRefreshAgentState;
  /** 1-based batch it was (or is being) replaced in. */
  batch: number | null;
  replacement: { instanceId: string; node: string } | null;
  /** When its replacement must be online, else the batch rolls back. */
  launchDeadline: string | null;
  drainingSince: string | null;
  steps: Array<{ at: string; message: string }>;
}

/** GET /fleet/refreshes/:id; POST /vpcs/:vpc/fleet/refresh → 202 with this. @public */
export interface FleetRefresh {
  id: string;
  kind: 'fleet.refresh';
  state: FleetRefreshState;
  vpc: string;
  actor: string;
  approvedBy: string | null;
  reason: string | null;
  batchSize: number;
  minHealthyExecutors: number;
  drainTimeoutSeconds: number;
  /** What replacements launch from, per agent type: the template's default version then. */
  targets: Array<{
    type: 'batch' | 'worker';
    launchTemplateId: string | null;
    version: number | null;
    imageId: string | null;
  }>;
  agents: FleetRefreshAgent[];
  /** Why it is paused, rolled back or failed, in plain words. */
  message: string | null;
  auditId: string;
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
  | 'fleet.refresh'
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
