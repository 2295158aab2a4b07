import { createHash, randomUUID } from 'node:crypto';
import {
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
  isError,
} from '@backstage/errors';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  AgentType,
  ApprovalPendingResponse,
  FleetRefresh,
  FleetRefreshAgent,
  StartFleetRefreshRequest,
  batchJobsAgentLaunchPermission,
  batchJobsAgentTerminatePermission,
} from '@batch-jobs/plugin-batch-jobs-common';
import { FleetConfig, VpcConfig } from '../../config';
import {
  FleetRefreshStore,
  UNFINISHED_REFRESH_STATES,
} from '../../database/DatabaseFleetRefreshStore';
import { AuditStore } from '../../database/types';
import { authorizeInVpc } from '../access/vpcAccess';
import { ApprovalGate, approvalDetail } from '../approvals/ApprovalGate';
import { checkPin, pinHash } from '../approvals/pins';
import { Ec2Agents } from '../aws/Ec2Agents';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { RawComputer } from '../jenkins/types';
import { AGENT_REMOTE_FS, FleetActionContext } from './AgentLauncher';
import { AgentProviders } from './AgentProviders';
import { buildsOf } from './FleetView';

const ENDED = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);
/**
 * How long a pass may hold a refresh before another replica takes it over
 * (its replica died mid-pass); a shutdown waits for its passes instead.
 */
const PASS_LEASE_MS = 2 * 60_000;
/** Agents still being worked on in the current batch. */
const IN_BATCH = new Set(['launching', 'ready', 'draining']);

/** A node as one pass of the refresh sees it. */
interface NodeSeen {
  online: boolean;
  temporarilyOffline: boolean;
  /** Why it is offline, as Jenkins says: a refresh's drain names the refresh. */
  offlineReason: string;
  labels: string[];
  executors: number;
  builds: number;
}

function seenOf(computer: RawComputer): NodeSeen {
  return {
    online: computer.offline === false,
    temporarilyOffline: Boolean(computer.temporarilyOffline),
    offlineReason: computer.offlineCauseReason ?? '',
    labels: (computer.assignedLabels ?? []).map(l => l?.name ?? ''),
    executors: computer.numExecutors ?? 0,
    builds: buildsOf(computer).length,
  };
}

/**
 * Executors of the VPC's agent labels that take work now: online nodes,
 * not paused or drained. Pure.
 * @public
 */
export function healthyExecutors(
  nodes: Map<string, NodeSeen>,
  labels: string[],
): number {
  let total = 0;
  for (const node of nodes.values()) {
    if (node.online && node.labels.some(l => labels.includes(l))) {
      total += node.executors;
    }
  }
  return total;
}

/**
 * A rolling, blue/green refresh of a VPC's agents onto the launch
 * template's default version, batch by batch: launch the batch's
 * replacements (`$Default`), wait until every one is online in Jenkins
 * with its label and executors, then drain the old agents (temporarily
 * offline, so no new build lands; only while the VPC keeps its minimum of
 * healthy executors), wait for their running builds, delete their nodes
 * and terminate their instances. Agents already on the default version
 * are skipped. A replacement that never comes online rolls its batch back
 * (new instances terminated, their nodes deleted, old agents online
 * again), and the refresh stops there: the batch's old agents are all
 * still there, since none is drained before the whole batch is online.
 *
 * The refresh lives in the database and moves one pass at a time (the
 * scheduled task, and every read), each pass deciding from what Jenkins
 * and EC2 say now; launches use a client token derived from the refresh
 * and the node, so a pass repeated after a restart starts no second
 * instance.
 * @public
 */
export class FleetRefresher {
  private readonly inFlight = new Map<string, Promise<FleetRefresh>>();
  /** This replica, as the holder of a pass's lease. */
  private readonly owner = randomUUID();
  private stopping = false;

