import { Knex } from 'knex';
import { createHash, randomUUID } from 'node:crypto';
import {
  JobConfigChangeAction,
  JobConfigVersion,
} from '@batch-jobs/plugin-batch-jobs-common';

const TABLE = 'job_config_history';

/** Versions kept per job unless the store is told otherwise. @public */
export const DEFAULT_KEEP_VERSIONS_PER_JOB = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The config.xml a write is about to replace, and why it is replaced. @public */
export interface NewJobConfigVersion {
  vpc: string;
  job: string;
  configXml: string;
  actor: string;
  action: JobConfigChangeAction;
  auditId: string | null;
  approvalId: string | null;
  entityRef: string | null;
  restoredVersionId?: string | null;
}

/** A kept version with its config.xml. @public */
export interface JobConfigVersionRecord extends JobConfigVersion {
  configXml: string;
}

/** @public */
export interface JobConfigHistoryStore {
  /** How many versions are kept per job. */
  readonly keep: number;
  /**
   * Keeps a config.xml before it is replaced; drops the job's versions
   * beyond the newest `keep`. Returns the new version.
   */
  record(version: NewJobConfigVersion): Promise<JobConfigVersion>;
  /** The job's versions, newest first, without their XML. */
  list(vpc: string, job: string): Promise<JobConfigVersion[]>;
  /** One version with its XML; undefined for an unknown (or malformed) id. */
  get(id: string): Promise<JobConfigVersionRecord | undefined>;
}

interface Row {
  id: string;
  vpc: string;
  job: string;
  config_xml: string;
  sha256: string;
  size: number;
  actor: string;
  action: string;
  audit_id: string | null;
  approval_id: string | null;
  entity_ref: string | null;
  restored_version_id: string | null;
  created_at: Date | string | number;
}

const SUMMARY_COLUMNS = [
  'id',
  'vpc',
  'job',
  'sha256',
  'size',
  'actor',
  'action',
  'audit_id',
  'approval_id',
  'entity_ref',
  'restored_version_id',
  'created_at',
] as const;

/** SQLite hands back numbers or strings, PostgreSQL Dates. */
const toIso = (value: Date | string | number) => new Date(value).toISOString();

function toVersion(row: Omit<Row, 'config_xml'>): JobConfigVersion {
  return {
    id: row.id,
    vpc: row.vpc,
    job: row.job,
    sha256: row.sha256,
    size: Number(row.size),
    createdAt: toIso(row.created_at),
    actor: row.actor,
    action: row.action as JobConfigChangeAction,
    auditId: row.audit_id,
    approvalId: row.approval_id,
    entityRef: row.entity_ref,
    restoredVersionId: row.restored_version_id,
  };
}

/** sha256 (hex) of a config.xml as stored. @public */
export function configSha256(configXml: string): string {
  return createHash('sha256').update(configXml, 'utf8').digest('hex');
}

/**
 * Replaced config.xml versions in the plugin's database: Jenkins keeps no
 * history of its own (without the JobConfigHistory plugin), so this is the
 * way back from a portal write.
 * @public
 */
export class DatabaseJobConfigHistoryStore implements JobConfigHistoryStore {
  static create(options: { db: Knex; keep?: number; now?: () => Date }) {
    const keep = options.keep ?? DEFAULT_KEEP_VERSIONS_PER_JOB;
    if (!Number.isInteger(keep) || keep < 1) {
      throw new Error(
        `Job config history: keep must be a positive integer, got ${keep}`,
      );
    }
    return new DatabaseJobConfigHistoryStore(
      options.db,
      keep,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    readonly keep: number,
    private readonly now: () => Date,
  ) {}

  async record(version: NewJobConfigVersion): Promise<JobConfigVersion> {
    const row: Row = {
      id: randomUUID(),
      vpc: version.vpc,
      job: version.job,
      config_xml: version.configXml,
      sha256: configSha256(version.configXml),
      size: Buffer.byteLength(version.configXml, 'utf8'),
      actor: version.actor,
      action: version.action,
      audit_id: version.auditId,
      approval_id: version.approvalId,
      entity_ref: version.entityRef,
      restored_version_id: version.restoredVersionId ?? null,
      created_at: this.now(),
    };
    await this.db.transaction(async tx => {
      await tx<Row>(TABLE).insert(row);
      // Bounded: the newest `keep` of this job stay.
      const dropped = await tx<Row>(TABLE)
        .where({ vpc: version.vpc, job: version.job })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .offset(this.keep)
        .limit(1000)
        .select('id');
      if (dropped.length > 0) {
        await tx<Row>(TABLE)
          .whereIn(
            'id',
            dropped.map(d => d.id),
          )
          .delete();
      }
    });
    return toVersion(row);
  }

  async list(vpc: string, job: string): Promise<JobConfigVersion[]> {
    const rows = await this.db<Row>(TABLE)
      .where({ vpc, job })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(this.keep)
      .select(...SUMMARY_COLUMNS);
    return rows.map(toVersion);
  }

  async get(id: string): Promise<JobConfigVersionRecord | undefined> {
    // PostgreSQL refuses a malformed uuid with an error: it is just unknown.
    if (!UUID.test(id)) return undefined;
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? { ...toVersion(row), configXml: row.config_xml } : undefined;
  }
}
