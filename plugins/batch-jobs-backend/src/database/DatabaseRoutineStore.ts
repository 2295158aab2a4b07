import { Knex } from 'knex';
import {
  BackupRecord,
  RoutineId,
  RoutineOutcome,
  RoutineRun,
  RoutineRunItem,
  RoutineTrigger,
} from '@batch-jobs/plugin-batch-jobs-common';

type Time = Date | string | number;
const toIso = (v: Time) => new Date(v).toISOString();

interface RunRow {
  id: string;
  routine: string;
  trigger: string;
  actor: string;
  dry_run: boolean | number;
  outcome: string;
  summary: string | null;
  items: string;
  started_at: Time;
  finished_at: Time | null;
}

interface LockRow {
  routine: string;
  run_id: string;
  expires_at: Time;
}

interface BackupRow {
  bucket: string;
  key: string;
  size_bytes: number | string;
  verified: boolean | number;
  run_id: string;
  build_number: number | null;
  build_url: string | null;
  created_at: Time;
  deleted_at: Time | null;
  prefix: string | null;
  failure: string | null;
}

/** @public */
export interface NewRoutineRun {
  id: string;
  routine: RoutineId;
  trigger: RoutineTrigger;
  actor: string;
  dryRun: boolean;
}

/**
 * Runs of the routines and the lock that keeps one run per routine at a time
 * across replicas.
 * @public
 */
export interface RoutineRunStore {
  /**
   * Takes the routine's lock for `runId` until `ttlMs` from now and records
   * the run as `running`. Returns the id of the run holding the lock when it
   * is taken. An expired lock is a replica that died mid-run: its run is
   * marked `abandoned` and the lock taken over.
   */
  start(
    run: NewRoutineRun,
    ttlMs: number,
  ): Promise<{ started: true } | { started: false; heldBy: string }>;
  appendItems(runId: string, items: RoutineRunItem[]): Promise<void>;
  /** Records the outcome and releases the lock. */
  finish(
    runId: string,
    outcome: Exclude<RoutineOutcome, 'running' | 'abandoned'>,
    summary: string,
  ): Promise<void>;
  get(runId: string): Promise<RoutineRun | undefined>;
  list(
    routine: RoutineId,
    options: { limit: number; withItems?: boolean },
  ): Promise<RoutineRun[]>;
}

/** When each node was first seen offline. @public */
export interface NodeSightingStore {
  /**
   * Remembers `offline` nodes of a controller (keeping earlier first-seen
   * times) and forgets every other node of it. Returns first-seen per node.
   */
  observe(
    jenkins: string,
    offline: string[],
    now: Date,
  ): Promise<Map<string, Date>>;
  forget(jenkins: string, node: string): Promise<void>;
}

/** Backups the backup routine verified. @public */
export interface BackupStore {
  record(backup: Omit<BackupRecord, 'deletedAt'>): Promise<void>;
  markDeleted(bucket: string, key: string, at: Date): Promise<void>;
  list(options: { limit: number }): Promise<BackupRecord[]>;
  /**
   * What retention may consider: backups recorded verified in this bucket
   * under exactly this prefix and not deleted, newest first.
   */
  listVerified(options: { bucket: string; prefix: string }): Promise<BackupRecord[]>;
}

function toRun(row: RunRow, withItems: boolean): RoutineRun {
  let items: RoutineRunItem[] = [];
  if (withItems) {
    try {
      items = JSON.parse(row.items);
    } catch {
      items = [];
    }
  }
  return {
    id: row.id,
    routine: row.routine as RoutineId,
    trigger: row.trigger as RoutineTrigger,
    actor: row.actor,
    dryRun: Boolean(row.dry_run),
    outcome: row.outcome as RoutineOutcome,
    startedAt: toIso(row.started_at),
    finishedAt: row.finished_at === null ? null : toIso(row.finished_at),
    summary: row.summary,
    items,
  };
}

const RUNS = 'routine_runs';
const LOCKS = 'routine_locks';

