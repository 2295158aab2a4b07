import { Random } from '../world/random';
import type { AwsWorld, Ec2Instance } from './world';

/** What the seed needs to know of a Jenkins node (the sandbox's `Node` fits). @public */
export interface SeedableNode {
  name: string;
  labels: string[];
  offline: boolean;
  temporarilyOffline?: boolean;
  offlineCause?: { timestamp?: number } | null;
  connectedSince?: number | null;
}

const HOUR = 3_600_000;

/**
 * Gives every seeded EC2 agent node its instance: running for connected or
 * paused nodes, terminated (at the time the channel broke, so EC2 no longer
 * lists it) for nodes whose agent is gone. Adds one orphan: a running batch
 * instance whose agent never connected, launched `orphanAgeMs` ago, for the
 * orphan reaper.
 *
 * @public
 */
export function seedInstancesForNodes(
  world: AwsWorld,
  nodes: readonly SeedableNode[],
  options: { orphanVpc?: string; orphanAgeMs?: number } = {},
): { instances: Ec2Instance[]; orphan?: Ec2Instance } {
  const instances: Ec2Instance[] = [];
  const now = world.now();
  for (const node of nodes) {
    const id = /^(i-[0-9a-f]{17})-EC2-AGENT$/.exec(node.name)?.[1];
    if (!id) continue;
    const label = node.labels.find(l => /-(batch|worker)-agent$/.test(l));
    const match = label && /^(.+)-(batch|worker)-agent$/.exec(label);
    if (!match || !world.vpcs.has(match[1])) continue;
    const random = Random.derive(world.seed, 'aws', 'seed-node', id);
    const connected = node.connectedSince ?? now - random.int(2, 48) * HOUR;
    const launchTime = connected - random.int(40, 180) * 1000;
    const gone = node.offline && !node.temporarilyOffline;
    instances.push(
      world.seedInstance({
        vpc: match[1],
        type: match[2] as 'batch' | 'worker',
        instanceId: id,
        launchTime,
        state: gone ? 'terminated' : 'running',
        terminatedAt: gone
          ? node.offlineCause?.timestamp ?? now - 26 * HOUR
          : undefined,
      }),
    );
  }
  const orphanVpc = options.orphanVpc ?? [...world.vpcs.keys()][0];
  const orphan = orphanVpc
    ? world.seedInstance({
        vpc: orphanVpc,
        type: 'batch',
        launchTime: now - (options.orphanAgeMs ?? 30 * HOUR),
        agentConnects: false,
      })
    : undefined;
  return { instances, orphan };
}