  constructor(
    private readonly options: {
      directory: JobDirectory;
      clients: Map<string, JenkinsClient>;
      agents: AgentProviders;
      audit: AuditStore;
      refreshes: FleetRefreshStore;
      permissions: PermissionsService;
      fleet: FleetConfig;
      logger: LoggerService;
      gate?: ApprovalGate;
      notifications?: NotificationService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.options.now?.() ?? new Date();
  }

  async start(
    vpcName: string,
    request: StartFleetRefreshRequest,
    context: FleetActionContext,
  ): Promise<FleetRefresh | ApprovalPendingResponse> {
    const { directory, refreshes, audit, gate, logger } = this.options;
    const vpc = directory.getVpc(vpcName);
    await this.authorize(vpc, context);
    const ec2 = this.ec2Of(vpc);
    const defaults = this.options.fleet.refresh;
    const settings = {
      vpc: vpc.name,
      batchSize: request.batchSize ?? defaults.batchSize,
      minHealthyExecutors:
        request.minHealthyExecutors ?? defaults.minHealthyExecutors,
      drainTimeoutSeconds:
        request.drainTimeoutSeconds ?? defaults.drainTimeoutSeconds,
      reason: request.reason?.trim() || null,
    };
    const hash = pinHash(settings);
    if (context.approval) {
      checkPin(context.approval.review?.hash, hash, 'the refresh settings');
    }
    const unfinished = (await refreshes.listUnfinished()).find(
      r => r.vpc === vpc.name,
    );
    if (unfinished) {
      throw new ConflictError(
        `VPC ${vpc.name} already has a refresh in progress (${unfinished.id}, ${unfinished.state}): abort it or wait until it ends`,
      );
    }

    // What would be replaced, checked before anyone approves it.
    const targets = await ec2.templateDefaults(vpc.name);
    const client = this.clientOf(vpc);
    const nodes = await this.observeNodes(client);
    const labels = [vpc.agentLabels.batch, vpc.agentLabels.worker];
    const healthy = healthyExecutors(nodes, labels);
    if (settings.minHealthyExecutors > healthy) {
      throw new InputError(
        `minHealthyExecutors ${settings.minHealthyExecutors} is more than the ${healthy} executors online in ${vpc.name} now`,
      );
    }
    const machines = (await ec2.listAgents(vpc.name)).filter(
      m => m.state === 'running',
    );
    const agents: FleetRefreshAgent[] = [];
    for (const machine of machines) {
      const node = nodes.get(machine.nodeName);
      const label = node?.labels.find(l => labels.includes(l));
      if (!node || !label) continue; // not (yet) a Jenkins agent
      const type: AgentType =
        label === vpc.agentLabels.worker ? 'worker' : 'batch';
      const target = targets.find(t => t.type === type);
      const current =
        target !== undefined &&
        machine.launchTemplateId === target.launchTemplateId &&
        machine.launchTemplateVersion === target.version;
      agents.push({
        node: machine.nodeName,
        instanceId: machine.id,
        type,
        executors: node.executors,
        fromVersion: machine.launchTemplateVersion ?? null,
        state: current ? 'skipped' : 'pending',
        batch: null,
        replacement: null,
        launchDeadline: null,
        drainingSince: null,
        steps: current
          ? [
              {
                at: this.now().toISOString(),
                message: `Already on ${target!.launchTemplateName} version ${
                  target!.version
                }: skipped`,
              },
            ]
          : [],
      });
    }
    if (!agents.some(a => a.state === 'pending')) {
      throw new InputError(
        `Every agent of ${vpc.name} is already on its launch template's default version: nothing to refresh`,
      );
    }
    const pending = agents.filter(a => a.state === 'pending').length;
    if (!context.approval && gate?.requires(vpc)) {
      return gate.hold({
        action: 'fleet.refresh',
        vpc,
        target: `${vpc.name}/agents`,
        summary: `Refresh ${pending} agent${pending > 1 ? 's' : ''} of ${
          vpc.name
        } onto the launch templates' default versions (batches of ${
          settings.batchSize
        }, at least ${settings.minHealthyExecutors} executors online)${
          settings.reason ? `: ${settings.reason}` : ''
        }`,
        entityRef: null,
        payload: settings,
        review: {
          hash,
          hashOf:
            'the VPC, batch size, minimum executors, drain timeout and reason',
        },
        actor: context.actor,
      });
    }

    const auditId = await audit.create({
      actor: context.actor,
      action: 'fleet.refresh',
      entityRef: null,
      vpc: vpc.name,
      job: null,
      target: `${vpc.name}/agents`,
      parameters: {
        batchSize: settings.batchSize,
        minHealthyExecutors: settings.minHealthyExecutors,
        drainTimeoutSeconds: settings.drainTimeoutSeconds,
        reason: settings.reason,
      },
      detail: {
        targets,
        agents: agents.map(a => ({ node: a.node, state: a.state })),
        ...approvalDetail(context.approval),
      },
    });
    try {
      const refresh = await refreshes.create({
        kind: 'fleet.refresh',
        vpc: vpc.name,
        state: 'running',
        actor: context.actor,
        approvedBy: context.approval?.approvedBy ?? null,
        reason: settings.reason,
        batchSize: settings.batchSize,
        minHealthyExecutors: settings.minHealthyExecutors,
        drainTimeoutSeconds: settings.drainTimeoutSeconds,
        targets: targets.map(t => ({
          type: t.type,
          launchTemplateId: t.launchTemplateId,
          version: t.version,
          imageId: t.imageId,
        })),
        agents,
        message: null,
        auditId,
      });
      logger.info('Fleet refresh started', {
        vpc: vpc.name,
        actor: context.actor,
        refreshId: refresh.id,
        agents: pending,
      });
      return await this.advance(refresh);
    } catch (error) {
      await audit
        .finish(auditId, 'failed', {
          detail: { error: isError(error) ? error.message : String(error) },
        })
        .catch(e => logger.error(`Could not record failed refresh: ${e}`));
      throw error;
    }
  }

  async get(id: string): Promise<FleetRefresh> {
    const refresh = await this.options.refreshes.get(id);
    if (!refresh) throw new NotFoundError(`No fleet refresh ${id}`);
    return UNFINISHED_REFRESH_STATES.includes(refresh.state)
      ? this.advance(refresh)
      : refresh;
  }

  list(vpc: string): Promise<FleetRefresh[]> {
    this.options.directory.getVpc(vpc);
    return this.options.refreshes.listByVpc(vpc, 20);
  }

  /** Pause, resume or abort (which rolls the batch in flight back). */
  async control(
    id: string,
    action: 'pause' | 'resume' | 'abort',
    context: FleetActionContext,
  ): Promise<FleetRefresh> {
    const { refreshes, audit } = this.options;
    const found = await refreshes.get(id);
    if (!found) throw new NotFoundError(`No fleet refresh ${id}`);
    const vpc = this.options.directory.getVpc(found.vpc);
    await this.authorize(vpc, context);
    // Hold the lease while changing it, so a pass (here or on another
    // replica) does not write over the change.
    await this.inFlight.get(id)?.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!(await refreshes.claim(id, this.owner, PASS_LEASE_MS))) {
      if (Date.now() > deadline) {
        throw new ServiceUnavailableError(
          `Refresh ${id} is being moved on by another replica: try again in a moment`,
        );
      }
      await new Promise(r => setTimeout(r, 200));
    }
    let saved: FleetRefresh;
    try {
      const refresh = (await refreshes.get(id))!;
      const allowed: Record<typeof action, string[]> = {
        pause: ['running'],
        resume: ['paused'],
        abort: ['running', 'paused'],
      };
      if (!allowed[action].includes(refresh.state)) {
        throw new ConflictError(
          `Refresh ${id} is ${refresh.state}: it cannot ${action} now`,
        );
      }
      const at = this.now();
      if (action === 'pause') {
        refresh.state = 'paused';
        refresh.message = `Paused by ${context.actor}`;
      } else if (action === 'resume') {
        refresh.state = 'running';
        refresh.message = null;
        // Waiting starts over: the operator chose to give it more time.
        const connectMs = this.options.fleet.connectTimeoutSeconds * 1000;
        for (const agent of refresh.agents) {
          if (agent.state === 'draining')
            agent.drainingSince = at.toISOString();
          if (agent.state === 'launching') {
            agent.launchDeadline = new Date(
              at.getTime() + connectMs,
            ).toISOString();
          }
        }
      } else {
        refresh.state = 'rolling-back';
        refresh.message = `Aborted by ${context.actor}`;
        (refresh as AbortableRefresh).abortedBy = context.actor;
      }
      const auditId = await audit.create({
        actor: context.actor,
        action: `fleet.refresh.${action}`,
        entityRef: null,
        vpc: vpc.name,
        job: null,
        target: `${vpc.name}/agents`,
        parameters: {},
        detail: { refreshId: id },
      });
      await audit.finish(auditId, 'succeeded', {});
      saved = await refreshes.save(refresh);
    } finally {
      await refreshes.release(id, this.owner);
    }
    return action === 'pause' ? saved : this.advance(saved);
  }

