import { Knex } from 'knex';

const TABLE = 'job_pauses';

/** A job paused through the portal. @public */
export interface PauseRecord {
  vpc: string;
  job: string;
  /** Entity ref of the person who paused it. */
  by: string;
  reason: string;
  entityRef: string | null;
  /** ISO */
  at: string;
  /** ISO; when the routine resumes the job. */
  until: string | null;
}

/** @public */
export interface PauseStore {
  /** Records (or replaces) the pause of a job. */
  set(pause: PauseRecord): Promise<void>;
  get(vpc: string, job: string): Promise<PauseRecord | undefined>;
  /** Pauses of these jobs of one VPC. */
  list(vpc: string, jobs: string[]): Promise<PauseRecord[]>;
  /** Pauses whose `until` has passed, oldest first. */
  listDue(now: Date, limit: number): Promise<PauseRecord[]>;
  delete(vpc: string, job: string): Promise<void>;
  /**
   * Deletes the row only while it still is this very pause (same time,
   * person and end): a job paused again meanwhile keeps its new pause.
   * Returns whether it deleted.
   */
  deleteIf(pause: PauseRecord): Promise<boolean>;
  /** Puts a pause back unless the job has been paused again meanwhile. */
  restore(pause: PauseRecord): Promise<void>;
}

interface Row {
  vpc: string;
  job: string;
  paused_by: string;
  reason: string;
  entity_ref: string | null;
  paused_at: Date | string | number;
  until: Date | string | number | null;
}

/** SQLite hands back numbers or strings, PostgreSQL Dates. */
const toIso = (value: Date | string | number) => new Date(value).toISOString();

function toRecord(row: Row): PauseRecord {
  return {
    vpc: row.vpc,
    job: row.job,
    by: row.paused_by,
    reason: row.reason,
    entityRef: row.entity_ref,
    at: toIso(row.paused_at),
    until: row.until === null ? null : toIso(row.until),
  };
}

function toRow(pause: PauseRecord): Row {
  return {
    vpc: pause.vpc,
    job: pause.job,
    paused_by: pause.by,
    reason: pause.reason,
    entity_ref: pause.entityRef,
    paused_at: new Date(pause.at),
    until: pause.until === null ? null : new Date(pause.until),
  };
}

/**
 * Pauses in the plugin's database. Jenkins only knows a job is disabled;
 * the person, the reason and the end time live here.
 * @public
 */
export class DatabasePauseStore implements PauseStore {
  static create(options: { db: Knex }) {
    return new DatabasePauseStore(options.db);
  }

  private constructor(private readonly db: Knex) {}

  async set(pause: PauseRecord): Promise<void> {
    await this.db<Row>(TABLE)
      .insert(toRow(pause))
      .onConflict(['vpc', 'job'])
      .merge();
  }

  async get(vpc: string, job: string): Promise<PauseRecord | undefined> {
    const row = await this.db<Row>(TABLE).where({ vpc, job }).first();
    return row ? toRecord(row) : undefined;
  }

  async list(vpc: string, jobs: string[]): Promise<PauseRecord[]> {
    if (jobs.length === 0) return [];
    const rows = await this.db<Row>(TABLE)
      .where('vpc', vpc)
      .whereIn('job', jobs);
    return rows.map(toRecord);
  }

  async listDue(now: Date, limit: number): Promise<PauseRecord[]> {
    const rows = await this.db<Row>(TABLE)
      .whereNotNull('until')
      .where('until', '<=', now)
      .orderBy('until', 'asc')
      .limit(limit);
    return rows.map(toRecord);
  }

  async delete(vpc: string, job: string): Promise<void> {
    await this.db<Row>(TABLE).where({ vpc, job }).delete();
  }

  async deleteIf(pause: PauseRecord): Promise<boolean> {
    // The pause's time and person are its version: `set` replaces both.
    const deleted = await this.db<Row>(TABLE)
      .where({
        vpc: pause.vpc,
        job: pause.job,
        paused_by: pause.by,
        paused_at: new Date(pause.at),
      })
      .where(q =>
        pause.until === null
          ? q.whereNull('until')
          : q.where('until', new Date(pause.until)),
      )
      .delete();
    return deleted > 0;
  }

  async restore(pause: PauseRecord): Promise<void> {
    await this.db<Row>(TABLE)
      .insert(toRow(pause))
      .onConflict(['vpc', 'job'])
      .ignore();
  }
}
