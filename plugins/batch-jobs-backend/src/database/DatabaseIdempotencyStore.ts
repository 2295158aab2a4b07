import { Knex } from 'knex';
import {
  IdempotencyClaim,
  IdempotencyStore,
  StaleIdempotencyKey,
} from './types';

const TABLE = 'idempotency_keys';

interface Row {
  actor: string;
  key: string;
  request_hash: string;
  response: string | null;
  audit_id?: string | null;
  created_at: Date | string | number;
}

/**
 * Idempotency keys per actor. The primary key (actor, key) makes a claim
 * atomic: of two concurrent requests with one key, only one inserts.
 * @public
 */
export class DatabaseIdempotencyStore implements IdempotencyStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseIdempotencyStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async claim(
    actor: string,
    key: string,
    requestHash: string,
  ): Promise<IdempotencyClaim> {
    try {
      await this.db<Row>(TABLE).insert({
        actor,
        key,
        request_hash: requestHash,
        response: null,
        created_at: this.now(),
      });
      return { state: 'new' };
    } catch (error) {
      const existing = await this.db<Row>(TABLE).where({ actor, key }).first();
      // Not a key conflict after all: a real database failure.
      if (!existing) throw error;
      if (existing.request_hash !== requestHash) return { state: 'mismatch' };
      if (existing.response === null) return { state: 'in-flight' };
      return { state: 'replay', response: JSON.parse(existing.response) };
    }
  }

  async complete(actor: string, key: string, response: unknown): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ actor, key })
      .update({ response: JSON.stringify(response) });
  }

  async attach(actor: string, key: string, auditId: string): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ actor, key })
      .whereNull('response')
      .update({ audit_id: auditId });
  }

  async listStale(before: Date): Promise<StaleIdempotencyKey[]> {
    const rows = await this.db<Row>(TABLE)
      .whereNull('response')
      .where('created_at', '<', before)
      .orderBy('created_at', 'asc')
      .limit(500);
    return rows.map(r => ({
      actor: r.actor,
      key: r.key,
      auditId: r.audit_id ?? null,
    }));
  }

  async release(actor: string, key: string): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ actor, key })
      .whereNull('response')
      .delete();
  }
}