  /** Shutdown: starts no pass more and waits for those running, so their leases are released. */
  async drain(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.inFlight.values()].map(p => p.catch(() => undefined)),
    );
  }

  /** One pass over every unfinished refresh (the scheduled task; survives restarts). */
  async advanceAll(): Promise<void> {
    if (this.stopping) return;
    for (const refresh of await this.options.refreshes.listUnfinished()) {
      await this.advance(refresh).catch(error =>
        this.options.logger.warn(
          `Could not advance refresh ${refresh.id}: ${
            isError(error) ? error.message : error
          }`,
        ),
      );
    }
  }

  /**
   * One pass of a refresh; concurrent callers share it, and across
   * replicas a lease lets one pass act at a time (draining flips a node's
   * offline flag: two passes at once would undo each other).
   */
  advance(refresh: FleetRefresh): Promise<FleetRefresh> {
    const existing = this.inFlight.get(refresh.id);
    if (existing) return existing;
    const { refreshes } = this.options;
    const run = (async () => {
      if (
        this.stopping ||
        !(await refreshes.claim(refresh.id, this.owner, PASS_LEASE_MS))
      ) {
        return (await refreshes.get(refresh.id)) ?? refresh;
      }
      try {
        const latest = await refreshes.get(refresh.id);
        return await this.pass(latest ?? refresh);
      } finally {
        await refreshes.release(refresh.id, this.owner);
      }
    })().finally(() => this.inFlight.delete(refresh.id));
    this.inFlight.set(refresh.id, run);
    return run;
  }

  private async pass(initial: FleetRefresh): Promise<FleetRefresh> {
    let refresh = initial;
    if (refresh.state === 'rolling-back') return this.rollBack(refresh);
    if (refresh.state !== 'running') return refresh;
    const vpc = this.options.directory.getVpc(refresh.vpc);
    const client = this.clientOf(vpc);
    const ec2 = this.ec2Of(vpc);
    const nodes = await this.observeNodes(client);
    const now = this.now();
    const step = (agent: FleetRefreshAgent, message: string) => {
      // A wait is noted once, not on every pass.
      if (agent.steps[agent.steps.length - 1]?.message === message) return;
      agent.steps.push({ at: now.toISOString(), message });
    };
    const batch = refresh.agents.filter(a => IN_BATCH.has(a.state));

    // 1. Replacements: online with their label and executors, or roll back.
    for (const agent of batch.filter(a => a.state === 'launching')) {
      if (!agent.replacement) continue; // launched below (again, after a restart)
      const label = vpc.agentLabels[agent.type];
      const expected = vpc.naming.executors[agent.type];
      const node = nodes.get(agent.replacement.node);
      if (
        node?.online &&
        node.labels.includes(label) &&
        node.executors >= expected
      ) {
        agent.state = 'ready';
        step(
          agent,
          `Replacement ${agent.replacement.node} is online (label ${label}, ${
            node.executors
          } executor${node.executors > 1 ? 's' : ''})`,
        );
        continue;
      }
      const instance = await ec2.describeAgent(
        vpc.name,
        agent.replacement.instanceId,
      );
      if (!instance || ENDED.has(instance.state)) {
        return this.startRollBack(
          refresh,
          `Replacement ${agent.replacement.instanceId} of ${agent.node} ${
            instance ? `went ${instance.state}` : 'disappeared'
          } before its agent came online`,
        );
      }
      if (
        agent.launchDeadline &&
        now.getTime() >= Date.parse(agent.launchDeadline)
      ) {
        return this.startRollBack(
          refresh,
          `Replacement ${agent.replacement.node} of ${
            agent.node
          } did not come online within ${
            this.options.fleet.connectTimeoutSeconds
          } s (instance ${instance.state}${
            node ? ', node offline' : ', no node on Jenkins'
          }); the agent never connected`,
        );
      }
      step(
        agent,
        `Waiting for ${agent.replacement.node} to come online (instance ${instance.state})`,
      );
    }

    // 2. Blue/green: drain the old agents once the whole batch is online,
    // each only while the VPC keeps its minimum of healthy executors.
    if (batch.length > 0 && batch.every(a => a.state !== 'launching')) {
      const labels = [vpc.agentLabels.batch, vpc.agentLabels.worker];
      for (const agent of batch.filter(a => a.state === 'ready')) {
        const old = nodes.get(agent.node);
        const healthy = healthyExecutors(nodes, labels);
        const losing = old?.online ? old.executors : 0;
        if (healthy - losing < refresh.minHealthyExecutors) {
          step(
            agent,
            `Waiting: draining ${agent.node} would leave ${
              healthy - losing
            } executors online, below the minimum of ${
              refresh.minHealthyExecutors
            }`,
          );
          continue;
        }
        // Already paused (by a person, or by this pass before a restart):
        // the flag is a toggle, so it is left as it is.
        if (old && !old.temporarilyOffline) {
          await client.toggleOffline(
            agent.node,
            `${drainMarker(refresh)} by ${refresh.actor}: replaced by ${
              agent.replacement!.node
            }`,
          );
          old.online = false;
          old.temporarilyOffline = true;
        }
        agent.state = 'draining';
        agent.drainingSince = now.toISOString();
        step(
          agent,
          `Drained ${agent.node}: no new build lands; running builds finish`,
        );
      }
    }

    // 3. Retire drained agents whose builds ended.
    for (const agent of batch.filter(a => a.state === 'draining')) {
      const old = nodes.get(agent.node);
      if (old && old.builds > 0) {
        const since = Date.parse(agent.drainingSince ?? now.toISOString());
        if (now.getTime() - since >= refresh.drainTimeoutSeconds * 1000) {
          refresh.state = 'paused';
          refresh.message = `${agent.node} still runs ${old.builds} build${
            old.builds > 1 ? 's' : ''
          } after ${
            refresh.drainTimeoutSeconds
          } s of draining: resume to wait again, or abort to bring it back online`;
          step(agent, refresh.message);
          this.notify(refresh, 'needs you');
          break;
        }
        step(
          agent,
          `Waiting for ${old.builds} running build${
            old.builds > 1 ? 's' : ''
          } on ${agent.node}`,
        );
        continue;
      }
      await this.retire(refresh, vpc, client, agent, Boolean(old));
      step(
        agent,
        `Node ${agent.node} deleted, instance ${agent.instanceId} terminated`,
      );
    }

    // 4. Launch what is recorded as launching but has no instance yet (a
    // restart between the two), else the next batch once this one is done.
    if (refresh.state === 'running') {
      let next = refresh.agents.filter(
        a => a.state === 'launching' && !a.replacement,
      );
      if (
        next.length === 0 &&
        !refresh.agents.some(a => IN_BATCH.has(a.state))
      ) {
        next = refresh.agents
          .filter(a => a.state === 'pending')
          .slice(0, refresh.batchSize);
        const number =
          Math.max(0, ...refresh.agents.map(a => a.batch ?? 0)) + 1;
        // Recorded before launching: a restart relaunches with the same token.
        for (const agent of next) {
          agent.state = 'launching';
          agent.batch = number;
        }
        if (next.length === 0) {
          refresh.state = 'succeeded';
          refresh.message = null;
          await this.finish(refresh);
        } else {
          refresh = await this.options.refreshes.save(refresh);
          next = refresh.agents.filter(a => a.state === 'launching');
        }
      }
      try {
        for (const agent of next)
          await this.launch(refresh, vpc, client, agent);
      } catch (error) {
        return this.startRollBack(
          refresh,
          `Launching a replacement failed: ${
            isError(error) ? error.message : error
          }`,
        );
      }
    }
    return this.options.refreshes.save(refresh);
  }

  private async launch(
    refresh: FleetRefresh,
    vpc: VpcConfig,
    client: JenkinsClient,
    agent: FleetRefreshAgent,
  ) {
    const label = vpc.agentLabels[agent.type];
    const executors = vpc.naming.executors[agent.type];
    const { machine, message } = await this.options.agents.launcherOf(vpc.name)(
      {
        vpc: vpc.name,
        type: agent.type,
        clientToken: sha256(`${refresh.id}\n${agent.node}`).slice(0, 64),
        launchedBy: refresh.actor,
        reason: `Refresh ${refresh.id}: replaces ${agent.node}`,
      },
    );
    const at = this.now();
    agent.replacement = { instanceId: machine.id, node: machine.nodeName };
    agent.launchDeadline = new Date(
      at.getTime() + this.options.fleet.connectTimeoutSeconds * 1000,
    ).toISOString();
    agent.steps.push({ at: at.toISOString(), message });
    try {
      await client.createNode({
        name: machine.nodeName,
        description: `${vpc.name} ${agent.type} agent (EC2 ${machine.id}), replaces ${agent.node} in refresh ${refresh.id}`,
        executors,
        label,
        remoteFS: AGENT_REMOTE_FS,
      });
      agent.steps.push({
        at: at.toISOString(),
        message: `Node ${machine.nodeName} created (label ${label}); waiting for its agent to connect`,
      });
    } catch (error) {
      // Already there (a repeated pass), or the bootstrap creates it.
      agent.steps.push({
        at: at.toISOString(),
        message: `Node ${machine.nodeName} not created (${
          isError(error) ? error.message : error
        }); the instance's bootstrap creates it`,
      });
    }
    await this.options.refreshes.save(refresh);
  }

  /** Deletes the old node and terminates its instance, with an audit row per agent. */
  private async retire(
    refresh: FleetRefresh,
    vpc: VpcConfig,
    client: JenkinsClient,
    agent: FleetRefreshAgent,
    hasNode: boolean,
  ) {
    const { audit, agents } = this.options;
    const auditId = await audit.create({
      actor: refresh.actor,
      action: 'agent.replace',
      entityRef: null,
      vpc: vpc.name,
      job: null,
      target: agent.node,
      parameters: { refreshId: refresh.id },
      detail: {
        instanceId: agent.instanceId,
        replacement: agent.replacement,
        ...(refresh.approvedBy ? { approvedBy: refresh.approvedBy } : {}),
      },
    });
    try {
      if (hasNode) {
        await client.deleteNode(agent.node).catch(error => {
          if (!(error instanceof NotFoundError)) throw error;
        });
      }
      const state = await agents.terminatorOf(vpc.name)(
        vpc.name,
        agent.instanceId,
      );
      agent.state = 'replaced';
      await audit.finish(auditId, 'succeeded', {
        detail: { ec2State: state ?? 'gone', nodeDeleted: hasNode },
      });
    } catch (error) {
      await audit.finish(auditId, 'failed', {
        detail: { error: isError(error) ? error.message : String(error) },
      });
      throw error;
    }
  }

  private async startRollBack(refresh: FleetRefresh, reason: string) {
    refresh.state = 'rolling-back';
    refresh.message = reason;
    this.options.logger.warn('Fleet refresh rolling back', {
      vpc: refresh.vpc,
      refreshId: refresh.id,
      reason,
    });
    return this.rollBack(await this.options.refreshes.save(refresh));
  }

  /**
   * Undoes the batch in flight: replacements terminated and their nodes
   * deleted, drained old agents back online. Retried on the next pass
   * while a step fails: no paid instance is left behind.
   */
  private async rollBack(refresh: FleetRefresh): Promise<FleetRefresh> {
    const vpc = this.options.directory.getVpc(refresh.vpc);
    const client = this.clientOf(vpc);
    const terminate = this.options.agents.terminatorOf(vpc.name);
    const nodes = await this.observeNodes(client);
    const at = () => this.now().toISOString();
    let unfinished = false;
    for (const agent of refresh.agents.filter(a => IN_BATCH.has(a.state))) {
      try {
        if (agent.replacement) {
          const state = await terminate(vpc.name, agent.replacement.instanceId);
          await client.deleteNode(agent.replacement.node).catch(error => {
            if (!(error instanceof NotFoundError)) throw error;
          });
          agent.steps.push({
            at: at(),
            message: `Rolled back: replacement ${
              agent.replacement.instanceId
            } ${state ? `is ${state}` : 'was already gone'}, node ${
              agent.replacement.node
            } deleted`,
          });
        }
        // Only a drain of this refresh is undone: a person's pause stays.
        const old = nodes.get(agent.node);
        if (
          old?.temporarilyOffline &&
          old.offlineReason.includes(drainMarker(refresh))
        ) {
          await client.toggleOffline(agent.node, '');
          agent.steps.push({
            at: at(),
            message: `${agent.node} is back online`,
          });
        }
        agent.state = 'rolled-back';
      } catch (error) {
        unfinished = true;
        agent.steps.push({
          at: at(),
          message: `Rollback step failed, retried: ${
            isError(error) ? error.message : error
          }`,
        });
      }
    }
    if (unfinished) return this.options.refreshes.save(refresh);
    const aborted = (refresh as AbortableRefresh).abortedBy;
    refresh.state = aborted ? 'aborted' : 'rolled-back';
    await this.finish(refresh);
    return this.options.refreshes.save(refresh);
  }

  private async finish(refresh: FleetRefresh) {
    const { audit, logger } = this.options;
    const outcome = refresh.state === 'succeeded' ? 'succeeded' : 'failed';
    const count = (state: string) =>
      refresh.agents.filter(a => a.state === state).length;
    await audit
      .finish(refresh.auditId, outcome, {
        detail: {
          refreshId: refresh.id,
          state: refresh.state,
          message: refresh.message,
          replaced: count('replaced'),
          skipped: count('skipped'),
          rolledBack: count('rolled-back'),
        },
      })
      .catch(e => logger.error(`Could not record the refresh's outcome: ${e}`));
    logger.info('Fleet refresh ended', {
      vpc: refresh.vpc,
      refreshId: refresh.id,
      state: refresh.state,
    });
    this.notify(refresh, refresh.state);
  }

  private notify(refresh: FleetRefresh, what: string) {
    const { notifications, logger } = this.options;
    if (!notifications) return;
    const replaced = refresh.agents.filter(a => a.state === 'replaced').length;
    notifications
      .send({
        recipients: { type: 'entity', entityRef: refresh.actor },
        payload: {
          title: `Agent refresh of ${refresh.vpc}: ${what}`,
          description: `${replaced} of ${
            refresh.agents.filter(a => a.state !== 'skipped').length
          } agents replaced${refresh.message ? `. ${refresh.message}` : ''}`,
          link: `/batch-jobs/fleet?vpc=${encodeURIComponent(refresh.vpc)}`,
          severity: refresh.state === 'succeeded' ? 'normal' : 'high',
          topic: 'batch-jobs.fleet.refresh',
        },
      })
      .catch(error =>
        logger.warn(
          `Could not send refresh notification: ${
            isError(error) ? error.message : error
          }`,
        ),
      );
  }

  private async observeNodes(
    client: JenkinsClient,
  ): Promise<Map<string, NodeSeen>> {
    const set = await client.listFleetComputers();
    const nodes = new Map<string, NodeSeen>();
    for (const computer of set.computer ?? []) {
      if (computer?.displayName)
        nodes.set(computer.displayName, seenOf(computer));
    }
    return nodes;
  }

  private ec2Of(vpc: VpcConfig): Ec2Agents {
    const provider = this.options.agents.forVpc(vpc.name);
    if (!(provider instanceof Ec2Agents) || !provider.has(vpc.name)) {
      throw new InputError(
        `Agents of VPC ${vpc.name} come from '${provider.id}': a refresh needs EC2 launch templates (batchJobs.vpcs[].aws)`,
      );
    }
    return provider;
  }

  private clientOf(vpc: VpcConfig): JenkinsClient {
    return this.options.clients.get(vpc.jenkins)!;
  }

  private async authorize(vpc: VpcConfig, context: FleetActionContext) {
    // A refresh launches and terminates: it needs both.
    await authorizeInVpc(
      this.options.permissions,
      batchJobsAgentLaunchPermission,
      vpc,
      context.credentials,
      'refresh agents (launch)',
    );
    await authorizeInVpc(
      this.options.permissions,
      batchJobsAgentTerminatePermission,
      vpc,
      context.credentials,
      'refresh agents (terminate)',
    );
  }
}

/** What a refresh's drain reason says, so a rollback knows its own drains. */
function drainMarker(refresh: FleetRefresh): string {
  return `Draining for refresh ${refresh.id}`;
}

/** Who aborted, kept with the refresh so its rollback ends as `aborted`. */
type AbortableRefresh = FleetRefresh & { abortedBy?: string };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
