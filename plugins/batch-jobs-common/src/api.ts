/*
 * The REST API of the batch-jobs backend (`/api/batch-jobs`), shared by the
 * backend (which produces these shapes) and the frontend (which reads them).
 * Times are ISO-8601 strings; durations are milliseconds.
 */

import type { JobPause } from './controls';

/** Jenkins' result of a finished build. @public */
export type BuildResult =
  | 'SUCCESS'
  | 'FAILURE'
  | 'UNSTABLE'
  | 'ABORTED'
  | 'NOT_BUILT';

/**
 * What a build is doing, in one word: `running` while Jenkins says
 * `building: true`, otherwise the lower-cased result. @public
 */
export type BuildStatus =
  | 'running'
  | 'success'
  | 'failure'
  | 'unstable'
  | 'aborted'
  | 'not_built'
  | 'unknown';

/**
 * Who or what started a build. Jenkins only ever sees our service account
 * for builds started from the portal, so `portal` causes come from our own
 * audit trail and name the real person. @public
 */
export interface BuildCause {
  kind: 'portal' | 'user' | 'timer' | 'upstream' | 'remote' | 'scm' | 'other';
  /** Human text, e.g. "Started by timer", "Rerun by user:default/jane in the portal". */
  description: string;
  /** Jenkins user id for `user` causes (null when anonymous). */
  userId?: string | null;
  userName?: string | null;
  /** Entity ref of the portal user for `portal` causes. */
  actor?: string;
  /** For `upstream` causes: full name of the upstream job and its build. */
  upstreamJob?: string;
  upstreamBuild?: number;
}

/** @public */
export interface BuildParameter {
  name: string;
  /** Passwords are never sent to the browser: their value is null and `secret` is true. */
  value: string | number | boolean | null;
  secret?: boolean;
}

/** @public */
export interface BuildSummary {
  number: number;
  /** Jenkins' own URL of the build (for "open in Jenkins"). */
  url: string;
  status: BuildStatus;
  result: BuildResult | null;
  building: boolean;
  /** Start time. */
  startedAt: string;
  /** Duration of a finished build; for a running build, time elapsed so far. */
  durationMs: number;
  estimatedDurationMs: number;
  causes: BuildCause[];
  parameters: BuildParameter[];
  /** A failed or unstable pipeline build: the stage where it went wrong. */
  failedStage?: string;
  /** A pipeline build paused at an `input` step: the input's message. */
  waitingForInput?: string;
}

/**
 * Where a pipeline run or stage stands (Stage View's status, lower-cased).
 * @public
 */
export type StageStatus =
  | 'success'
  | 'failed'
  | 'unstable'
  | 'aborted'
  | 'in_progress'
  | 'paused_pending_input'
  | 'not_executed'
  | 'unknown';

/** One stage of a pipeline build; a stage run in parallel branches lists them. @public */
export interface BuildStage {
  /** Jenkins flow node id of the stage; names its log. */
  id: string;
  name: string;
  status: StageStatus;
  /** Null for a stage that did not run (NOT_EXECUTED). */
  startedAt: string | null;
  durationMs: number;
  /** Time spent waiting for input. */
  pauseDurationMs: number;
  /** Parallel branches (or nested stages) run inside this stage. */
  branches?: BuildStage[];
}

/** A parameter of an `input` step. @public */
export interface InputParameter {
  name: string;
  type: 'string' | 'text' | 'boolean' | 'choice' | 'password' | 'other';
  description?: string;
  default?: string | boolean;
  choices?: string[];
}

/** An `input` step a build waits at. @public */
export interface PendingInput {
  /** The step's id (Jenkins capitalises it), used to proceed or abort. */
  id: string;
  message: string;
  /** Caption of the proceed button, e.g. "Deploy". */
  proceedText: string;
  parameters: InputParameter[];
}

/** `GET /builds/stages`: the stages of a build; empty for a freestyle build. @public */
export interface BuildStagesResponse {
  vpc: string;
  job: string;
  number: number;
  /** False for a freestyle build (no stages; show the console log). */
  pipeline: boolean;
  status: StageStatus | null;
  stages: BuildStage[];
  /** The stage that failed (or made the build unstable), innermost first. */
  failedStage?: { id: string; name: string; status: StageStatus };
  pendingInputs: PendingInput[];
}

