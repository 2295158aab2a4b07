import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  AgentType,
  FleetOperation,
  FleetOperationState,
  FleetOperationStep,
} from '@batch-jobs/plugin-batch-jobs-common';

const TABLE = 'fleet_operations';

interface Row {
  id: string;
  kind: string;
  state: string;
  vpc: string;
  agent_type: string;
  actor: string;
  reason: string | null;
  instance_id: string | null;
  node: string | null;
  steps: string;
  error: string | null;
  audit_id: string;
  created_at: Date | string | number;
  updated_at: Date | string | number;
  deadline: Date | string | number;
}

/** @public */
export interface NewFleetOperation {
  vpc: string;
  type: AgentType;
  actor: string;
  reason: string | null;
  auditId: string;
  instanceId: string;
  node: string;
  deadline: Date;
  steps: Array<Omit<FleetOperationStep, 'at'>>;
}

/** @public */
export interface FleetOperationUpdate {
  state?: FleetOperationState;
  error?: string;
  /** Appended to the steps, stamped with the store's clock. */
  steps?: Array<Omit<FleetOperationStep, 'at'>>;
}

/** @public */
export interface FleetOperationStore {
  create(operation: NewFleetOperation): Promise<FleetOperation>;
  get(id: string): Promise<FleetOperation | undefined>;
  update(id: string, update: FleetOperationUpdate): Promise<FleetOperation>;
  listRunning(): Promise<FleetOperation[]>;
}

const toIso = (v: Date | string | number) => new Date(v).toISOString();

function toOperation(row: Row): FleetOperation {
  let steps: FleetOperationStep[] = [];
  try {
    steps = JSON.parse(row.steps);
  } catch {
    steps = [];
  }
  return {
    id: row.id,
    kind: 'launch',
    state: row.state as FleetOperationState,
    vpc: row.vpc,
    type: row.agent_type as AgentType,
    actor: row.actor,
    reason: row.reason,
    instanceId: row.instance_id,
    node: row.node,
    steps,
    error: row.error,
    auditId: row.audit_id,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    deadline: toIso(row.deadline),
  };
}

/**
 * Fleet operations in the plugin's database, so a launch in progress is
 * still followed (and rolled back if needed) after a restart.
 * @public
 */
export class DatabaseFleetOperationStore implements FleetOperationStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseFleetOperationStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async create(op: NewFleetOperation): Promise<FleetOperation> {
    const id = randomUUID();
    const now = this.now();
    await this.db<Row>(TABLE).insert({
      id,
      kind: 'launch',
      state: 'running',
      vpc: op.vpc,
      agent_type: op.type,
      actor: op.actor,
      reason: op.reason,
      instance_id: op.instanceId,
      node: op.node,
      steps: JSON.stringify(
        op.steps.map(s => ({ ...s, at: now.toISOString() })),
      ),
      error: null,
      audit_id: op.auditId,
      created_at: now,
      updated_at: now,
      deadline: op.deadline,
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<FleetOperation | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toOperation(row) : undefined;
  }

  async update(
    id: string,
    update: FleetOperationUpdate,
  ): Promise<FleetOperation> {
    await this.db.transaction(async tx => {
      const row = await tx<Row>(TABLE).where({ id }).first();
      if (!row) throw new Error(`Fleet operation ${id} does not exist`);
      const now = this.now();
      const steps = toOperation(row).steps.concat(
        (update.steps ?? []).map(s => ({ ...s, at: now.toISOString() })),
      );
      await tx<Row>(TABLE)
        .where({ id })
        .update({
          steps: JSON.stringify(steps),
          updated_at: now,
          ...(update.state ? { state: update.state } : {}),
          ...(update.error !== undefined ? { error: update.error } : {}),
        });
    });
    return (await this.get(id))!;
  }

  async listRunning(): Promise<FleetOperation[]> {
    const rows = await this.db<Row>(TABLE)
      .where({ state: 'running' })
      .orderBy('created_at', 'asc');
    return rows.map(toOperation);
  }
}
