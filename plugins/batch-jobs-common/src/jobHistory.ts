/*
 * A way back for job changes: every config.xml the portal replaces (update,
 * create with `update: true`, promotion, restore) is kept first, and can be
 * restored.
 */

/** The portal actions that replace a job's config.xml. @public */
export type JobConfigChangeAction =
  | 'job.update'
  | 'job.promote'
  | 'job.restore';

/**
 * One kept config.xml: what the job was configured with until `actor`
 * replaced it at `createdAt` through `action`.
 * @public
 */
export interface JobConfigVersion {
  id: string;
  vpc: string;
  /** Jenkins full name, e.g. `PROD/payments-settlement/nightly-import`. */
  job: string;
  /** sha256 (hex) of the kept config.xml. */
  sha256: string;
  /** Length of the kept config.xml in bytes (UTF-8). */
  size: number;
  /** When it was replaced (ISO). */
  createdAt: string;
  /** Entity ref of the person whose write replaced it. */
  actor: string;
  action: JobConfigChangeAction;
  /** The audit row of the write that replaced it. */
  auditId: string | null;
  /** Set when that write ran after a four-eyes approval. */
  approvalId: string | null;
  entityRef: string | null;
  /** On a restore: the version it brought back. */
  restoredVersionId: string | null;
}

/** `GET /jobs/history?vpc=&job=`: newest first, without the XML. @public */
export interface JobConfigHistoryResponse {
  vpc: string;
  job: string;
  items: JobConfigVersion[];
  /** How many versions are kept per job; older ones are dropped. */
  keep: number;
}

/** `GET /jobs/history/:id`: one version, and what restoring it would change. @public */
export interface JobConfigVersionResponse {
  version: JobConfigVersion;
  configXml: string;
  /** Whether the job still exists (a restore needs it). */
  jobExists: boolean;
  /**
   * Unified diff from the job's current config.xml to this version (what a
   * restore would change); empty when they are the same.
   */
  diff: string;
}

/** `POST /jobs/restore`. @public */
export interface RestoreJobConfigRequest {
  vpc: string;
  /** Jenkins full name. */
  job: string;
  versionId: string;
  /** The owning entity, for the audit trail. */
  entityRef?: string;
}

/** @public */
export interface RestoreJobConfigResponse {
  auditId: string;
  vpc: string;
  job: string;
  versionId: string;
  /** `unchanged`: the job already had that config; nothing was written. */
  action: 'restored' | 'unchanged';
  /** sha256 of the config.xml the job has now. */
  sha256: string;
  /** The version that keeps the config the restore replaced (absent when unchanged). */
  replacedVersionId?: string;
}
