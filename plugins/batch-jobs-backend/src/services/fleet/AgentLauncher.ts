import { createHash, randomUUID } from 'node:crypto';
import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError, isError } from '@backstage/errors';
import {
  AgentType,
  ApprovalPendingResponse,
  FleetOperation,
  isApprovalPending,
  LaunchAgentRequest,
  batchJobsAgentLaunchPermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { FleetConfig, VpcConfig } from '../../config';
import { FleetOperationStore } from '../../database/DatabaseFleetOperationStore';
import { AuditStore, IdempotencyStore } from '../../database/types';
import { isEc2Error } from '../aws/Ec2Agents';
import { AgentProviders } from './AgentProviders';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { holdUnderKey, recordFailure } from '../actions/auditedAction';
import {
  checkIdempotencyKey,
  claimIdempotencyKey,
} from '../actions/entityAccess';
import { decideLaunch } from './launchDecisions';
import {
  ApprovalGate,
  ApprovedAs,
  approvalDetail,
} from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';
import { authorizeInVpc } from '../access/vpcAccess';

/** @public */
export interface FleetActionContext {
  credentials: BackstageCredentials;
  /** Entity ref of the signed-in user. */
  actor: string;
  idempotencyKey?: string;
  /**
   * Set when a second person approved this action: it runs with the
   * requester's credentials (checked again) and does exactly what was reviewed.
   */
  approval?: ApprovedAs;
}

export const AGENT_REMOTE_FS = '/home/jenkins';

/**
 * Launches a Jenkins agent (an EC2 instance unless a module set another
 * provider) and follows it until its node is online, or rolls it back. The one way in for launches: authorize → audit → act →
 * audit outcome; progress is an operation in the database.
 *
 * The node is created by the portal (`/computer/doCreateItem`) right after
 * RunInstances, rather than left to the instance's bootstrap: the portal
 * then owns the node's name, label and executors (the team's conventions,
 * from config), the node is visible at once as "waiting for its agent", and
 * a rollback knows exactly what to delete. The bootstrap still creates the
 * node when missing (instances launched outside the portal).
 * @public
 */
export class AgentLauncher {
  private readonly inFlight = new Map<string, Promise<FleetOperation>>();

  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      agents: AgentProviders;
      audit: AuditStore;
      idempotency: IdempotencyStore;
      operations: FleetOperationStore;
      permissions: PermissionsService;
      fleet: FleetConfig;
      logger: LoggerService;
      now?: () => Date;
      /** The four-eyes gate of VPCs with `requireApproval`. */
      gate?: ApprovalGate;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  async launch(
    request: LaunchAgentRequest,
    context: FleetActionContext,
  ): Promise<FleetOperation | ApprovalPendingResponse> {
    const { directory, agents, audit, idempotency, operations, logger } =
      this.options;
    const vpc = directory.getVpc(request.vpc);
    const key = context.idempotencyKey;
    checkIdempotencyKey(key);
    // Also when approved: the requester's permission may have gone since.
    await this.authorize(vpc, context.credentials);
    // 400 when the VPC's provider cannot launch (a static pool, no AWS).
    const launchAgent = agents.launcherOf(vpc.name);

    const reason = request.reason?.trim() || null;
    const hash = pinHash({ vpc: vpc.name, type: request.type, reason });
    if (context.approval)
      checkPin(context.approval.review?.hash, hash, 'the request');
    if (key !== undefined) {
      const replay = await claimIdempotencyKey<
        ApprovalPendingResponse | { operationId: string }
      >(idempotency, context.actor, key, [vpc.name, request.type, reason], {
        request: 'launch',
        inFlight: 'is still being started',
      });
      if (replay !== undefined) {
        if (isApprovalPending(replay)) return replay;
        return (await operations.get(replay.operationId))!;
      }
    }

    const target = `${vpc.name}/${request.type}-agent`;
    const gate = this.options.gate;
    if (!context.approval && gate?.requires(vpc)) {
      return holdUnderKey(idempotency, context.actor, key, () =>
        gate.hold({
          action: 'agent.launch',
          vpc,
          target,
          summary: `Launch a ${request.type} agent in ${vpc.name}${
            reason ? ` (${reason})` : ''
          }`,
          entityRef: null,
          payload: { vpc: vpc.name, type: request.type, reason },
          review: { hash, hashOf: 'the VPC, the agent type and the reason' },
          actor: context.actor,
        }),
      );
    }

    // EC2's own idempotency: a retried RunInstances with the same token
    // (SDK retries, or a replay after our idempotency row was lost) starts
    // no second instance.
    const clientToken =
      key !== undefined
        ? sha256(`${context.actor}\n${key}`).slice(0, 64)
        : randomUUID();
    const auditId = await audit.create({
      actor: context.actor,
      action: 'agent.launch',
      entityRef: null,
      vpc: vpc.name,
      job: null,
      target,
      parameters: { type: request.type, reason },
      detail: {
        clientToken,
        ...approvalDetail(context.approval),
      },
    });

    try {
      const { machine: instance, message } = await launchAgent({
        vpc: vpc.name,
        type: request.type,
        clientToken,
        launchedBy: context.actor,
        reason,
      });
      const node = instance.nodeName;
      const deadline = new Date(
        this.now().getTime() + this.options.fleet.connectTimeoutSeconds * 1000,
      );
      let op = await operations.create({
        vpc: vpc.name,
        type: request.type,
        actor: context.actor,
        reason,
        auditId,
        instanceId: instance.id,
        node,
        deadline,
        steps: [
          { name: 'launch', message },
          {
            name: instance.state,
            message: `Instance ${instance.id} is ${instance.state}`,
          },
        ],
      });
      op = await this.createNode(op, vpc, request.type);
      if (key !== undefined) {
        await idempotency.complete(context.actor, key, {
          operationId: op.id,
        });
      }
      logger.info('Agent launch started', {
        actor: context.actor,
        vpc: vpc.name,
        type: request.type,
        instanceId: instance.id,
        operationId: op.id,
      });
      return op;
    } catch (error) {
      await recordFailure(this.options, {
        auditId,
        actor: context.actor,
        key,
        message: isError(error) ? error.message : String(error),
        detail: isEc2Error(error)
          ? { awsError: error.failure.code }
          : undefined,
        unrecorded: 'Could not record failed launch',
        failed: 'Agent launch failed',
        fields: { actor: context.actor, vpc: vpc.name },
      });
      throw error;
    }
  }

  async get(id: string): Promise<FleetOperation> {
    const op = await this.options.operations.get(id);
    if (!op) throw new NotFoundError(`No fleet operation ${id}`);
    return op.state === 'running' ? this.advance(op) : op;
  }

  /** Advances every running launch once (the poller; survives restarts since operations live in the DB). */
  async advanceAll(): Promise<void> {
    const running = await this.options.operations.listRunning();
    for (const op of running) {
      await this.advance(op).catch(error =>
        this.options.logger.warn(
          `Could not advance launch ${op.id}: ${
            isError(error) ? error.message : error
          }`,
        ),
      );
    }
  }

  /** One check of a running launch; concurrent callers share it. */
  advance(op: FleetOperation): Promise<FleetOperation> {
    const existing = this.inFlight.get(op.id);
    if (existing) return existing;
    const run = this.step(op).finally(() => this.inFlight.delete(op.id));
    this.inFlight.set(op.id, run);
    return run;
  }

  private async step(op: FleetOperation): Promise<FleetOperation> {
    const { agents, operations, audit, logger } = this.options;
    const vpc = this.options.directory.getVpc(op.vpc);
    const client = this.options.clients.get(vpc.jenkins)!;
    const provider = agents.forVpc(op.vpc);
    const instance = await provider.describeAgent(op.vpc, op.instanceId!);
    let node: { online: boolean; offlineReason: string | null } | null = null;
    try {
      const computer = await client.getComputer(op.node!);
      node = {
        online: computer.offline === false,
        offlineReason: computer.offlineCauseReason || null,
      };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const decision = decideLaunch(op, {
      instanceState: instance?.state ?? null,
      node,
      now: this.now(),
    });
    if (decision.action === 'wait') {
      return decision.step
        ? operations.update(op.id, { steps: [decision.step] })
        : op;
    }
    if (decision.action === 'succeed') {
      const done = await operations.update(op.id, {
        state: 'succeeded',
        steps: decision.steps,
      });
      await audit.finish(op.auditId, 'succeeded', {
        detail: {
          instanceId: op.instanceId,
          node: op.node,
          operationId: op.id,
        },
      });
      logger.info('Agent online', { vpc: op.vpc, node: op.node });
      return done;
    }
    // Roll back: the instance costs money and the node would sit offline.
    let current = await operations.update(op.id, {
      steps: [{ name: decision.step, message: decision.reason }],
    });
    const rollback: Record<string, unknown> = {};
    try {
      const state = await agents.terminatorOf(op.vpc)(op.vpc, op.instanceId!);
      rollback.instanceState = state ?? 'gone';
      current = await operations.update(op.id, {
        steps: [
          {
            name: 'terminate',
            message: `Instance ${op.instanceId} ${
              state ? `is ${state}` : 'was already gone'
            }`,
          },
        ],
      });
    } catch (error) {
      rollback.terminateError = isError(error) ? error.message : String(error);
    }
    try {
      await client.deleteNode(op.node!);
      rollback.nodeDeleted = true;
      current = await operations.update(op.id, {
        steps: [{ name: 'node-deleted', message: `Node ${op.node} deleted` }],
      });
    } catch (error) {
      if (error instanceof NotFoundError) {
        rollback.nodeDeleted = false;
      } else {
        rollback.deleteNodeError = isError(error)
          ? error.message
          : String(error);
      }
    }
    if (rollback.terminateError) {
      // Try again on the next check rather than leave a paid instance behind.
      return current;
    }
    current = await operations.update(op.id, {
      state: 'failed',
      error: decision.reason,
    });
    await audit.finish(op.auditId, 'failed', {
      detail: {
        error: decision.reason,
        instanceId: op.instanceId,
        node: op.node,
        operationId: op.id,
        rollback,
      },
    });
    logger.warn('Agent launch rolled back', {
      vpc: op.vpc,
      instanceId: op.instanceId,
      reason: decision.reason,
    });
    return current;
  }

  private async createNode(
    op: FleetOperation,
    vpc: VpcConfig,
    type: AgentType,
  ): Promise<FleetOperation> {
    const client = this.options.clients.get(vpc.jenkins)!;
    const label = vpc.agentLabels[type];
    const executors = vpc.naming.executors[type];
    const provider = this.options.agents.forVpc(vpc.name).id;
    try {
      await client.createNode({
        name: op.node!,
        description: `${vpc.name} ${type} agent (${
          provider === 'ec2' ? 'EC2' : provider
        } ${op.instanceId}), launched by ${op.actor}`,
        executors,
        label,
        remoteFS: AGENT_REMOTE_FS,
      });
      return await this.options.operations.update(op.id, {
        steps: [
          {
            name: 'node-created',
            message: `Node ${op.node} created on Jenkins '${
              client.name
            }' (label ${label}, ${executors} executor${
              executors > 1 ? 's' : ''
            }); waiting for its agent to connect`,
          },
        ],
      });
    } catch (error) {
      // The instance's bootstrap creates the node when missing: carry on.
      return this.options.operations.update(op.id, {
        steps: [
          {
            name: 'node-create-failed',
            message: `Jenkins did not create node ${op.node} (${
              isError(error) ? error.message : error
            }); the instance's bootstrap will create it`,
          },
        ],
      });
    }
  }

  private async authorize(vpc: VpcConfig, credentials: BackstageCredentials) {
    await authorizeInVpc(
      this.options.permissions,
      batchJobsAgentLaunchPermission,
      vpc,
      credentials,
      'launch agents',
    );
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