/** Routine runs and locks in the plugin's database. @public */
export class DatabaseRoutineRunStore implements RoutineRunStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseRoutineRunStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async start(
    run: NewRoutineRun,
    ttlMs: number,
  ): Promise<{ started: true } | { started: false; heldBy: string }> {
    const now = this.now();
    return this.db.transaction(async tx => {
      const held = await tx<LockRow>(LOCKS)
        .where({ routine: run.routine })
        .first();
      if (held && new Date(held.expires_at).getTime() > now.getTime()) {
        return { started: false as const, heldBy: held.run_id };
      }
      if (held) {
        await tx<LockRow>(LOCKS)
          .where({ routine: run.routine, run_id: held.run_id })
          .delete();
      }
      // Two replicas racing past the read: the primary key lets one in.
      await tx<LockRow>(LOCKS)
        .insert({
          routine: run.routine,
          run_id: run.id,
          expires_at: new Date(now.getTime() + ttlMs),
        })
        .onConflict('routine')
        .ignore();
      const mine = await tx<LockRow>(LOCKS)
        .where({ routine: run.routine })
        .first();
      if (mine?.run_id !== run.id) {
        return { started: false as const, heldBy: mine?.run_id ?? '' };
      }
      // We hold the lock: any other run still "running" died with its replica.
      await tx<RunRow>(RUNS)
        .where({ routine: run.routine, outcome: 'running' })
        .update({
          outcome: 'abandoned',
          finished_at: now,
          summary:
            'Abandoned: the backend running it stopped before it finished',
        });
      await tx<RunRow>(RUNS).insert({
        id: run.id,
        routine: run.routine,
        trigger: run.trigger,
        actor: run.actor,
        dry_run: run.dryRun,
        outcome: 'running',
        summary: null,
        items: '[]',
        started_at: now,
        finished_at: null,
      });
      return { started: true as const };
    });
  }

  async appendItems(runId: string, items: RoutineRunItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.db.transaction(async tx => {
      const row = await tx<RunRow>(RUNS).where({ id: runId }).first();
      if (!row) throw new Error(`Routine run ${runId} does not exist`);
      const existing = toRun(row, true).items;
      await tx<RunRow>(RUNS)
        .where({ id: runId })
        .update({ items: JSON.stringify(existing.concat(items)) });
    });
  }

  async finish(
    runId: string,
    outcome: 'succeeded' | 'failed',
    summary: string,
  ): Promise<void> {
    await this.db.transaction(async tx => {
      await tx<RunRow>(RUNS)
        .where({ id: runId })
        .update({ outcome, summary, finished_at: this.now() });
      await tx<LockRow>(LOCKS).where({ run_id: runId }).delete();
    });
  }

  async get(runId: string): Promise<RoutineRun | undefined> {
    const row = await this.db<RunRow>(RUNS).where({ id: runId }).first();
    return row ? toRun(row, true) : undefined;
  }

  async list(
    routine: RoutineId,
    options: { limit: number; withItems?: boolean },
  ): Promise<RoutineRun[]> {
    const rows = await this.db<RunRow>(RUNS)
      .where({ routine })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit);
    return rows.map(r => toRun(r, options.withItems ?? false));
  }
}

const SIGHTINGS = 'node_offline_sightings';

/** First-seen-offline times in the plugin's database. @public */
export class DatabaseNodeSightingStore implements NodeSightingStore {
  static create(options: { db: Knex }) {
    return new DatabaseNodeSightingStore(options.db);
  }

  private constructor(private readonly db: Knex) {}

  async observe(
    jenkins: string,
    offline: string[],
    now: Date,
  ): Promise<Map<string, Date>> {
    return this.db.transaction(async tx => {
      const forget = tx(SIGHTINGS).where({ jenkins });
      if (offline.length > 0) forget.whereNotIn('node', offline);
      await forget.delete();
      for (const node of offline) {
        await tx(SIGHTINGS)
          .insert({ jenkins, node, first_seen_at: now })
          .onConflict(['jenkins', 'node'])
          .ignore();
      }
      const rows: Array<{ node: string; first_seen_at: Time }> = await tx(
        SIGHTINGS,
      )
        .where({ jenkins })
        .select('node', 'first_seen_at');
      return new Map(rows.map(r => [r.node, new Date(r.first_seen_at)]));
    });
  }

  async forget(jenkins: string, node: string): Promise<void> {
    await this.db(SIGHTINGS).where({ jenkins, node }).delete();
  }
}

const BACKUPS = 'routine_backups';

function toBackup(row: BackupRow): BackupRecord {
  return {
    bucket: row.bucket,
    key: row.key,
    sizeBytes: Number(row.size_bytes),
    verified: Boolean(row.verified),
    createdAt: toIso(row.created_at),
    runId: row.run_id,
    build:
      row.build_number === null
        ? null
        : { number: Number(row.build_number), url: row.build_url ?? '' },
    deletedAt: row.deleted_at === null ? null : toIso(row.deleted_at),
    ...(row.prefix !== null && row.prefix !== undefined ? { prefix: row.prefix } : {}),
    ...(row.failure ? { failure: row.failure } : {}),
  };
}

/** Recorded backups in the plugin's database. @public */
export class DatabaseBackupStore implements BackupStore {
  static create(options: { db: Knex }) {
    return new DatabaseBackupStore(options.db);
  }

  private constructor(private readonly db: Knex) {}

  async record(backup: Omit<BackupRecord, 'deletedAt'>): Promise<void> {
    await this.db<BackupRow>(BACKUPS)
      .insert({
        bucket: backup.bucket,
        key: backup.key,
        size_bytes: backup.sizeBytes,
        verified: backup.verified,
        run_id: backup.runId,
        build_number: backup.build?.number ?? null,
        build_url: backup.build?.url ?? null,
        created_at: new Date(backup.createdAt),
        deleted_at: null,
        prefix: backup.prefix ?? null,
        failure: backup.verified ? null : backup.failure ?? null,
      })
      .onConflict(['bucket', 'key'])
      .merge([
        'size_bytes',
        'verified',
        'run_id',
        'build_number',
        'build_url',
        'created_at',
        'deleted_at',
        'prefix',
        'failure',
      ]);
  }

  async markDeleted(bucket: string, key: string, at: Date): Promise<void> {
    await this.db<BackupRow>(BACKUPS)
      .where({ bucket, key })
      .update({ deleted_at: at });
  }

  async list(options: { limit: number }): Promise<BackupRecord[]> {
    const rows = await this.db<BackupRow>(BACKUPS)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'key', order: 'desc' },
      ])
      .limit(options.limit);
    return rows.map(toBackup);
  }

  async listVerified(options: {
    bucket: string;
    prefix: string;
  }): Promise<BackupRecord[]> {
    const rows = await this.db<BackupRow>(BACKUPS)
      .where({ bucket: options.bucket, prefix: options.prefix, verified: true })
      .whereNull('deleted_at')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'key', order: 'desc' },
      ]);
    return rows.map(toBackup);
  }
}
