import { ObservedNode, decideReap } from './decisions';
import { AgentRoutine, AgentRoutineOptions, observeNodes } from './observe';
import { Routine, RoutineContext } from './RoutineRunner';
import { auditedStep, reportSpared } from './steps';

/**
 * Terminates agent instances (tag `Name=<naming.nameTag>`, or the VPC's
 * provider's machines) that have been
 * up longer than the grace period without an online Jenkins node, sparing
 * launches in progress and any instance that is not the VPC's agent by the
 * terminate endpoint's own rule (decided by `decideReap`). Leaves offline
 * nodes to the sweep.
 * @public
 */
export class OrphanReaper
  extends AgentRoutine<AgentRoutineOptions>
  implements Routine
{
  readonly id = 'orphan-reaper' as const;
  readonly title = 'Orphan reaper';
  readonly description =
    'Terminates EC2 agent instances (tagged Name=batchJobs.fleet.naming.nameTag, <VPC>-BATCH-AGENT by default) up longer than a grace period without an online Jenkins node. Spares launches in progress, nodes paused by a person, and instances that are not the VPC’s agents (tags, launched-by or launch template, VPC id and subnets).';

  async run(ctx: RoutineContext): Promise<string> {
    const { vpcs, clients, agents, audit, logger } = this.options;
    const { now, launches } = await this.startPass();
    const nodesByController = new Map<string, Map<string, ObservedNode>>();
    let terminated = 0;
    let spared = 0;
    let failed = 0;
    // Only where the provider both lists and terminates its machines.
    const withAws = vpcs.filter(v => {
      const can = agents.forVpc(v.name).capabilities(v.name);
      return can.list && can.terminate;
    });
    for (const vpc of withAws) {
      ctx.signal.throwIfAborted();
      let nodes = nodesByController.get(vpc.jenkins);
      if (!nodes) {
        const list = await observeNodes(clients.get(vpc.jenkins)!);
        nodes = new Map(list.map(n => [n.name, n]));
        nodesByController.set(vpc.jenkins, nodes);
      }
      const provider = agents.forVpc(vpc.name);
      const instances = (await provider.listAgents(vpc.name)).map(i => ({
        ...i,
        vpc: vpc.name,
      }));
      const decisions = decideReap({
        instances,
        nodes,
        launchesInProgress: launches,
        owners: new Map([[vpc.name, await provider.ownership(vpc.name)]]),
        now,
        gracePeriodMs: this.options.gracePeriodMs,
      });
      for (const d of decisions) {
        if (d.action === 'spare') {
          spared++;
          await reportSpared(ctx, d.instanceId, d.vpc, d.reason);
          continue;
        }
        if (ctx.dryRun) {
          terminated++;
          await ctx.report([
            {
              action: 'terminate-instance',
              target: d.instanceId,
              vpc: d.vpc,
              status: 'planned',
              message: `Would terminate: ${d.reason}`,
            },
          ]);
          continue;
        }
        const result = await auditedStep(
          ctx,
          audit,
          {
            action: 'routine.instance.terminate',
            item: 'terminate-instance',
            vpc: d.vpc,
            target: d.instanceId,
            parameters: { routine: this.id, runId: ctx.runId },
            detail: { node: d.node, reason: d.reason },
          },
          async () => {
            const state = await agents.terminatorOf(d.vpc)(d.vpc, d.instanceId);
            return {
              detail: { ec2State: state ?? null },
              message: `Terminated (${state ?? 'already gone'}): ${d.reason}`,
            };
          },
        );
        if (result.ok) {
          logger.info('Reaper terminated orphan instance', {
            vpc: d.vpc,
            instanceId: d.instanceId,
          });
          terminated++;
        } else {
          failed++;
        }
      }
    }
    const summary = `${
      ctx.dryRun ? 'would terminate' : 'terminated'
    } ${terminated} instance(s), spared ${spared}${
      failed ? `, ${failed} failed` : ''
    }${withAws.length === 0 ? ' (no VPC has AWS configured)' : ''}`;
    if (failed) throw new Error(`Orphan reaper: ${summary}`);
    return summary;
  }
}