/** `GET /builds/stages/log`: one stage's log (its steps' logs, in order). @public */
export interface StageLogResponse {
  id: string;
  name: string;
  status: StageStatus;
  text: string;
  /** The stage is still writing. */
  hasMore: boolean;
}

/** `POST /builds/input`: proceed (with parameters) or abort a pending input. @public */
export interface SubmitInputRequest {
  vpc: string;
  job: string;
  number: number;
  inputId: string;
  action: 'proceed' | 'abort';
  parameters?: Record<string, string | boolean>;
  entityRef?: string;
}

/** @public */
export interface SubmitInputResponse {
  auditId: string;
  vpc: string;
  job: string;
  number: number;
  inputId: string;
  action: 'proceed' | 'abort';
}

/** @public */
export interface JobSchedule {
  /** Raw `TimerTrigger` spec as configured in Jenkins, or null when the job has no timer. */
  spec: string | null;
  /**
   * IANA zone the runs are computed in: the spec's `TZ=` line, else the
   * controller's (`batchJobs.jenkins[].timezone`, default `UTC`).
   */
  timezone?: string;
  /** Words for the spec with `H` resolved, e.g. "every 15 minutes at :07, :22, :37, :52". */
  description?: string;
  /** The next run times (ISO, ascending), exactly when Jenkins will fire the job. */
  nextRuns?: string[];
  /**
   * Set instead of description and next runs when Jenkins would reject the
   * spec, or, with `spec` null, when the job's config.xml could not be read.
   */
  error?: string;
}

/**
 * How a job went lately, from its newest finished builds (at most 30).
 * @public
 */
export interface JobStats {
  /** Share of those builds that ended SUCCESS (0..1); null when there are none. */
  successRate: number | null;
  /** Durations of those builds, oldest first (for a trend line). */
  recentDurationsMs: number[];
  medianDurationMs: number | null;
  /** How many finished builds the figures are based on. */
  sampleSize: number;
}

/** @public */
export interface JobSummary {
  /** Short name, e.g. `daily-settlement-report`. */
  name: string;
  /** Full Jenkins name, e.g. `DEV/payments-settlement/daily-settlement-report`. */
  fullName: string;
  displayName: string;
  url: string;
  kind: 'pipeline' | 'freestyle' | 'other';
  /** Jenkins' ball colour (`blue`, `red_anime`, `disabled`, `notbuilt`, ...). */
  color: string | null;
  buildable: boolean;
  /** Jobs that take parameters are rerun with `buildWithParameters`. */
  parameterized: boolean;
  schedule: JobSchedule;
  /** Success rate and duration trend of the recent builds. */
  stats?: JobStats;
  lastBuild: BuildSummary | null;
  /** Set when this one job could not be read; the rest of the list still shows. */
  error?: string;
  /** Set while the job is paused through the portal (Jenkins: disabled): who, why, until when. */
  pause?: JobPause;
  /**
   * The standard pipeline template version the job's config.xml was
   * rendered with; absent when the template did not create the job (or its
   * config.xml could not be read).
   */
  template?: JobTemplateInfo;
  /**
   * Parts still being read from Jenkins (a cold cache on a slow
   * controller): the list answers without them, and a refresh (a signal on
   * `batch-jobs:entity-jobs:<entityRef>`, else the next poll) brings them.
   */
  loading?: Array<'schedule' | 'stats'>;
}

/**
 * The signal channel on which the backend tells an entity's open job lists
 * that they changed in Jenkins (or that schedules still loading arrived);
 * the message carries no data: the tab reads the list again.
 * @public
 */
export function entityJobsChannel(entityRef: string): string {
  return `batch-jobs:entity-jobs:${entityRef.toLocaleLowerCase('en-US')}`;
}

/** Which job template, at which version, rendered a job. @public */
export interface JobTemplateInfo {
  /** The version its config.xml says (1: the first, unversioned template). */
  version: number;
  /**
   * The version the portal renders now (`BATCH_PIPELINE_TEMPLATE_VERSION`
   * for the standard template; the version its source has now for another).
   */
  current: number;
  /** `version < current`: updating the job re-renders it with the current template. */
  outdated: boolean;
  /** Id of the template, when it is not the standard batch pipeline. */
  template?: string;
}

