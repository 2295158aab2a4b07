import { LoggerService, PermissionsService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  isError,
} from '@backstage/errors';
import {
  ApprovalPendingResponse,
  TerminateAgentResponse,
  batchJobsAgentTerminatePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { AuditStore } from '../../database/types';
import { AgentProviders } from './AgentProviders';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { RawComputer } from '../jenkins/types';
import { FleetActionContext } from './AgentLauncher';
import { buildsOf } from './FleetView';
import { authorizeInVpc } from '../access/vpcAccess';
import { ApprovalGate, approvalDetail } from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';

/**
 * Retires an agent: drain (temporarily offline, so no new build lands),
 * refuse while builds run unless forced, terminate the instance, delete
 * the node. Every step lands in the audit row.
 * @public
 */
export class AgentTerminator {
  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      agents: AgentProviders;
      audit: AuditStore;
      permissions: PermissionsService;
      logger: LoggerService;
      /** The four-eyes gate of VPCs with `requireApproval`. */
      gate?: ApprovalGate;
    },
  ) {}

  async terminate(
    request: { vpc: string; node: string; force: boolean; reason?: string },
    context: FleetActionContext,
  ): Promise<TerminateAgentResponse | ApprovalPendingResponse> {
    const { directory, clients, agents, audit, logger } = this.options;
    const vpc = directory.getVpc(request.vpc);
    const provider = agents.forVpc(vpc.name);
    const instanceId = provider.machineIdOf(vpc.name, request.node);
    if (!instanceId) {
      throw new InputError(
        `'${request.node}' is not an agent node of VPC ${vpc.name} (provider '${provider.id}'${
          provider.id === 'ec2'
            ? `, expected ${vpc.naming.nodeName}`
            : ''
        })`,
      );
    }
    // Also when approved: the requester's permission may have gone since.
    await authorizeInVpc(
      this.options.permissions,
      batchJobsAgentTerminatePermission,
      vpc,
      context.credentials,
      'terminate agents',
    );
    // 400 when the VPC's provider cannot terminate (no AWS, a fixed pool).
    const terminateMachine = agents.terminatorOf(vpc.name);
    // 409 unless the provider says the machine is this VPC's agent (for
    // EC2: tags, launch, placement).
    await agents.assertOwned(vpc.name, instanceId, logger);
    const payload = {
      vpc: vpc.name,
      node: request.node,
      force: request.force,
      reason: request.reason ?? null,
    };
    const hash = pinHash(payload);
    if (context.approval) {
      checkPin(context.approval.review?.hash, hash, 'the request');
    }
    const gate = this.options.gate;
    if (!context.approval && gate?.requires(vpc)) {
      return gate.hold({
        action: 'agent.terminate',
        vpc,
        target: request.node,
        summary: `Terminate agent ${request.node} in ${vpc.name}${
          request.force ? ' (forced, aborting its builds)' : ''
        }${request.reason ? `: ${request.reason}` : ''}`,
        entityRef: null,
        payload,
        review: { hash, hashOf: 'the node, force and the reason' },
        actor: context.actor,
      });
    }
    const client = clients.get(vpc.jenkins)!;
    const steps: Array<{ step: string; message: string }> = [];
    const auditId = await audit.create({
      actor: context.actor,
      action: 'agent.terminate',
      entityRef: null,
      vpc: vpc.name,
      job: null,
      target: request.node,
      parameters: { force: request.force, reason: request.reason ?? null },
      detail: { instanceId, ...approvalDetail(context.approval) },
    });
    try {
      let computer: RawComputer | undefined;
      try {
        computer = await client.getComputer(request.node);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      if (computer) {
        const labels = (computer.assignedLabels ?? []).map(l => l?.name);
        if (
          !labels.includes(vpc.agentLabels.batch) &&
          !labels.includes(vpc.agentLabels.worker)
        ) {
          throw new InputError(
            `Node ${request.node} is not an agent of VPC ${vpc.name} (labels: ${labels.join(', ')})`,
          );
        }
        if (!computer.temporarilyOffline) {
          await client.toggleOffline(
            request.node,
            `Draining for termination by ${context.actor}${
              request.reason ? `: ${request.reason}` : ''
            }`,
          );
          steps.push({ step: 'drain', message: 'Marked temporarily offline' });
          computer = await client.getComputer(request.node);
        } else {
          steps.push({ step: 'drain', message: 'Already temporarily offline' });
        }
      } else {
        steps.push({ step: 'drain', message: 'No node on Jenkins' });
      }
      const builds = computer ? buildsOf(computer) : [];
      if (builds.length > 0 && !request.force) {
        const names = builds.map(b => b.name).join(', ');
        steps.push({ step: 'refused', message: `Builds running: ${names}` });
        await audit.finish(auditId, 'failed', {
          detail: { refused: true, builds, steps },
        });
        throw new ConflictError(
          `Agent ${request.node} is running ${builds.length} build${
            builds.length > 1 ? 's' : ''
          } (${names}); it stays drained so no new build lands. Terminate again when they finish, or force it`,
        );
      }
      const ec2State = await terminateMachine(vpc.name, instanceId);
      steps.push({
        step: 'terminate',
        message: ec2State
          ? `Instance ${instanceId} is ${ec2State}`
          : `Instance ${instanceId} was already gone`,
      });
      let nodeDeleted = false;
      if (computer) {
        try {
          await client.deleteNode(request.node);
          nodeDeleted = true;
          steps.push({ step: 'node-deleted', message: 'Node deleted' });
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
      await audit.finish(auditId, 'succeeded', {
        detail: { ec2State: ec2State ?? null, nodeDeleted, abortedBuilds: builds, steps },
      });
      logger.info('Agent terminated', {
        actor: context.actor,
        vpc: vpc.name,
        node: request.node,
        forced: request.force && builds.length > 0,
      });
      return {
        auditId,
        vpc: vpc.name,
        node: request.node,
        instanceId,
        ec2State: ec2State ?? null,
        nodeDeleted,
        abortedBuilds: builds,
      };
    } catch (error) {
      if (error instanceof ConflictError) throw error;
      await audit
        .finish(auditId, 'failed', {
          detail: { error: isError(error) ? error.message : String(error), steps },
        })
        .catch(e => logger.error(`Could not record failed termination: ${e}`));
      throw error;
    }
  }
}
