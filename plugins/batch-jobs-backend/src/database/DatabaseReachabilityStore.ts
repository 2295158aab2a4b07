import { Knex } from 'knex';

const PROBES = 'jenkins_reachability';
const OUTAGES = 'jenkins_outages';

/** A window in which a Jenkins did not answer, on the controller's clock. @public */
export interface OutageRecord {
  id: number;
  jenkins: string;
  since: Date;
  until: Date | null;
  error: string | null;
}

/** @public */
export interface ReachabilityStore {
  /**
   * Records an answer: the controller's time and our clock's offset to it.
   * Closes the open outage, if any; returns it when this call closed it
   * (exactly one caller across replicas gets it).
   */
  recordAnswer(
    jenkins: string,
    controllerNow: Date,
    offsetMs: number,
  ): Promise<OutageRecord | undefined>;
  /** Records a failed probe: opens an outage from the last answer unless one is open. */
  recordFailure(jenkins: string, error: string, now: Date): Promise<void>;
  /** Our clock's offset to the controller's at its last answer; 0 when never seen. */
  clockOffset(jenkins: string): Promise<number>;
  /** Outages that overlap [from, to). */
  outages(jenkins: string, from: Date, to: Date): Promise<OutageRecord[]>;
}

const toDate = (v: Date | string | number | null) =>
  v === null ? null : new Date(v);

/**
 * Reachability of each Jenkins in the plugin's database. One open outage
 * per Jenkins is a unique key, so replicas that both notice it agree.
 * @public
 */
export class DatabaseReachabilityStore implements ReachabilityStore {
  static create(options: { db: Knex }) {
    return new DatabaseReachabilityStore(options.db);
  }

  private constructor(private readonly db: Knex) {}

  async recordAnswer(
    jenkins: string,
    controllerNow: Date,
    offsetMs: number,
  ): Promise<OutageRecord | undefined> {
    await this.db(PROBES)
      .insert({
        jenkins,
        last_ok_at: controllerNow,
        clock_offset_ms: Math.round(offsetMs),
        checked_at: new Date(),
      })
      .onConflict('jenkins')
      .merge();
    const open = await this.db(OUTAGES)
      .where({ open_jenkins: jenkins })
      .first();
    if (!open) return undefined;
    const closed = await this.db(OUTAGES)
      .where({ id: open.id, open_jenkins: jenkins })
      .update({ until: controllerNow, open_jenkins: null });
    if (closed !== 1) return undefined;
    return {
      id: Number(open.id),
      jenkins,
      since: new Date(open.since),
      until: controllerNow,
      error: open.error ?? null,
    };
  }

  async recordFailure(jenkins: string, error: string, now: Date) {
    const probe = await this.db(PROBES).where({ jenkins }).first();
    const offset = Number(probe?.clock_offset_ms ?? 0);
    // Down since its last answer: runs after it may already have been missed.
    const since = probe?.last_ok_at
      ? new Date(probe.last_ok_at)
      : new Date(now.getTime() + offset);
    await this.db(OUTAGES)
      .insert({ jenkins, since, until: null, error, open_jenkins: jenkins })
      .onConflict('open_jenkins')
      .ignore();
    await this.db(PROBES)
      .insert({
        jenkins,
        last_ok_at: null,
        clock_offset_ms: offset,
        checked_at: now,
      })
      .onConflict('jenkins')
      .merge(['checked_at']);
  }

  async clockOffset(jenkins: string): Promise<number> {
    const probe = await this.db(PROBES).where({ jenkins }).first();
    return Number(probe?.clock_offset_ms ?? 0);
  }

  async outages(
    jenkins: string,
    from: Date,
    to: Date,
  ): Promise<OutageRecord[]> {
    const rows = await this.db(OUTAGES)
      .where({ jenkins })
      .andWhere('since', '<', to)
      .andWhere(q => q.whereNull('until').orWhere('until', '>', from))
      .orderBy('since', 'asc');
    return rows.map(row => ({
      id: Number(row.id),
      jenkins: row.jenkins,
      since: new Date(row.since),
      until: toDate(row.until),
      error: row.error ?? null,
    }));
  }
}
