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
  ApprovalState,
  batchJobsApprovePermission,
} from '@internal/plugin-batch-jobs-common';
import { ApprovalsConfig, VpcConfig } from '../../config';
import {
  ApprovalRecord,
  ApprovalStore,
} from '../../database/DatabaseApprovalStore';
import { AuditStore } from '../../database/types';

/**
 * How an action learns it runs because a request was approved: it then
 * acts as the requester without asking again, and records the approver.
 * @public
 */
export interface ApprovedAs {
  approvalId: string;
  approvedBy: string;
  entityRef: string | null;
}

/** Runs an approved action as its requester; answers what the action answers. @public */
export type ApprovalExecutor = (
  request: ApprovalRecord,
  approval: ApprovedAs,
) => Promise<unknown>;

/** @public */
export interface HoldRequest {
  action: ApprovalAction;
  vpc: VpcConfig;
  job?: string | null;
  target: string;
  summary: string;
  entityRef: string | null;
  payload: Record<string, unknown>;
  /** Entity ref of the person asking. */
  actor: string;
}

const toPublic = ({
  auditId: _auditId,
  ...rest
}: ApprovalRecord): ApprovalRequest => rest;

/**
 * The four-eyes gate. In a VPC with `requireApproval`, the action services
 * (Rerun, AgentLauncher, WorkerRedeployer) hand their already-authorized
 * request to `hold` instead of acting; another person with
 * `batch-jobs.approve` approves it, and the action's registered executor
 * then runs it as the requester with the approver recorded.
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
  requires(vpc: VpcConfig): boolean {
    return vpc.requireApproval;
  }

  /** Wires the action that runs once a request of `action` is approved. */
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
      detail: { heldAction: request.action, summary: request.summary },
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

  /** Approves and runs the held action as its requester. Never by the requester. */
  async approve(
    id: string,
    context: { credentials: BackstageCredentials; actor: string },
  ): Promise<ApprovalRequest> {
    const { approvals, audit, logger } = this.options;
    const request = await this.decidable(id, context, 'approve');
    const executor = this.executors.get(request.action);
    if (!executor) {
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
      },
    });
    if (
      !(await approvals.decide(id, {
        status: 'approved',
        decidedBy: context.actor,
      }))
    ) {
      await audit.finish(auditId, 'failed', {
        detail: { error: 'decided by someone else or expired meanwhile' },
      });
      throw new ConflictError(
        `Approval request ${id} was decided by someone else or expired meanwhile`,
      );
    }
    try {
      const result = await executor(request, {
        approvalId: id,
        approvedBy: context.actor,
        entityRef: request.entityRef,
      });
      await approvals.complete(id, {
        result: (result ?? {}) as Record<string, unknown>,
      });
      await audit.finish(auditId, 'succeeded', { detail: { result } });
      logger.info('Approved action executed', {
        approvalId: id,
        action: request.action,
        requestedBy: request.requestedBy,
        approvedBy: context.actor,
      });
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      await approvals.complete(id, { error: message });
      await audit
        .finish(auditId, 'failed', { detail: { error: message } })
        .catch(e => logger.error(`Could not record failed approval: ${e}`));
      logger.warn('Approved action failed', {
        approvalId: id,
        action: request.action,
        error: message,
      });
    }
    const done = toPublic(await this.load(id));
    await this.notify([request.requestedBy], {
      title: `${
        done.status === 'failed' ? 'Approved but failed' : 'Approved'
      }: ${request.summary}`,
      description: `Approved by ${context.actor}${
        done.error ? `; the action failed: ${done.error}` : ''
      }`,
      link: '/batch-fleet?tab=approvals',
      severity: done.status === 'failed' ? 'high' : 'normal',
      topic: 'batch-jobs.approvals',
    });
    return done;
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
