import { RawComputer } from '../services/jenkins/types';
import { JenkinsClient } from '../services/jenkins/JenkinsClient';
import { buildsOf } from '../services/fleet/FleetView';
import { FleetOperationStore } from '../database/DatabaseFleetOperationStore';
import { LoggerService } from '@backstage/backend-plugin-api';
import { VpcConfig } from '../config';
import { AuditStore } from '../database/types';
import { AgentProviders } from '../services/fleet/AgentProviders';
import { ObservedNode, formatAge } from './decisions';

/** A Jenkins node as the decisions read it. */
export function toObservedNode(c: RawComputer): ObservedNode {
  const causeAt = c.offlineCause?.timestamp;
  return {
    name: c.displayName ?? '',
    offline: Boolean(c.offline),
    temporarilyOffline: Boolean(c.temporarilyOffline),
    labels: (c.assignedLabels ?? []).map(l => l?.name ?? '').filter(Boolean),
    runningBuilds: buildsOf(c).length,
    // A person's cause is a pause, not a sign the agent is gone.
    offlineCauseAt:
      !c.temporarilyOffline && typeof causeAt === 'number' && causeAt > 0
        ? causeAt
        : null,
  };
}

/** Every node of a controller: one `tree=` request. */
export async function observeNodes(
  client: JenkinsClient,
): Promise<ObservedNode[]> {
  const set = await client.listFleetComputers();
  return (set.computer ?? [])
    .filter((c): c is RawComputer => !!c && !!c.displayName)
    .map(toObservedNode);
}

/** Node names and instance ids of launches the fleet is still following. */
export async function launchesInProgress(
  operations: FleetOperationStore,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const op of await operations.listRunning()) {
    if (op.instanceId) out.add(op.instanceId);
    if (op.node) out.add(op.node);
  }
  return out;
}

/** What the sweep and the reaper are built from. @public */
export interface AgentRoutineOptions {
  vpcs: VpcConfig[];
  clients: Map<string, JenkinsClient>;
  agents: AgentProviders;
  audit: AuditStore;
  /** Launches still followed: their machines and nodes are never touched. */
  operations: FleetOperationStore;
  logger: LoggerService;
  /** How long a node or machine must look abandoned before it is acted on. */
  gracePeriodMs: number;
  now?: () => Date;
}

/**
 * The sweep's and the reaper's common ground: their settings, and what a
 * pass starts from (its time, and the launches it must spare).
 */
export abstract class AgentRoutine<O extends AgentRoutineOptions> {
  constructor(protected readonly options: O) {}

  settings() {
    return { gracePeriod: formatAge(this.options.gracePeriodMs) };
  }

  protected async startPass() {
    return {
      now: this.options.now?.() ?? new Date(),
      launches: await launchesInProgress(this.options.operations),
    };
  }
}
