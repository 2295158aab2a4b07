import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ApprovalAction,
  ApprovalPendingResponse,
  ApprovalRequest,
  ApprovalReview,
  ApprovalState,
  batchJobsApprovePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { ApprovalsConfig } from '../../config';
import {
  ApprovalRecord,
  ApprovalStore,
} from '../../database/DatabaseApprovalStore';
import { AuditRecord, AuditStore } from '../../database/types';

/**
 * How an action learns it runs because a request was approved: it then
 * checks the requester's permission again (it runs with their credentials),
 * does exactly what was reviewed (`review`, after checking its hash) and
 * records the approver.
 * @public
 */
export interface ApprovedAs {
  approvalId: string;
  approvedBy: string;
  entityRef: string | null;
  /** What the approver reviewed; null on requests from before pinning (refused). */
  review: ApprovalReview | null;
}

/** Who executes an approved request: always its requester. @public */
export interface ExecutionContext {
  credentials: BackstageCredentials;
  actor: string;
}

/**
 * Runs an approved action with the requester's own credentials; answers
 * what the action answers.
 * @public
 */
export type ApprovalExecutor = (
  request: ApprovalRecord,
  approval: ApprovedAs,
  context: ExecutionContext,
) => Promise<unknown>;

/** @public */
export interface HoldRequest {
  action: ApprovalAction;
  /** The VPC (or VPCs, for a write or a routine across several) that requires approval. */
  vpc: { name: string };
  job?: string | null;
  target: string;
  summary: string;
  entityRef: string | null;
  /** The held action's request, as the executor needs it. Never a secret. */
  payload: Record<string, unknown>;
  /** What the approver reviews, with the hash execution recomputes. */
  review: ApprovalReview;
  /** Entity ref of the person asking. */
  actor: string;
}

/** The audit rows an executed request leaves, by the action it held. */
const AUDITED_AS: Record<ApprovalAction, string[]> = {
  'build.rerun': ['build.rerun'],
  'job.run': ['job.run'],
  'job.pause': ['job.pause'],
  'job.resume': ['job.resume'],
  'job.create': ['job.create', 'job.update'],
  'job.update': ['job.create', 'job.update'],
  'job.promote': ['job.promote'],
  'job.restore': ['job.restore'],
  'agent.launch': ['agent.launch'],
  'agent.terminate': ['agent.terminate'],
  'workers.redeploy': ['worker.redeploy'],
  'fleet.refresh': ['fleet.refresh'],
  'routine.run': ['routine.run'],
};

/** Audit detail of an action run because `approval` approved it. @internal */
export function approvalDetail(approval: ApprovedAs | undefined) {
  return approval
    ? { approvalId: approval.approvalId, approvedBy: approval.approvedBy }
    : {};
}

const toPublic = ({
  auditId: _auditId,
  ...rest
}: ApprovalRecord): ApprovalRequest => rest;

/**
 * The four-eyes gate. In a VPC with `requireApproval`, every action service
 * (run, rerun, pause/resume, job writes, launch, terminate, redeploy,
 * routine run-now) hands its already-authorized request to `hold` instead
 * of acting, with what the approver must see pinned by a hash. Another
 * person with `batch-jobs.approve` approves; the requester then executes it
 * (`execute`) with their own credentials, so the action service checks
 * their permission and the entity's claim again, verifies the pin and acts,
 * recording the approver. Backstage cannot mint another user's credentials,
 * and the service's own would pass every permission check: that is why the
 * approver does not run it.
 * @public
 */
export class ApprovalGate {
  private readonly executors = new Map<ApprovalAction, ApprovalExecutor>();

