import { AuditEvent, AuditOutcome } from '@batch-jobs/plugin-batch-jobs-common';

/** @public */
export interface NewAuditEvent {
  actor: string;
  action: string;
  entityRef: string | null;
  vpc: string | null;
  job: string | null;
  target: string;
  parameters: Record<string, unknown>;
  detail?: Record<string, unknown>;
}

/** An audit row with the Jenkins links we keep in columns for lookups. @public */
export interface AuditRecord extends AuditEvent {
  queueItemId: number | null;
  buildNumber: number | null;
}

/** @public */
export interface AuditStore {
  /** Writes a `pending` row; returns its id. */
  create(event: NewAuditEvent): Promise<string>;
  /** Records the outcome; `detail` is merged into the existing detail. */
  finish(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    update: {
      detail?: Record<string, unknown>;
      parameters?: Record<string, unknown>;
      queueItemId?: number;
    },
  ): Promise<void>;
  /** Links the build a queue item became (idempotent). */
  recordBuild(
    id: string,
    build: { number: number; url: string },
  ): Promise<void>;
  get(id: string): Promise<AuditRecord | undefined>;
  /** Newest first. */
  list(filter: {
    entityRef?: string;
    vpc?: string;
    job?: string;
    /** Only rows of these actions. */
    actions?: string[];
    limit: number;
  }): Promise<AuditRecord[]>;
  /** Actions on these jobs that created queue items, newest first. */
  listQueued(filter: {
    vpc: string;
    jobs: string[];
    limit: number;
  }): Promise<AuditRecord[]>;
  findByQueueItem(
    vpc: string,
    queueItemId: number,
  ): Promise<AuditRecord | undefined>;
  /** Rows of these actions still `pending` that were created before `before`, oldest first. */
  listStalePending(filter: {
    actions: string[];
    before: Date;
    limit: number;
  }): Promise<AuditRecord[]>;
  /**
   * Like `finish`, but only while the row is still `pending`; false when
   * another replica (or the action itself) settled it first.
   */
  settlePending(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    update: { detail: Record<string, unknown>; queueItemId?: number },
  ): Promise<boolean>;
}

/** @public */
export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'replay'; response: unknown }
  | { state: 'in-flight' }
  | { state: 'mismatch' };

/** @public */
export interface StaleIdempotencyKey {
  actor: string;
  key: string;
  auditId: string | null;
}

/** @public */
export interface IdempotencyStore {
  /** Claims `key` for `actor`, or tells what happened to an earlier claim. */
  claim(
    actor: string,
    key: string,
    requestHash: string,
  ): Promise<IdempotencyClaim>;
  complete(actor: string, key: string, response: unknown): Promise<void>;
  /** Links an in-flight key to the audit row of its action (for crash recovery). */
  attach(actor: string, key: string, auditId: string): Promise<void>;
  /** Keys still in flight that were claimed before `before`. */
  listStale(before: Date): Promise<StaleIdempotencyKey[]>;
  /** Forgets a claim whose request failed, so the client may retry with it. */
  release(actor: string, key: string): Promise<void>;
}
