import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { AuditOutcome } from '@batch-jobs/plugin-batch-jobs-common';
import { AuditRecord, AuditStore, NewAuditEvent } from './types';

const TABLE = 'audit_events';

interface Row {
  id: string;
  actor: string;
  action: string;
  entity_ref: string | null;
  vpc: string | null;
  job: string | null;
  target: string;
  parameters: string;
  outcome: string;
  detail: string;
  queue_item_id: number | null;
  build_number: number | null;
  created_at: Date | string | number;
  finished_at: Date | string | number | null;
}

/** SQLite hands back numbers or strings, PostgreSQL Dates. */
function toIso(value: Date | string | number): string {
  return new Date(value).toISOString();
}

function parseJson(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

function toRecord(row: Row): AuditRecord {
  return {
    id: row.id,
    actor: row.actor,
    action: row.action,
    entityRef: row.entity_ref,
    vpc: row.vpc,
    job: row.job,
    target: row.target,
    parameters: parseJson(row.parameters),
    outcome: row.outcome as AuditOutcome,
    detail: parseJson(row.detail),
    createdAt: toIso(row.created_at),
    finishedAt: row.finished_at === null ? null : toIso(row.finished_at),
    queueItemId: row.queue_item_id === null ? null : Number(row.queue_item_id),
    buildNumber: row.build_number === null ? null : Number(row.build_number),
  };
}

/**
 * Audit rows in the plugin's database.
 * @public
 */
export class DatabaseAuditStore implements AuditStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseAuditStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async create(event: NewAuditEvent): Promise<string> {
    const id = randomUUID();
    await this.db<Row>(TABLE).insert({
      id,
      actor: event.actor,
      action: event.action,
      entity_ref: event.entityRef,
      vpc: event.vpc,
      job: event.job,
      target: event.target,
      parameters: JSON.stringify(event.parameters),
      outcome: 'pending',
      detail: JSON.stringify(event.detail ?? {}),
      queue_item_id: null,
      build_number: null,
      created_at: this.now(),
      finished_at: null,
    });
    return id;
  }

  async finish(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    update: {
      detail?: Record<string, unknown>;
      parameters?: Record<string, unknown>;
      queueItemId?: number;
    },
  ): Promise<void> {
    await this.db.transaction(async tx => {
      const row = await tx<Row>(TABLE).where({ id }).first();
      if (!row) throw new Error(`Audit event ${id} does not exist`);
      await tx<Row>(TABLE)
        .where({ id })
        .update({
          outcome,
          finished_at: this.now(),
          detail: JSON.stringify({
            ...parseJson(row.detail),
            ...update.detail,
          }),
          ...(update.parameters
            ? { parameters: JSON.stringify(update.parameters) }
            : {}),
          ...(update.queueItemId !== undefined
            ? { queue_item_id: update.queueItemId }
            : {}),
        });
    });
  }

  async recordBuild(
    id: string,
    build: { number: number; url: string },
  ): Promise<void> {
    await this.db.transaction(async tx => {
      const row = await tx<Row>(TABLE).where({ id }).first();
      if (!row || row.build_number !== null) return;
      await tx<Row>(TABLE)
        .where({ id })
        .update({
          build_number: build.number,
          detail: JSON.stringify({
            ...parseJson(row.detail),
            buildNumber: build.number,
            buildUrl: build.url,
          }),
        });
    });
  }

  async get(id: string): Promise<AuditRecord | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async list(filter: {
    entityRef?: string;
    vpc?: string;
    job?: string;
    actions?: string[];
    limit: number;
  }): Promise<AuditRecord[]> {
    const query = this.db<Row>(TABLE);
    if (filter.entityRef) query.where('entity_ref', filter.entityRef);
    if (filter.vpc) query.where('vpc', filter.vpc);
    if (filter.job) query.where('job', filter.job);
    if (filter.actions) query.whereIn('action', filter.actions);
    const rows = await query
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit);
    return rows.map(toRecord);
  }

  async listQueued(filter: {
    vpc: string;
    jobs: string[];
    limit: number;
  }): Promise<AuditRecord[]> {
    if (filter.jobs.length === 0) return [];
    const rows = await this.db<Row>(TABLE)
      .where('vpc', filter.vpc)
      .whereIn('job', filter.jobs)
      .whereNotNull('queue_item_id')
      .orderBy('created_at', 'desc')
      .limit(filter.limit);
    return rows.map(toRecord);
  }

  async findByQueueItem(
    vpc: string,
    queueItemId: number,
  ): Promise<AuditRecord | undefined> {
    const row = await this.db<Row>(TABLE)
      .where({ vpc, queue_item_id: queueItemId })
      .orderBy('created_at', 'desc')
      .first();
    return row ? toRecord(row) : undefined;
  }

  async listStalePending(filter: {
    actions: string[];
    before: Date;
    limit: number;
  }): Promise<AuditRecord[]> {
    if (filter.actions.length === 0) return [];
    const rows = await this.db<Row>(TABLE)
      .where('outcome', 'pending')
      .whereIn('action', filter.actions)
      .where('created_at', '<', filter.before)
      .orderBy('created_at', 'asc')
      .limit(filter.limit);
    return rows.map(toRecord);
  }

  async settlePending(
    id: string,
    outcome: Exclude<AuditOutcome, 'pending'>,
    update: { detail: Record<string, unknown>; queueItemId?: number },
  ): Promise<boolean> {
    return this.db.transaction(async tx => {
      const row = await tx<Row>(TABLE).where({ id }).first();
      if (!row || row.outcome !== 'pending') return false;
      // The outcome guard makes a concurrent settle (another replica) a no-op.
      const changed = await tx<Row>(TABLE)
        .where({ id, outcome: 'pending' })
        .update({
          outcome,
          finished_at: this.now(),
          detail: JSON.stringify({ ...parseJson(row.detail), ...update.detail }),
          ...(update.queueItemId !== undefined
            ? { queue_item_id: update.queueItemId }
            : {}),
        });
      return changed > 0;
    });
  }
}
