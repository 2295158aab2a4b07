/*
 * Operator controls of the REST API: run now with parameters, stop a build,
 * pause and resume a job's schedule. Shared by backend and frontend.
 */
import type { QueueItemState } from './api';

/** Kinds of Jenkins parameter the run form knows how to edit. @public */
export type JobParameterType =
  | 'string'
  | 'text'
  | 'boolean'
  | 'choice'
  | 'password'
  /** A parameter kind the portal cannot edit (e.g. file, credentials); sent as its default. */
  | 'other';

/** One parameter definition of a job, as the run form shows it. @public */
export interface JobParameterDefinition {
  name: string;
  type: JobParameterType;
  description: string;
  /**
   * The default value. Never set for passwords: Jenkins keeps those
   * encrypted and the portal never shows them.
   */
  default?: string | boolean;
  /** The allowed values of a `choice` parameter; the first is its default. */
  choices?: string[];
  /** Jenkins' own class, e.g. `hudson.model.StringParameterDefinition`. */
  jenkinsClass?: string;
}

/** GET /jobs/parameters?vpc=&job=[&fromBuild=] @public */
export interface JobParametersResponse {
  vpc: string;
  job: string;
  definitions: JobParameterDefinition[];
  /**
   * With `fromBuild`: the values that build ran with, for pre-filling the
   * form. Passwords are never included (their field stays blank, which sends
   * the job's default).
   */
  values?: Record<string, string | boolean>;
  fromBuild?: number;
}

/** POST /jobs/run body (with an `Idempotency-Key` header). @public */
export interface RunJobRequest {
  vpc: string;
  /** Jenkins full name of the job. */
  job: string;
  /**
   * Values by parameter name. Booleans as booleans; a parameter left out
   * takes the job's default. A password left out (or empty) uses the job's
   * default password.
   */
  parameters: Record<string, string | boolean>;
  /** The entity the user acted from (permission and audit); found from annotations when absent. */
  entityRef?: string;
}

/** POST /jobs/run → 202 @public */
export interface RunJobResponse {
  auditId: string;
  vpc: string;
  job: string;
  queueItemId: number;
  /** Follow with GET /queue?vpc=&id= until `build` is known. */
  state: QueueItemState;
}

/** POST /builds/stop body @public */
export interface StopBuildRequest {
  vpc: string;
  job: string;
  /** A build number; give `queueItemId` instead to cancel a queued item. */
  number?: number;
  queueItemId?: number;
  entityRef?: string;
}

/** How far a stop had to go. @public */
export type StopMethod = 'stop' | 'term' | 'kill' | 'cancelItem';

/**
 * POST /builds/stop → 200 once the build has really ended (or the queue item
 * is cancelled). The backend escalates `stop` → `term` → `kill` itself.
 * @public
 */
export interface StopBuildResponse {
  auditId: string;
  vpc: string;
  job: string;
  number?: number;
  queueItemId?: number;
  /** `stopped`: the build ended; `already-finished`: it had ended before we asked; `cancelled`: the queue item left the queue. */
  outcome: 'stopped' | 'already-finished' | 'cancelled';
  /** Result Jenkins gives the build (usually ABORTED). */
  result?: string | null;
  /** Every Jenkins action taken, in order, e.g. ['stop', 'term']. */
  methods: StopMethod[];
}

/** POST /jobs/disable body @public */
export interface PauseJobRequest {
  vpc: string;
  job: string;
  /** Why the job is paused, shown next to it (required). */
  reason: string;
  entityRef?: string;
  /** ISO time at which the portal resumes the job by itself. */
  until?: string;
}

/** POST /jobs/enable body @public */
export interface ResumeJobRequest {
  vpc: string;
  job: string;
  /** Why it is resumed (optional, audited). */
  reason?: string;
  entityRef?: string;
}

/** A job paused through the portal. @public */
export interface JobPause {
  /** Entity ref of the person who paused it. */
  by: string;
  reason: string;
  /** When it was paused (ISO). */
  at: string;
  /** When the portal will resume it by itself (ISO). */
  until?: string;
}

/** POST /jobs/disable and /jobs/enable → 200 @public */
export interface PauseJobResponse {
  auditId: string;
  vpc: string;
  job: string;
  /** Whether the job is now paused (Jenkins: disabled). */
  paused: boolean;
  /** The pause, while paused. */
  pause?: JobPause;
}