/** @public */
export interface VpcJobs {
  vpc: string;
  /** Name of the configured Jenkins instance that runs this VPC's jobs. */
  jenkins: string;
  jobs: JobSummary[];
  /** Set when the whole VPC could not be read (e.g. its Jenkins is down). */
  error?: string;
}

/** GET /entity/:namespace/:kind/:name/jobs @public */
export interface EntityJobsResponse {
  entityRef: string;
  vpcs: VpcJobs[];
}

/**
 * Where a timeline's expected duration comes from: Jenkins' own estimate
 * (the last successful builds), the median of recent builds, or a default.
 * @public
 */
export type DurationSource = 'estimate' | 'median' | 'default';

/** One scheduled run on the timeline. @public */
export interface TimelineRun {
  /** Short name of the job. */
  job: string;
  fullName: string;
  /** When the timer fires (ISO). */
  start: string;
  /** start + expected duration (ISO). */
  end: string;
  expectedDurationMs: number;
  durationSource: DurationSource;
}

/**
 * A maximal interval in which more scheduled runs overlap than the label has
 * online executors: some of them will wait in the queue.
 * @public
 */
export interface TimelineOverlap {
  start: string;
  end: string;
  /** Highest number of concurrent runs within the interval. */
  concurrent: number;
  /** Online executors of the label. */
  executors: number;
}

/** A job with a timer, as the timeline sees it (one lane). @public */
export interface TimelineJob {
  name: string;
  fullName: string;
  spec: string;
  timezone?: string;
  description?: string;
  expectedDurationMs: number;
  durationSource: DurationSource;
  /** Set when the spec is invalid or the job's configuration could not be read. */
  error?: string;
}

/** Scheduled runs of the jobs that share one agent label. @public */
export interface TimelineLabel {
  /**
   * Agent label (expression) the jobs run on; null when a job names none
   * (any node) or Jenkins keeps it outside config.xml (e.g. a Jenkinsfile in SCM).
   */
  label: string | null;
  /** Online executors of the nodes matching the label. */
  executors: number;
  runs: TimelineRun[];
  overlaps: TimelineOverlap[];
  /** Every timer job of the label, also those without runs in the range. */
  jobs?: TimelineJob[];
  /** True when a job fires so often that its runs were cut short. */
  truncated?: boolean;
}

/** GET /vpcs/:vpc/timeline?from=&to= @public */
export interface VpcTimeline {
  vpc: string;
  from: string;
  to: string;
  labels: TimelineLabel[];
}

/** GET /builds?vpc=&job=&limit=&cursor= @public */
export interface BuildsPage {
  items: BuildSummary[];
  /** Opaque; pass back as `cursor` for the next (older) page. Absent on the last page. */
  nextCursor?: string;
}

/** POST /builds/rerun body @public */
export interface RerunRequest {
  vpc: string;
  /** Jenkins full name of the job (`JobSummary.fullName`). */
  job: string;
  number: number;
  /**
   * The entity the user acted from. The permission is checked against it and
   * it is recorded in the audit; when absent, the backend finds the entities
   * whose annotation selects the job.
   */
  entityRef?: string;
}

/** POST /builds/rerun → 202 @public */
export interface RerunResponse {
  auditId: string;
  vpc: string;
  job: string;
  queueItemId: number;
  /** Follow with GET /queue?vpc=&id= until `build` is known. */
  state: QueueItemState;
}

/** @public */
export type QueueItemState = 'queued' | 'started' | 'cancelled';

/** GET /queue?vpc=&id= @public */
export interface QueueItemStatus {
  id: number;
  state: QueueItemState;
  /** Jenkins' reason while waiting, e.g. "Waiting for next available executor on ‘DEV-batch-agent’". */
  why: string | null;
  build?: { number: number; url: string };
}

/** @public */
export type AuditOutcome = 'pending' | 'succeeded' | 'failed';

/** `GET /audit?entityRef=&vpc=&job=&limit=` → `{ items: AuditEvent[] }` @public */
export interface AuditEvent {
  id: string;
  /** Entity ref of the person (or service) who acted. */
  actor: string;
  /** e.g. `build.rerun`. */
  action: string;
  entityRef: string | null;
  vpc: string | null;
  job: string | null;
  /** What was acted on, e.g. `DEV/payments-settlement/migrate-ledger#41`. */
  target: string;
  parameters: Record<string, unknown>;
  outcome: AuditOutcome;
  /** Result details: queue item, resulting build, or the error. */
  detail: Record<string, unknown>;
  createdAt: string;
  finishedAt: string | null;
}

