import { RawComputer } from '../services/jenkins/types';
import { JenkinsClient } from '../services/jenkins/JenkinsClient';
import { buildsOf } from '../services/fleet/FleetView';
import { FleetOperationStore } from '../database/DatabaseFleetOperationStore';
import { ObservedNode } from './decisions';

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
