import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { BuildAlertEvent } from '@batch-jobs/plugin-batch-jobs-common';

const BASELINES = 'alert_baselines';
const DELIVERIES = 'alert_deliveries';

/** One build event the watcher reports. @public */
export interface AlertKey {
  vpc: string;
  job: string;
  /** For `missed`: the expected minute (epoch minutes); for `outage-over`: the outage's id. */
  buildNumber: number;
  /**
   * Build events; `input`: the build started waiting at an `input` step;
   * `missed`: a scheduled run that did not happen; `outage-over`: a
   * controller back after an outage.
   */
  event: BuildAlertEvent | 'input' | 'missed' | 'outage-over';
}

/** @public */
export interface AlertStore {
  /**
   * The job's baseline: builds up to it are never reported. The first call
   * for a job stores `newest` (the newest build when first seen); later
   * calls return what was stored, whoever stored it.
   */
  baseline(vpc: string, job: string, newest: number): Promise<number>;
  /** Claims an event for reporting; false when it was already claimed (here or by another replica). */
  claim(key: AlertKey): Promise<boolean>;
  /** Records how the delivery went. */
  record(
    key: AlertKey,
    outcome: {
      state: 'sent' | 'failed' | 'skipped';
      attempts: number;
      error?: string;
    },
  ): Promise<void>;
}

/** @internal */
export function alertEventKey(key: AlertKey): string {
  return createHash('sha256')
    .update(JSON.stringify([key.vpc, key.job, key.buildNumber, key.event]))
    .digest('hex');
}

/**
 * The alert watcher's memory. A claim is an insert under a primary key, so
 * of two replicas (or a replica and its restarted self) only one reports an
 * event. Claimed before sending: a crash mid-send loses that one message
 * rather than sending it twice.
 * @public
 */
export class DatabaseAlertStore implements AlertStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseAlertStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async baseline(vpc: string, job: string, newest: number): Promise<number> {
    const existing = await this.db(BASELINES).where({ vpc, job }).first();
    if (existing) return Number(existing.baseline_build);
    await this.db(BASELINES)
      .insert({ vpc, job, baseline_build: newest, created_at: this.now() })
      .onConflict(['vpc', 'job'])
      .ignore();
    const row = await this.db(BASELINES).where({ vpc, job }).first();
    return Number(row.baseline_build);
  }

  async claim(key: AlertKey): Promise<boolean> {
    const now = this.now();
    const inserted = await this.db(DELIVERIES)
      .insert({
        event_key: alertEventKey(key),
        vpc: key.vpc,
        job: key.job,
        build_number: key.buildNumber,
        event: key.event,
        state: 'claimed',
        attempts: 0,
        error: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict('event_key')
      .ignore()
      .returning('event_key');
    return inserted.length === 1;
  }

  async record(
    key: AlertKey,
    outcome: {
      state: 'sent' | 'failed' | 'skipped';
      attempts: number;
      error?: string;
    },
  ): Promise<void> {
    await this.db(DELIVERIES)
      .where({ event_key: alertEventKey(key) })
      .update({
        state: outcome.state,
        attempts: outcome.attempts,
        error: outcome.error ?? null,
        updated_at: this.now(),
      });
  }
}
