import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  ApprovalAction,
  ApprovalRequest,
  ApprovalReview,
  ApprovalState,
} from '@batch-jobs/plugin-batch-jobs-common';

const TABLE = 'approval_requests';

interface Row {
  id: string;
  action: string;
  status: string;
  vpc: string;
  target: string;
  summary: string;
  entity_ref: string | null;
  payload: string;
  requested_by: string;
  requested_at: Date | string | number;
  expires_at: Date | string | number;
  decided_by: string | null;
  decided_at: Date | string | number | null;
  reason: string | null;
  result: string | null;
  error: string | null;
  audit_id: string;
  review: string | null;
  pin_hash: string | null;
  executed_at: Date | string | number | null;
}

/** @public */
export interface NewApprovalRequest {
  action: ApprovalAction;
  vpc: string;
  target: string;
  summary: string;
  entityRef: string | null;
  payload: Record<string, unknown>;
  requestedBy: string;
  expiresAt: Date;
  auditId: string;
  /** What the approver reviews; its hash is pinned. */
  review: ApprovalReview;
}

/** An approval request with the audit row of its request. @public */
export interface ApprovalRecord extends ApprovalRequest {
  auditId: string;
}

/** @public */
export interface ApprovalStore {
  create(request: NewApprovalRequest): Promise<ApprovalRecord>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  list(filter: {
    status?: ApprovalState;
    limit: number;
  }): Promise<ApprovalRecord[]>;
  /**
   * Moves a pending, unexpired request to `approved` or `rejected`. Only one
   * decision wins (a conditional update); false when the request was not
   * pending any more or had expired. An approval gives the requester until
   * `executeBefore` to execute it.
   */
  decide(
    id: string,
    decision: {
      status: 'approved' | 'rejected';
      decidedBy: string;
      reason?: string | null;
      executeBefore?: Date;
    },
  ): Promise<boolean>;
  /**
   * Moves an approved, unexpired request to `executing`. Only one execution
   * wins; false when it was not approved any more or had expired.
   */
  startExecution(id: string): Promise<boolean>;
  /** Records what the executed action answered (`completed`), or that it failed. */
  complete(
    id: string,
    outcome: { result: Record<string, unknown> } | { error: string },
  ): Promise<void>;
  /**
   * Like `complete`, but only while the request is still `executing`; false
   * when another replica (or the execution itself) settled it first.
   */
  settleExecution(
    id: string,
    outcome: { result: Record<string, unknown> } | { error: string },
  ): Promise<boolean>;
  /** Requests `executing` since before `before`, oldest first. */
  listExecutingSince(before: Date, limit: number): Promise<ApprovalRecord[]>;
  /** Marks pending and approved requests past their expiry as `expired`; returns how many. */
  expire(): Promise<number>;
}

const toIso = (v: Date | string | number) => new Date(v).toISOString();

function toRecord(row: Row): ApprovalRecord {
  return {
    id: row.id,
    action: row.action as ApprovalAction,
    status: row.status as ApprovalState,
    vpc: row.vpc,
    target: row.target,
    summary: row.summary,
    entityRef: row.entity_ref,
    payload: JSON.parse(row.payload),
    requestedBy: row.requested_by,
    requestedAt: toIso(row.requested_at),
    expiresAt: toIso(row.expires_at),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at === null ? null : toIso(row.decided_at),
    reason: row.reason,
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error,
    review: row.review === null ? null : JSON.parse(row.review),
    executedAt: row.executed_at === null ? null : toIso(row.executed_at),
    auditId: row.audit_id,
  };
}

function outcomeColumns(
  outcome: { result: Record<string, unknown> } | { error: string },
): Partial<Row> {
  return 'error' in outcome
    ? { status: 'failed', error: outcome.error }
    : { status: 'completed', result: JSON.stringify(outcome.result) };
}

/**
 * Approval requests of the four-eyes gate. Decisions are conditional
 * updates (`where status = 'pending'`), and so is the start of an execution
 * (`where status = 'approved'`): two clicks run the action once.
 * @public
 */
export class DatabaseApprovalStore implements ApprovalStore {
  static create(options: { db: Knex; now?: () => Date }) {
    return new DatabaseApprovalStore(
      options.db,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async create(request: NewApprovalRequest): Promise<ApprovalRecord> {
    const id = randomUUID();
    await this.db<Row>(TABLE).insert({
      id,
      action: request.action,
      status: 'pending',
      vpc: request.vpc,
      target: request.target,
      summary: request.summary,
      entity_ref: request.entityRef,
      payload: JSON.stringify(request.payload),
      requested_by: request.requestedBy,
      requested_at: this.now(),
      expires_at: request.expiresAt,
      decided_by: null,
      decided_at: null,
      reason: null,
      result: null,
      error: null,
      audit_id: request.auditId,
      review: JSON.stringify(request.review),
      pin_hash: request.review.hash,
      executed_at: null,
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const row = await this.db<Row>(TABLE).where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async list(filter: {
    status?: ApprovalState;
    limit: number;
  }): Promise<ApprovalRecord[]> {
    let query = this.db<Row>(TABLE)
      .orderBy('requested_at', 'desc')
      .limit(filter.limit);
    if (filter.status) query = query.where({ status: filter.status });
    return (await query).map(toRecord);
  }

  async decide(
    id: string,
    decision: {
      status: 'approved' | 'rejected';
      decidedBy: string;
      reason?: string | null;
      executeBefore?: Date;
    },
  ): Promise<boolean> {
    const now = this.now();
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'pending' })
      .where('expires_at', '>', now)
      .update({
        status: decision.status,
        decided_by: decision.decidedBy,
        decided_at: now,
        reason: decision.reason ?? null,
        ...(decision.executeBefore
          ? { expires_at: decision.executeBefore }
          : {}),
      });
    return updated === 1;
  }

  async startExecution(id: string): Promise<boolean> {
    const now = this.now();
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'approved' })
      .where('expires_at', '>', now)
      .update({ status: 'executing', executed_at: now });
    return updated === 1;
  }

  async complete(
    id: string,
    outcome: { result: Record<string, unknown> } | { error: string },
  ): Promise<void> {
    await this.db<Row>(TABLE).where({ id }).update(outcomeColumns(outcome));
  }

  async settleExecution(
    id: string,
    outcome: { result: Record<string, unknown> } | { error: string },
  ): Promise<boolean> {
    const updated = await this.db<Row>(TABLE)
      .where({ id, status: 'executing' })
      .update(outcomeColumns(outcome));
    return updated === 1;
  }

  async listExecutingSince(
    before: Date,
    limit: number,
  ): Promise<ApprovalRecord[]> {
    const rows = await this.db<Row>(TABLE)
      .where({ status: 'executing' })
      .where('executed_at', '<', before)
      .orderBy('executed_at', 'asc')
      .limit(limit);
    return rows.map(toRecord);
  }

  async expire(): Promise<number> {
    return this.db<Row>(TABLE)
      .whereIn('status', ['pending', 'approved'])
      .where('expires_at', '<=', this.now())
      .update({ status: 'expired' });
  }
}
