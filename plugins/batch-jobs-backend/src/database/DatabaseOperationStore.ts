import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  OperationState,
  WorkerRedeployJob,
  WorkerRedeployOperation,
} from '@batch-jobs/plugin-batch-jobs-common';

const TABLE = 'batch_operations';

interface Row {
  id: string;
  kind: string;
  state: string;
  vpc: string;
  actor: string;
  approved_by: string | null;
  jobs: string;
  created_at: Date | string | number;
  updated_at: Date | string | number;
  progress: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | string | number | null;
  lease_epoch: number;
  active_vpc: string | null;
}

/**
 * What a replica needs to carry on one job of a redeploy after a restart,
 * beside the job's public entry (state, stopped build, queue item).
 * @public
 */
export interface RedeployJobProgress {
  /** The job's `worker.redeploy` audit row. */
  auditId?: string;
  /** The parameters the new build is started with (no secrets: Jenkins uses their defaults). */
  send?: Record<string, string>;
}

/** A replica's hold on a running operation. @public */
export interface OperationLease {
  owner: string;
  epoch: number;
}

/** A running operation as the replica holding its lease sees it. @public */
export interface ClaimedOperation {
  operation: WorkerRedeployOperation;
  progress: Record<string, RedeployJobProgress>;
  lease: OperationLease;
}

/** @public */
export interface OperationStore {
  /**
   * Records a running operation, its lease held by `lease.owner` when given.
   * ConflictError naming the running one when the VPC already has one.
   */
  create(
    op: {
      vpc: string;
      actor: string;
      approvedBy: string | null;
      jobs: WorkerRedeployJob[];
    },
    lease?: { owner: string; ttlMs: number },
  ): Promise<WorkerRedeployOperation>;
  get(id: string): Promise<WorkerRedeployOperation | undefined>;
  /** Replaces one job's entry (by job name), and its progress when given. */
  updateJob(
    id: string,
    job: WorkerRedeployJob,
    progress?: RedeployJobProgress,
  ): Promise<WorkerRedeployOperation>;
  /** Ends the operation: the VPC is free for the next redeploy. */
  finish(id: string, state: OperationState): Promise<WorkerRedeployOperation>;
  /** The running operation and its lease, right after `create` (the creator holds it). */
  claimed(id: string): Promise<ClaimedOperation | undefined>;
  /**
   * Takes over running operations whose lease expired or was released (a
   * replica that died or stopped): each is claimed by one replica only.
   */
  claimAbandoned(owner: string, ttlMs: number): Promise<ClaimedOperation[]>;
  /** Renews a lease; false when another replica took the operation over. */
  heartbeat(id: string, lease: OperationLease, ttlMs: number): Promise<boolean>;
  /** Hands the operation back at once (shutdown): the next replica resumes it. */
  release(id: string, lease: OperationLease): Promise<void>;
}

const toIso = (v: Date | string | number) => new Date(v).toISOString();

