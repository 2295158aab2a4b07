import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  OperationState,
  WorkerRedeployJob,
  WorkerRedeployOperation,
} from '@internal/plugin-batch-jobs-common';

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
}

/** @public */
export interface OperationStore {
  create(op: {
    vpc: string;
    actor: string;
    approvedBy: string | null;
    jobs: WorkerRedeployJob[];
  }): Promise<WorkerRedeployOperation>;
  get(id: string): Promise<WorkerRedeployOperation | undefined>;
  /** Replaces one job's entry (by job name); sets the state when given. */
  updateJob(
    id: string,
    job: WorkerRedeployJob,
  ): Promise<WorkerRedeployOperation>;
  finish(id: string, state: OperationState): Promise<WorkerRedeployOperation>;
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

  async create(op: {
    vpc: string;
    actor: string;
    approvedBy: string | null;
    jobs: WorkerRedeployJob[];
  }): Promise<WorkerRedeployOperation> {
    const id = randomUUID();
    const now = this.now();
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
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<WorkerRedeployOperation | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toOperation(row) : undefined;
  }

  async updateJob(
    id: string,
    job: WorkerRedeployJob,
  ): Promise<WorkerRedeployOperation> {
    // One process runs an operation and serializes its updates (WorkerRedeployer).
    await this.db.transaction(async tx => {
      const row = await tx<Row>(TABLE).where({ id }).first();
      if (!row) throw new Error(`Operation ${id} does not exist`);
      const jobs: WorkerRedeployJob[] = JSON.parse(row.jobs);
      const index = jobs.findIndex(j => j.job === job.job);
      if (index >= 0) jobs[index] = job;
      else jobs.push(job);
      await tx<Row>(TABLE)
        .where({ id })
        .update({ jobs: JSON.stringify(jobs), updated_at: this.now() });
    });
    return (await this.get(id))!;
  }

  async finish(
    id: string,
    state: OperationState,
  ): Promise<WorkerRedeployOperation> {
    await this.db<Row>(TABLE)
      .where({ id })
      .update({ state, updated_at: this.now() });
    return (await this.get(id))!;
  }
}
