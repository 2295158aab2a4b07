import { ConflictError } from '@backstage/errors';
import {
  FleetRefresh,
  FleetRefreshState,
} from '@batch-jobs/plugin-batch-jobs-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const TABLE = 'fleet_refreshes';

/** Refreshes that still hold their VPC: advanced, paused or rolling back. */
export const UNFINISHED_REFRESH_STATES: FleetRefreshState[] = [
  'running',
  'paused',
  'rolling-back',
];

interface Row {
  id: string;
  vpc: string;
  state: string;
  active_vpc: string | null;
  body: string;
  lease_owner: string | null;
  lease_until: Date | string | number | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
}

/** @public */
export type NewFleetRefresh = Omit<
  FleetRefresh,
  'id' | 'createdAt' | 'updatedAt'
>;

/** @public */
export interface FleetRefreshStore {
  /** 409 when the VPC has an unfinished refresh. */
  create(refresh: NewFleetRefresh): Promise<FleetRefresh>;
  get(id: string): Promise<FleetRefresh | undefined>;
  /** Writes the whole refresh; a finished one releases its VPC. */
  save(refresh: FleetRefresh): Promise<FleetRefresh>;
  listUnfinished(): Promise<FleetRefresh[]>;
  /** The VPC's refreshes, newest first. */
  listByVpc(vpc: string, limit: number): Promise<FleetRefresh[]>;
  /**
   * Takes the refresh for one pass: false while another replica holds an
   * unexpired lease on it (the pass is then skipped).
   */
  claim(id: string, owner: string, ttlMs: number): Promise<boolean>;
  release(id: string, owner: string): Promise<void>;
}

const toIso = (v: Date | string | number) => new Date(v).toISOString();

function toRefresh(row: Row): FleetRefresh {
  return {
    ...JSON.parse(row.body),
    id: row.id,
    vpc: row.vpc,
    state: row.state as FleetRefreshState,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/**
 * Rolling refreshes in the plugin's database, so one in progress is
 * followed after a restart; one unfinished refresh per VPC (a unique
 * `active_vpc`).
 * @public
 */
export class DatabaseFleetRefreshStore implements FleetRefreshStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseFleetRefreshStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async create(refresh: NewFleetRefresh): Promise<FleetRefresh> {
    const id = randomUUID();
    const now = this.now();
    const { vpc, state, ...body } = refresh;
    try {
      await this.db.transaction(async tx => {
        await this.refuseSecond(tx, vpc);
        await tx<Row>(TABLE).insert({
          id,
          vpc,
          state,
          active_vpc: vpc,
          body: JSON.stringify(body),
          created_at: now,
          updated_at: now,
        });
      });
    } catch (error) {
      // Two creates at once: the unique index let one through.
      await this.refuseSecond(this.db, vpc);
      throw error;
    }
    return (await this.get(id))!;
  }

  private async refuseSecond(db: Knex, vpc: string) {
    const active = await db<Row>(TABLE).where({ active_vpc: vpc }).first();
    if (active) {
      throw new ConflictError(
        `VPC ${vpc} already has a refresh in progress (${active.id}, ${active.state}): abort it or wait until it ends`,
      );
    }
  }

  async get(id: string): Promise<FleetRefresh | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toRefresh(row) : undefined;
  }

  async save(refresh: FleetRefresh): Promise<FleetRefresh> {
    const { id, vpc, state, createdAt, updatedAt, ...body } = refresh;
    await this.db<Row>(TABLE)
      .where({ id })
      .update({
        state,
        active_vpc: UNFINISHED_REFRESH_STATES.includes(state) ? vpc : null,
        body: JSON.stringify(body),
        updated_at: this.now(),
      });
    return (await this.get(id))!;
  }

  async claim(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const taken = await this.db<Row>(TABLE)
      .where({ id })
      // Not even its own holder takes it twice: one pass at a time.
      .andWhere(q =>
        q.whereNull('lease_until').orWhere('lease_until', '<', now),
      )
      .update({
        lease_owner: owner,
        lease_until: new Date(now.getTime() + ttlMs),
      });
    return taken > 0;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ id, lease_owner: owner })
      .update({ lease_owner: null, lease_until: null });
  }

  async listUnfinished(): Promise<FleetRefresh[]> {
    const rows = await this.db<Row>(TABLE)
      .whereNotNull('active_vpc')
      .orderBy('created_at', 'asc');
    return rows.map(toRefresh);
  }

  async listByVpc(vpc: string, limit: number): Promise<FleetRefresh[]> {
    const rows = await this.db<Row>(TABLE)
      .where({ vpc })
      .orderBy('created_at', 'desc')
      .limit(limit);
    return rows.map(toRefresh);
  }
}