function toOperation(row: Row): WorkerRedeployOperation {
  return {
    id: row.id,
    kind: 'workers.redeploy',
    state: row.state as OperationState,
    vpc: row.vpc,
    actor: row.actor,
    approvedBy: row.approved_by,
    jobs: JSON.parse(row.jobs),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function parseProgress(
  text: string | null,
): Record<string, RedeployJobProgress> {
  return text ? JSON.parse(text) : {};
}

function toClaimed(row: Row): ClaimedOperation {
  return {
    operation: toOperation(row),
    progress: parseProgress(row.progress),
    lease: { owner: row.lease_owner!, epoch: Number(row.lease_epoch) },
  };
}

/**
 * Worker redeploys in the plugin's database, so their progress can be read
 * from any replica and after a restart.
 * @public
 */
export class DatabaseOperationStore implements OperationStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseOperationStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async create(
    op: {
      vpc: string;
      actor: string;
      approvedBy: string | null;
      jobs: WorkerRedeployJob[];
    },
    lease?: { owner: string; ttlMs: number },
  ): Promise<WorkerRedeployOperation> {
    const id = randomUUID();
    const now = this.now();
    try {
      await this.db<Row>(TABLE).insert({
        id,
        kind: 'workers.redeploy',
        state: 'running',
        vpc: op.vpc,
        actor: op.actor,
        approved_by: op.approvedBy,
        jobs: JSON.stringify(op.jobs),
        created_at: now,
        updated_at: now,
        progress: JSON.stringify({}),
        lease_owner: lease?.owner ?? null,
        lease_expires_at: lease
          ? new Date(now.getTime() + lease.ttlMs)
          : null,
        lease_epoch: 0,
        // Unique: the insert of a second running redeploy of the VPC fails,
        // whichever replica makes it.
        active_vpc: op.vpc,
      });
    } catch (error) {
      const running = await this.db<Row>(TABLE)
        .where({ active_vpc: op.vpc })
        .first();
      if (running) {
        throw new ConflictError(
          `A redeploy of the ${op.vpc} workers is already running: operation ${running.id} (started by ${running.actor}); try again when it has ended`,
        );
      }
      throw error;
    }
    return (await this.get(id))!;
  }

  async claimed(id: string): Promise<ClaimedOperation | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    if (!row || row.state !== 'running' || !row.lease_owner) return undefined;
    return toClaimed(row);
  }

  async claimAbandoned(
    owner: string,
    ttlMs: number,
  ): Promise<ClaimedOperation[]> {
    const now = this.now();
    const rows = await this.db<Row>(TABLE).where({ state: 'running' });
    const claimed: ClaimedOperation[] = [];
    for (const row of rows) {
      const expires =
        row.lease_expires_at === null
          ? null
          : new Date(row.lease_expires_at).getTime();
      if (expires !== null && expires > now.getTime()) continue;
      // The epoch read decides: of two replicas claiming, one update matches.
      const epoch = Number(row.lease_epoch) + 1;
      const updated = await this.db<Row>(TABLE)
        .where({ id: row.id, state: 'running', lease_epoch: row.lease_epoch })
        .update({
          lease_owner: owner,
          lease_expires_at: new Date(now.getTime() + ttlMs),
          lease_epoch: epoch,
        });
      if (updated === 1) {
        const fresh = await this.db<Row>(TABLE).where({ id: row.id }).first();
        if (fresh) claimed.push(toClaimed(fresh));
      }
    }
    return claimed;
  }

  async heartbeat(
    id: string,
    lease: OperationLease,
    ttlMs: number,
  ): Promise<boolean> {
    const updated = await this.db<Row>(TABLE)
      .where({
        id,
        state: 'running',
        lease_owner: lease.owner,
        lease_epoch: lease.epoch,
      })
      .update({
        lease_expires_at: new Date(this.now().getTime() + ttlMs),
      });
    return updated === 1;
  }

  async release(id: string, lease: OperationLease): Promise<void> {
    await this.db<Row>(TABLE)
      .where({ id, lease_owner: lease.owner, lease_epoch: lease.epoch })
      .update({ lease_owner: null, lease_expires_at: null });
  }

  async get(id: string): Promise<WorkerRedeployOperation | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toOperation(row) : undefined;
  }

  async updateJob(
    id: string,
    job: WorkerRedeployJob,
    progress?: RedeployJobProgress,
  ): Promise<WorkerRedeployOperation> {
    // One process runs an operation (its lease) and serializes its updates (WorkerRedeployer).
    await this.db.transaction(async tx => {
      const row = await tx<Row>(TABLE).where({ id }).first();
      if (!row) throw new Error(`Operation ${id} does not exist`);
      const jobs: WorkerRedeployJob[] = JSON.parse(row.jobs);
      const index = jobs.findIndex(j => j.job === job.job);
      if (index >= 0) jobs[index] = job;
      else jobs.push(job);
      const update: Partial<Row> = {
        jobs: JSON.stringify(jobs),
        updated_at: this.now(),
      };
      if (progress) {
        const all = parseProgress(row.progress);
        all[job.job] = progress;
        update.progress = JSON.stringify(all);
      }
      await tx<Row>(TABLE).where({ id }).update(update);
    });
    return (await this.get(id))!;
  }

  async finish(
    id: string,
    state: OperationState,
  ): Promise<WorkerRedeployOperation> {
    await this.db<Row>(TABLE).where({ id }).update({
      state,
      updated_at: this.now(),
      active_vpc: null,
      lease_owner: null,
      lease_expires_at: null,
    });
    return (await this.get(id))!;
  }
}
