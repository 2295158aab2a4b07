import { ConflictError, NotFoundError } from '@backstage/errors';
import { NodeSightingStore } from '../database/DatabaseRoutineStore';
import { JenkinsClient } from '../services/jenkins/JenkinsClient';
import { ObservedInstance, OwnershipCheck, decideSweep } from './decisions';
import {
  AgentRoutine,
  AgentRoutineOptions,
  observeNodes,
  toObservedNode,
} from './observe';
import { Routine, RoutineContext } from './RoutineRunner';
import { auditedStep, reportSpared } from './steps';

/**
 * Deletes Jenkins nodes of agents (EC2, or the VPC's provider) that have
 * been offline longer than the grace period, terminating their machine when
 * it still runs and is the VPC's agent by the provider's ownership check
 * (`checkAgentOwnership` for EC2; a machine that is not ours: only
 * its node goes, reported in the run's items). What to do is decided by
 * `decideSweep`; each node is looked at once more right before it is
 * deleted, so a node that came back or was paused meanwhile is left alone,
 * and its instance's ownership is checked again right before terminating.
 * @public
 */
export class OfflineNodeSweep
  extends AgentRoutine<
    AgentRoutineOptions & {
      /** When each offline node was first seen offline (the grace runs from there). */
      sightings: NodeSightingStore;
    }
  >
  implements Routine
{
  readonly id = 'offline-node-sweep' as const;
  readonly title = 'Offline-node sweep';
  readonly description =
    'Deletes offline EC2 agent nodes (named by batchJobs.fleet.naming.nodeName, *-EC2-AGENT by default) after a grace period and terminates their instance if it still runs and is the VPC’s agent (tags, launched-by or launch template, VPC id and subnets); any other instance is left running. Never touches nodes paused by a person, nodes running a build, the built-in node or static agents.';

  async run(ctx: RoutineContext): Promise<string> {
    const { vpcs, clients, agents, sightings } = this.options;
    const { now, launches } = await this.startPass();
    let deleted = 0;
    let terminated = 0;
    let spared = 0;
    let failed = 0;
    for (const jenkins of [...new Set(vpcs.map(v => v.jenkins))]) {
      ctx.signal.throwIfAborted();
      const client = clients.get(jenkins)!;
      const controllerVpcs = vpcs.filter(v => v.jenkins === jenkins);
      const nodes = await observeNodes(client);
      const firstSeen = await sightings.observe(
        jenkins,
        nodes.filter(n => n.offline).map(n => n.name),
        now,
      );
      const instances = new Map<string, ObservedInstance>();
      const owners = new Map<string, OwnershipCheck>();
      for (const vpc of controllerVpcs) {
        const provider = agents.forVpc(vpc.name);
        if (!provider.capabilities(vpc.name).list) continue;
        for (const i of await provider.listAgents(vpc.name)) {
          instances.set(i.id, { ...i, vpc: vpc.name });
        }
        // Without terminate, nothing of the VPC is ours to terminate.
        if (provider.capabilities(vpc.name).terminate) {
          owners.set(vpc.name, await provider.ownership(vpc.name));
        }
      }
      const decisions = decideSweep({
        nodes,
        vpcs: controllerVpcs.map(v => ({
          name: v.name,
          labels: [v.agentLabels.batch, v.agentLabels.worker],
          hasAws: agents.canList(v.name),
          machineIdOf: node => agents.forVpc(v.name).machineIdOf(v.name, node),
        })),
        firstSeenOffline: firstSeen,
        instances,
        owners,
        launchesInProgress: launches,
        now,
        gracePeriodMs: this.options.gracePeriodMs,
      });
      for (const d of decisions) {
        ctx.signal.throwIfAborted();
        if (d.action === 'spare') {
          spared++;
          await reportSpared(ctx, d.node, d.vpc, d.reason);
          continue;
        }
        if (ctx.dryRun) {
          await ctx.report([
            {
              action: 'delete-node',
              target: d.node,
              vpc: d.vpc,
              status: 'planned',
              message: `Would delete: ${d.reason}`,
            },
            ...(d.terminate
              ? [
                  {
                    action: 'terminate-instance',
                    target: d.instanceId!,
                    vpc: d.vpc,
                    status: 'planned' as const,
                    message: 'Would terminate its instance',
                  },
                ]
              : []),
            ...(d.instanceNotOurs !== undefined
              ? [notOursItem(d.instanceId!, d.vpc, d.instanceNotOurs)]
              : []),
          ]);
          deleted++;
          if (d.terminate) terminated++;
          continue;
        }
        const outcome = await this.delete(client, jenkins, d, ctx);
        if (outcome === 'failed') failed++;
        else if (outcome === 'spared') spared++;
        else {
          deleted++;
          if (outcome === 'deleted+terminated') terminated++;
        }
      }
    }
    const verb = ctx.dryRun ? 'would delete' : 'deleted';
    const summary = `${verb} ${deleted} node(s), ${
      ctx.dryRun ? 'would terminate' : 'terminated'
    } ${terminated} instance(s), spared ${spared}${
      failed ? `, ${failed} failed` : ''
    }`;
    if (failed) throw new Error(`Offline-node sweep: ${summary}`);
    return summary;
  }

  private async delete(
    client: JenkinsClient,
    jenkins: string,
    d: ReturnType<typeof decideSweep>[number],
    ctx: RoutineContext,
  ): Promise<'deleted' | 'deleted+terminated' | 'spared' | 'failed'> {
    const { agents, audit, sightings, logger } = this.options;
    // The world may have moved since the listing: look once more.
    let current;
    try {
      current = toObservedNode(await client.getComputer(d.node));
    } catch (error) {
      if (error instanceof NotFoundError) {
        await sightings.forget(jenkins, d.node);
        await reportSpared(
          ctx,
          d.node,
          d.vpc,
          'Already deleted by someone else',
        );
        return 'spared';
      }
      throw error;
    }
    if (
      !current.offline ||
      current.temporarilyOffline ||
      current.runningBuilds > 0
    ) {
      await reportSpared(
        ctx,
        d.node,
        d.vpc,
        'Came back, was paused or got a build since it was listed',
      );
      return 'spared';
    }
    let terminated = false;
    const result = await auditedStep(
      ctx,
      audit,
      {
        action: 'routine.node.delete',
        item: 'delete-node',
        vpc: d.vpc,
        target: d.node,
        parameters: {
          routine: this.id,
          runId: ctx.runId,
          terminateInstance: d.terminate,
        },
        detail: {
          instanceId: d.instanceId,
          offlineSince: d.offlineSince,
          reason: d.reason,
        },
      },
      async auditId => {
        let ec2State: string | undefined;
        let notOurs = d.instanceNotOurs;
        if (d.terminate && d.vpc && d.instanceId) {
          // Ours when listed; look again (tags can change), as the terminate endpoint does.
          try {
            const owned = await agents.assertOwned(d.vpc, d.instanceId, logger);
            if (owned) {
              // Terminate first, so the agent cannot reconnect to a deleted node's name.
              ec2State = await agents.terminatorOf(d.vpc)(d.vpc, d.instanceId);
              terminated = Boolean(ec2State);
              await ctx.report([
                {
                  action: 'terminate-instance',
                  target: d.instanceId,
                  vpc: d.vpc,
                  status: 'done',
                  message: `Instance is ${ec2State ?? 'already gone'}`,
                  auditId,
                },
              ]);
            }
          } catch (error) {
            if (!(error instanceof ConflictError)) throw error;
            notOurs = error.message;
          }
        }
        if (notOurs !== undefined && d.instanceId) {
          await ctx.report([
            { ...notOursItem(d.instanceId, d.vpc, notOurs), auditId },
          ]);
        }
        try {
          await client.deleteNode(d.node);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        await sightings.forget(jenkins, d.node);
        return {
          detail: {
            ec2State: ec2State ?? null,
            nodeDeleted: true,
            ...(notOurs !== undefined ? { instanceNotOurs: notOurs } : {}),
          },
          message: `Deleted: ${d.reason}`,
        };
      },
    );
    if (!result.ok) {
      logger.warn(`Sweep could not delete node ${d.node}: ${result.message}`);
      return 'failed';
    }
    logger.info('Sweep deleted offline node', {
      node: d.node,
      vpc: d.vpc,
      terminated,
    });
    return terminated ? 'deleted+terminated' : 'deleted';
  }
}

/** The run's item for an instance left running because it is not the VPC's agent. */
function notOursItem(instanceId: string, vpc: string | null, why: string) {
  return {
    action: 'spare-instance',
    target: instanceId,
    vpc,
    status: 'skipped' as const,
    message: `Not terminated, not the VPC's agent (${why}): only its node is deleted`,
  };
}
