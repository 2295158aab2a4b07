import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { CatchUpOperation } from '@batch-jobs/plugin-batch-jobs-common';

const TABLE = 'catch_up_operations';

/** One run of a catch-up with what a replica needs to carry it on. @public */
export type CatchUpRun = CatchUpOperation['runs'][number] & {
  /** `starting`: its audit row is written, Jenkins may or may not have it yet. */
  phase?: 'starting';
  auditId?: string;
  queueItemId?: number;
  /** The entity the requester may run the job through (permission and audit). */
  entityRef?: string;
};

const toIso = (v: Date | string | number) => new Date(v).toISOString();

function toOperation(
  row: any,
): Omit<CatchUpOperation, 'runs'> & { runs: CatchUpRun[] } {
  return {
    id: row.id,
    vpc: row.vpc,
    state: row.state,
    requestedBy: row.requested_by,
    concurrency: Number(row.concurrency),
    runs: JSON.parse(row.runs),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/**
 * Per-VPC catch-ups that survive restarts: one running per VPC (a unique
 * key), held by one replica at a time through a lease it renews.
 * @public
 */
export class DatabaseCatchUpStore {
  static create(options: { db: Knex }) {
    return new DatabaseCatchUpStore(options.db);
  }

  private constructor(private readonly db: Knex) {}

  async create(input: {
    vpc: string;
    requestedBy: string;
    concurrency: number;
    runs: CatchUpRun[];
  }): Promise<Omit<CatchUpOperation, 'runs'> & { runs: CatchUpRun[] }> {
    const now = new Date();
    const row = {
      id: randomUUID(),
      vpc: input.vpc,
      state: 'running',
      requested_by: input.requestedBy,
      concurrency: input.concurrency,
      runs: JSON.stringify(input.runs),
      lease_owner: null,
      lease_expires_at: null,
      active_vpc: input.vpc,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db(TABLE).insert(row);
    } catch (error) {
      const running = await this.db(TABLE)
        .where({ active_vpc: input.vpc })
        .first();
      if (running) {
        throw new ConflictError(
          `A catch-up of VPC ${input.vpc} is already running (${running.id}): stop it or wait for it`,
        );
      }
      throw error;
    }
    return toOperation(row);
  }

  async get(id: string) {
    const row = await this.db(TABLE).where({ id }).first();
    if (!row) throw new NotFoundError(`No catch-up ${id}`);
    return toOperation(row);
  }

  async list(vpc: string, limit = 20) {
    const rows = await this.db(TABLE)
      .where({ vpc })
      .orderBy('created_at', 'desc')
      .limit(limit);
    return rows.map(toOperation);
  }

  /** Running catch-ups no live replica holds (no lease, or an expired one). */
  async listUnheld(now: Date): Promise<string[]> {
    const rows = await this.db(TABLE)
      .where({ state: 'running' })
      .andWhere(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      )
      .select('id');
    return rows.map(r => r.id);
  }

  /** Takes or renews the lease; false when another replica holds it. */
  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    const updated = await this.db(TABLE)
      .where({ id, state: 'running' })
      .andWhere(q =>
        q
          .whereNull('lease_expires_at')
          .orWhere('lease_expires_at', '<', now)
          .orWhere('lease_owner', owner),
      )
      .update({
        lease_owner: owner,
        lease_expires_at: new Date(now.getTime() + leaseMs),
      });
    return updated === 1;
  }

  /** Saves the runs while `owner` holds the lease; false when it lost it. */
  async saveRuns(
    id: string,
    owner: string,
    runs: CatchUpRun[],
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id, lease_owner: owner, state: 'running' })
      .update({ runs: JSON.stringify(runs), updated_at: new Date() });
    return updated === 1;
  }

  /** Ends a running catch-up; false when it had already ended. */
  async end(
    id: string,
    state: 'succeeded' | 'failed' | 'stopped',
    runs?: CatchUpRun[],
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id, state: 'running' })
      .update({
        state,
        active_vpc: null,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: new Date(),
        ...(runs ? { runs: JSON.stringify(runs) } : {}),
      });
    return updated === 1;
  }
}