/** @public */
export interface AuditPage {
  items: AuditEvent[];
}

/** Response headers of GET /builds/log, mirrored from Jenkins' progressiveText. @public */
export const LOG_TEXT_SIZE_HEADER = 'X-Text-Size';
/** @public */
export const LOG_MORE_DATA_HEADER = 'X-More-Data';
/** Offset of the first byte GET /builds/log answered (after `tail` snapped to a line). @public */
export const LOG_TEXT_START_HEADER = 'X-Text-Start';
/** Offset just after the last byte answered: the `start` to ask next. @public */
export const LOG_TEXT_END_HEADER = 'X-Text-End';

/** Annotation selecting an entity's jobs, see README. @public */
export const BATCH_JOBS_ANNOTATION = 'batch-jobs.io/jobs';
/** Optional annotation restricting the VPCs shown for an entity (comma-separated). @public */
export const BATCH_JOBS_VPCS_ANNOTATION = 'batch-jobs.io/vpcs';
/**
 * The community Jenkins plugin's annotation, `[instance:]full/job/name`
 * comma-separated (a folder means the jobs directly in it), also read
 * unless `batchJobs.locators.communityAnnotation` is false.
 * @public
 */
export const JENKINS_JOB_FULL_NAME_ANNOTATION = 'jenkins.io/job-full-name';

// --- Fleet: the EC2 Jenkins agents of every VPC ---------------------------

/** Batch agents run the batch jobs (2 executors); worker agents the long-running workers (1). @public */
export type AgentType = 'batch' | 'worker';

/**
 * Whether a node takes work: `online`; `temporarily-offline` when a person
 * (or a drain) paused it; `offline` when its agent is not connected.
 * @public
 */
export type AgentStatus = 'online' | 'temporarily-offline' | 'offline';

/** A build running on an agent's executor. @public */
export interface AgentBuild {
  /** e.g. `STG » push-notifier » STG-worker #12`; a pipeline's `node` step when Jenkins names no build. */
  name: string;
  /** Jenkins URL of the build, when Jenkins exports it. */
  url: string | null;
}

/** One Jenkins agent node and/or its EC2 instance. @public */
export interface FleetAgent {
  /** Jenkins node name, `<instanceId>-EC2-AGENT`; null for an instance with no node. */
  node: string | null;
  type: AgentType | null;
  label: string | null;
  executors: { busy: number; total: number };
  builds: AgentBuild[];
  /** null when Jenkins has no node for the instance. */
  status: AgentStatus | null;
  /** Jenkins' reason for being offline, e.g. "paused for maintenance" or a broken channel. */
  offlineReason: string | null;
  instanceId: string | null;
  /** EC2 state (`pending`, `running`, `shutting-down`, `terminated`, ...); null when EC2 does not list the instance. */
  ec2State: string | null;
  launchTime: string | null;
  /** Entity ref from the `batch-jobs.io/launched-by` tag, for agents launched from the portal. */
  launchedBy: string | null;
  /** The `batch-jobs.io/reason` tag. */
  reason: string | null;
  /** Its AMI and launch template version against the VPC's template; absent when the provider does not say. */
  image?: AgentImage;
}

/**
 * What an agent machine runs: its AMI and the launch template version it
 * came from, against the default version of its type's template.
 * @public
 */
export interface AgentImage {
  imageId: string | null;
  /** ISO creation date of the AMI; null when EC2 does not describe it (any more). */
  imageCreatedAt: string | null;
  /** Whole days since the AMI was created. */
  imageAgeDays: number | null;
  launchTemplateId: string | null;
  /** The version it was launched from (EC2's `aws:ec2launchtemplate:version` tag). */
  launchTemplateVersion: number | null;
  /** The default version of the VPC's template for its agent type, and that version's AMI. */
  defaultVersion: number | null;
  defaultImageId: string | null;
  /** Not on the default version, or its AMI is older than the configured age. */
  stale: boolean;
  /** Why it is stale, in plain words; empty when it is not. */
  staleReasons: string[];
}