  constructor(
    private readonly options: {
      approvals: ApprovalStore;
      audit: AuditStore;
      permissions: PermissionsService;
      config: ApprovalsConfig;
      logger: LoggerService;
      notifications?: NotificationService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  /** Whether actions in `vpc` wait for a second person. */
  requires(vpc: { requireApproval: boolean }): boolean {
    return vpc.requireApproval;
  }

  /** Wires the action that runs once a request of `action` is approved and executed. */
  register(action: ApprovalAction, executor: ApprovalExecutor): void {
    this.executors.set(action, executor);
  }

  /** Creates a pending request (audited) instead of acting. */
  async hold(request: HoldRequest): Promise<ApprovalPendingResponse> {
    const { approvals, audit, config, logger } = this.options;
    const expiresAt = new Date(
      this.now().getTime() + config.expiresAfterHours * 3600_000,
    );
    const auditId = await audit.create({
      actor: request.actor,
      action: 'approval.request',
      entityRef: request.entityRef,
      vpc: request.vpc.name,
      job: request.job ?? null,
      target: request.target,
      parameters: request.payload,
      detail: {
        heldAction: request.action,
        summary: request.summary,
        hash: request.review.hash,
        hashOf: request.review.hashOf,
      },
    });
    const record = await approvals.create({
      action: request.action,
      vpc: request.vpc.name,
      target: request.target,
      summary: request.summary,
      entityRef: request.entityRef,
      payload: request.payload,
      requestedBy: request.actor,
      expiresAt,
      auditId,
      review: request.review,
    });
    await audit.finish(auditId, 'succeeded', {
      detail: { approvalId: record.id, expiresAt: record.expiresAt },
    });
    logger.info('Action held for approval', {
      action: request.action,
      vpc: request.vpc.name,
      target: request.target,
      actor: request.actor,
      approvalId: record.id,
    });
    await this.notify(
      config.notify,
      {
        title: `Approval needed: ${request.summary}`,
        description: `${request.actor} asks for a second pair of eyes in ${request.vpc.name}. Expires ${record.expiresAt}.`,
        link: '/batch-fleet?tab=approvals',
        severity: 'high',
        topic: 'batch-jobs.approvals',
      },
      request.actor,
    );
    return {
      approvalRequired: true,
      requestId: record.id,
      approval: {
        id: record.id,
        status: 'pending',
        expiresAt: record.expiresAt,
      },
    };
  }

  /**
   * Tells the approvers about an action that is not held because holding it
   * would do harm (stopping a build limits damage), in a VPC that needs four eyes.
   */
  async notifyApprovers(notice: {
    actor: string;
    title: string;
    description: string;
  }): Promise<void> {
    await this.notify(
      this.options.config.notify,
      {
        title: notice.title,
        description: notice.description,
        link: '/batch-fleet?tab=approvals',
        severity: 'high',
        topic: 'batch-jobs.approvals',
      },
      notice.actor,
    );
  }

  async list(filter: {
    status?: ApprovalState;
    limit?: number;
  }): Promise<ApprovalRequest[]> {
    await this.options.approvals.expire();
    const items = await this.options.approvals.list({
      status: filter.status,
      limit: filter.limit ?? 100,
    });
    return items.map(toPublic);
  }

  async get(id: string): Promise<ApprovalRequest> {
    await this.options.approvals.expire();
    return toPublic(await this.load(id));
  }

  /**
   * Approves a pending request. Never by the requester. Nothing runs yet:
   * the requester executes it with their own credentials, within
   * `expiresAfterHours` of this approval.
   */
  async approve(
    id: string,
    context: { credentials: BackstageCredentials; actor: string },
  ): Promise<ApprovalRequest> {
    const { approvals, audit, config, logger } = this.options;
    const request = await this.decidable(id, context, 'approve');
    if (!this.executors.has(request.action)) {
      throw new ConflictError(
        `Requests of '${request.action}' cannot be executed by this backend`,
      );
    }
    const auditId = await audit.create({
      actor: context.actor,
      action: 'approval.approve',
      entityRef: request.entityRef,
      vpc: request.vpc,
      job: jobOf(request),
      target: request.target,
      parameters: request.payload,
      detail: {
        approvalId: id,
        requestedBy: request.requestedBy,
        heldAction: request.action,
        hash: request.review?.hash ?? null,
      },
    });
    const executeBefore = new Date(
      this.now().getTime() + config.expiresAfterHours * 3600_000,
    );
    if (
      !(await approvals.decide(id, {
        status: 'approved',
        decidedBy: context.actor,
        executeBefore,
      }))
    ) {
      await audit.finish(auditId, 'failed', {
        detail: { error: 'decided by someone else or expired meanwhile' },
      });
      throw new ConflictError(
        `Approval request ${id} was decided by someone else or expired meanwhile`,
      );
    }
    await audit.finish(auditId, 'succeeded', {});
    logger.info('Action approved', {
      approvalId: id,
      action: request.action,
      requestedBy: request.requestedBy,
      approvedBy: context.actor,
    });
    const done = toPublic(await this.load(id));
    await this.notify([request.requestedBy], {
      title: `Approved: run it: ${request.summary}`,
      description: `${context.actor} approved your request. Execute it from Approvals before ${done.expiresAt}; it runs with your own permissions.`,
      link: '/batch-fleet?tab=approvals',
      topic: 'batch-jobs.approvals',
    });
    return done;
  }

  /**
   * Runs an approved request, by its requester only and before it expires.
   * The registered executor runs the action service with the requester's
   * credentials: it authorizes again, checks the pinned hash and acts. A
   * refusal or failure marks the request failed and is answered as the
   * error it is (403 permission lost, 409 source changed, …).
   */
  async execute(
    id: string,
    context: ExecutionContext,
  ): Promise<ApprovalRequest> {
    const { approvals, audit, logger } = this.options;
    await approvals.expire();
    const request = await this.load(id);
    if (request.requestedBy !== context.actor) {
      throw new NotAllowedError(
        `Only ${request.requestedBy}, who asked, can execute approval request ${id}: it runs with the requester's own permissions`,
      );
    }
    if (request.status !== 'approved') {
      throw new ConflictError(
        `Approval request ${id} is ${request.status}${
          request.status === 'pending'
            ? ': another person must approve it first'
            : ''
        }`,
      );
    }
    const executor = this.executors.get(request.action);
    if (!executor) {
      throw new ConflictError(
        `Requests of '${request.action}' cannot be executed by this backend`,
      );
    }
    const auditId = await audit.create({
      actor: context.actor,
      action: 'approval.execute',
      entityRef: request.entityRef,
      vpc: request.vpc,
      job: jobOf(request),
      target: request.target,
      parameters: request.payload,
      detail: {
        approvalId: id,
        approvedBy: request.decidedBy,
        heldAction: request.action,
        hash: request.review?.hash ?? null,
      },
    });
    if (!(await approvals.startExecution(id))) {
      await audit.finish(auditId, 'failed', {
        detail: { error: 'executed by another request or expired meanwhile' },
      });
      throw new ConflictError(
        `Approval request ${id} was executed by another request or expired meanwhile`,
      );
    }
    try {
      const result = await executor(
        request,
        {
          approvalId: id,
          approvedBy: request.decidedBy!,
          entityRef: request.entityRef,
          review: request.review,
        },
        context,
      );
      await approvals.settleExecution(id, {
        result: (result ?? {}) as Record<string, unknown>,
      });
      await audit.finish(auditId, 'succeeded', { detail: { result } });
      logger.info('Approved action executed', {
        approvalId: id,
        action: request.action,
        requestedBy: request.requestedBy,
        approvedBy: request.decidedBy,
      });
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      await approvals
        .settleExecution(id, { error: message })
        .catch(e => logger.error(`Could not record failed execution: ${e}`));
      await audit
        .finish(auditId, 'failed', { detail: { error: message } })
        .catch(e => logger.error(`Could not record failed execution: ${e}`));
      logger.warn('Approved action refused or failed', {
        approvalId: id,
        action: request.action,
        error: message,
      });
      throw error;
    }
    return toPublic(await this.load(id));
  }

  /**
   * Settles executions a crash interrupted: requests `executing` since
   * before `staleAfterMs` get the outcome of the action's audit rows
   * (completed when every row succeeded, failed with the reason otherwise;
   * failed "nothing was done" when the action never wrote one). Rows still
   * pending are awaited (the reconciler or the launcher settles them) until
   * `abandonAfterMs`. Expired requests are marked on the way.
   */
  async settleInterrupted(options: {
    staleAfterMs: number;
    abandonAfterMs: number;
  }): Promise<number> {
    const { approvals, audit, logger } = this.options;
    await approvals.expire();
    const now = this.now().getTime();
    let settled = 0;
    const stale = await approvals.listExecutingSince(
      new Date(now - options.staleAfterMs),
      100,
    );
    for (const request of stale) {
      const rows = await this.rowsOf(request, AUDITED_AS[request.action]);
      const pending = rows.filter(r => r.outcome === 'pending');
      const startedAt = Date.parse(request.executedAt ?? request.requestedAt);
      let outcome: { result: Record<string, unknown> } | { error: string };
      if (rows.length === 0) {
        outcome = {
          error:
            'interrupted: the backend stopped after execution began and before the action was recorded, so nothing was done; ask again',
        };
      } else if (pending.length > 0) {
        if (now - startedAt < options.abandonAfterMs) continue;
        outcome = {
          error: `interrupted: the action's audit row${
            pending.length > 1 ? 's' : ''
          } ${pending.map(r => r.id).join(', ')} ${
            pending.length > 1 ? 'are' : 'is'
          } still pending; whether ${
            request.target
          } changed is unknown, check it before asking again`,
        };
      } else if (rows.every(r => r.outcome === 'succeeded')) {
        outcome = {
          result: {
            auditIds: rows.map(r => r.id),
            reconciled:
              "the action's audit trail shows it succeeded; settled after a backend restart",
          },
        };
      } else {
        const errors = rows
          .filter(r => r.outcome !== 'succeeded')
          .map(r =>
            typeof r.detail.error === 'string'
              ? r.detail.error
              : `${r.action} ${r.id} ${r.outcome}`,
          );
        outcome = {
          error: `the action failed: ${errors.join('; ')}`,
        };
      }
      if (!(await approvals.settleExecution(request.id, outcome))) continue;
      settled++;
      const ok = 'result' in outcome;
      const why = 'error' in outcome ? outcome.error : '';
      for (const row of await this.rowsOf(request, ['approval.execute'])) {
        await audit.settlePending(row.id, ok ? 'succeeded' : 'failed', {
          detail:
            'result' in outcome
              ? outcome.result
              : { error: outcome.error, interrupted: true },
        });
      }
      logger.info(`Settled interrupted execution of approval ${request.id}`, {
        action: request.action,
        outcome: ok ? 'completed' : 'failed',
      });
      await this.notify([request.requestedBy], {
        title: `${ok ? 'Completed' : 'Failed'}: ${request.summary}`,
        description: ok
          ? 'Settled after a backend restart: the action succeeded.'
          : `Settled after a backend restart: ${why}`,
        link: '/batch-fleet?tab=approvals',
        severity: ok ? 'normal' : 'high',
        topic: 'batch-jobs.approvals',
      });
    }
    return settled;
  }

  /** The audit rows of `actions` that name this approval, newest first. */
  private async rowsOf(
    request: ApprovalRecord,
    actions: string[],
  ): Promise<AuditRecord[]> {
    const rows = await this.options.audit.list({ actions, limit: 500 });
    return rows.filter(r => r.detail?.approvalId === request.id);
  }

  async reject(
    id: string,
    reason: string | undefined,
    context: { credentials: BackstageCredentials; actor: string },
  ): Promise<ApprovalRequest> {
    const { approvals, audit } = this.options;
    const request = await this.decidable(id, context, 'reject');
    const auditId = await audit.create({
      actor: context.actor,
      action: 'approval.reject',
      entityRef: request.entityRef,
      vpc: request.vpc,
      job: jobOf(request),
      target: request.target,
      parameters: {},
      detail: {
        approvalId: id,
        requestedBy: request.requestedBy,
        heldAction: request.action,
        reason: reason ?? null,
      },
    });
    if (
      !(await approvals.decide(id, {
        status: 'rejected',
        decidedBy: context.actor,
        reason: reason ?? null,
      }))
    ) {
      await audit.finish(auditId, 'failed', {
        detail: { error: 'decided by someone else or expired meanwhile' },
      });
      throw new ConflictError(
        `Approval request ${id} was decided by someone else or expired meanwhile`,
      );
    }
    await audit.finish(auditId, 'succeeded', {});
    await this.notify([request.requestedBy], {
      title: `Rejected: ${request.summary}`,
      description: `Rejected by ${context.actor}${reason ? `: ${reason}` : ''}`,
      link: '/batch-fleet?tab=approvals',
      topic: 'batch-jobs.approvals',
    });
    return toPublic(await this.load(id));
  }

  private async load(id: string): Promise<ApprovalRecord> {
    const record = await this.options.approvals.get(id);
    if (!record) throw new NotFoundError(`No approval request ${id}`);
    return record;
  }

  /** Checks the caller may decide on this request now. */
  private async decidable(
    id: string,
    context: { credentials: BackstageCredentials; actor: string },
    verb: 'approve' | 'reject',
  ): Promise<ApprovalRecord> {
    const [decision] = await this.options.permissions.authorize(
      [{ permission: batchJobsApprovePermission }],
      { credentials: context.credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${verb} requests (${batchJobsApprovePermission.name})`,
      );
    }
    await this.options.approvals.expire();
    const request = await this.load(id);
    // Four eyes means two people, whatever the permission policy allows.
    if (request.requestedBy === context.actor) {
      throw new NotAllowedError(
        `You cannot ${verb} your own request; another person must decide`,
      );
    }
    if (request.status !== 'pending') {
      throw new ConflictError(
        `Approval request ${id} is ${request.status}${
          request.decidedBy ? ` (by ${request.decidedBy})` : ''
        }`,
      );
    }
    return request;
  }

  private async notify(
    recipients: string[],
    payload: {
      title: string;
      description: string;
      link: string;
      severity?: 'high' | 'normal';
      topic: string;
    },
    exclude?: string,
  ) {
    const { notifications, logger } = this.options;
    if (!notifications || recipients.length === 0) return;
    try {
      await notifications.send({
        recipients: {
          type: 'entity',
          entityRef: recipients,
          ...(exclude ? { excludeEntityRef: exclude } : {}),
        },
        payload,
      });
    } catch (error) {
      logger.warn(
        `Could not send approval notification: ${
          isError(error) ? error.message : error
        }`,
      );
    }
  }
}

function jobOf(request: ApprovalRecord): string | null {
  const job = request.payload.job;
  return typeof job === 'string' ? job : null;
}