/** How current a VPC's agents are: "3 of 5 agents stale, oldest image 74 days". @public */
export interface FleetImageSummary {
  /** Agents with a known machine (ended ones left out). */
  agents: number;
  stale: number;
  /** Age in days of the oldest AMI an agent runs; null when none is known. */
  oldestImageDays: number | null;
  /** The configured age (days) after which an AMI makes its agents stale. */
  maxImageAgeDays: number;
  summary: string;
}

/** Executors of a VPC's agents. @public */
export interface FleetTotals {
  agents: number;
  /** Executors of online nodes. */
  online: number;
  busy: number;
  idle: number;
  /** Executors of nodes that are offline or paused. */
  offline: number;
}

/** A build waiting in the Jenkins queue for one of the VPC's labels. @public */
export interface FleetQueueItem {
  id: number;
  /** Job (or pipeline) name as Jenkins lists it. */
  task: string;
  url: string | null;
  label: string | null;
  /** Jenkins' "why", e.g. "Waiting for next available executor on ‘DEV-batch-agent’". */
  why: string | null;
  inQueueSince: string | null;
  stuck: boolean;
}

/** @public */
export interface VpcFleet {
  vpc: string;
  jenkins: string;
  /** AWS region the VPC's instances live in; null when the VPC has no `aws` config. */
  region: string | null;
  agents: FleetAgent[];
  totals: FleetTotals;
  queue: FleetQueueItem[];
  /** Set when Jenkins could not be read. */
  jenkinsError?: string;
  /** Set when EC2 could not be read (Jenkins side still shown). */
  ec2Error?: string;
  /** Image age of the agents, when the provider knows their images (EC2). */
  images?: FleetImageSummary;
  /**
   * Where the VPC's agents come from (`ec2` unless a backend module set
   * another provider) and what it can do: the page offers only those.
   */
  agentProvider?: {
    id: string;
    capabilities: { list: boolean; launch: boolean; terminate: boolean };
  };
}

/** GET /fleet?vpc= (repeatable) @public */
export interface FleetResponse {
  vpcs: VpcFleet[];
  /** Server time of the snapshot. */
  generatedAt: string;
}

/** POST /fleet/agents body @public */
export interface LaunchAgentRequest {
  vpc: string;
  type: AgentType;
  /** Why the agent is needed; tagged on the instance and audited. */
  reason?: string;
}

/** @public */
export type FleetOperationState = 'running' | 'succeeded' | 'failed';

/** One step of a fleet operation, in order. @public */
export interface FleetOperationStep {
  /** e.g. `launch`, `pending`, `running`, `node-created`, `online`, `timeout`, `terminate`, `node-deleted`. */
  name: string;
  at: string;
  message: string;
}

/** GET /fleet/operations/:id; POST /fleet/agents → 202 with this. @public */
export interface FleetOperation {
  id: string;
  kind: 'launch';
  state: FleetOperationState;
  vpc: string;
  type: AgentType;
  actor: string;
  reason: string | null;
  instanceId: string | null;
  node: string | null;
  steps: FleetOperationStep[];
  /** Set when the operation failed: what went wrong, in plain words. */
  error: string | null;
  /** The audit event of the launch. */
  auditId: string;
  createdAt: string;
  updatedAt: string;
  /** When the launch gives up waiting for the node to come online. */
  deadline: string;
}

/** DELETE /fleet/agents/:node?vpc=&force= → 200 @public */
export interface TerminateAgentResponse {
  auditId: string;
  vpc: string;
  node: string;
  instanceId: string | null;
  /** EC2 state after TerminateInstances (`shutting-down`), null when there was no instance. */
  ec2State: string | null;
  nodeDeleted: boolean;
  /** Builds that were running and got cut off (only with `force`). */
  abortedBuilds: AgentBuild[];
}

/** Tags the portal puts on instances it launches. @public */
export const LAUNCHED_BY_TAG = 'batch-jobs.io/launched-by';
/** @public */
export const LAUNCH_REASON_TAG = 'batch-jobs.io/reason';
/**
 * The name of the Jenkins node an instance the portal launched runs, with
 * `{instanceId}` for its own id (RunInstances tags cannot hold the id): the
 * agent image's bootstrap connects as that node, since node names are config.
 * @public
 */
export const AGENT_NODE_TAG = 'batch-jobs.io/node-name';
