import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import { JsonValue } from '@backstage/types';
import {
  AgentBuild,
  AgentImage,
  AgentStatus,
  FleetAgent,
  FleetQueueItem,
  FleetTotals,
  VpcFleet,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsAgentMachine } from '@batch-jobs/plugin-batch-jobs-node';
import { VpcConfig } from '../../config';
import { ReadCache } from '../jobs/ReadCache';
import { AgentProviders } from './AgentProviders';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { RawComputer, RawComputerSet, RawQueueItem } from '../jenkins/types';
import {
  AgentInstance,
  Ec2Agents,
  LaunchTemplateDefault,
} from '../aws/Ec2Agents';
import { agentImageOf, summarizeImages } from './imageAge';

const ENDED = new Set(['shutting-down', 'terminated']);

/** Builds running on a node's executors. @public */
export function buildsOf(computer: RawComputer): AgentBuild[] {
  const out: AgentBuild[] = [];
  for (const executor of computer.executors ?? []) {
    if (!executor || executor.idle !== false) continue;
    const exe = executor.currentExecutable;
    out.push({
      name:
        exe?.fullDisplayName ??
        (exe?.url ? decodeURIComponent(exe.url) : 'pipeline node step'),
      url: exe?.url ?? null,
    });
  }
  return out;
}

function statusOf(computer: RawComputer): AgentStatus {
  if (computer.temporarilyOffline) return 'temporarily-offline';
  return computer.offline ? 'offline' : 'online';
}

/** The label a queue item waits for, from Jenkins' why ("… on ‘X’", "label ‘X’"). */
export function labelOfWhy(why: string | null | undefined): string | null {
  const match = /[‘'"]([^’'"]+)[’'"]/.exec(why ?? '');
  return match ? match[1] : null;
}

function agentTypeOf(label: string | null, vpc: VpcConfig): FleetAgent['type'] {
  if (label === vpc.agentLabels.worker) return 'worker';
  return label ? 'batch' : null;
}

/**
 * Joins what Jenkins and the agent provider (EC2) say about a VPC's agents.
 * Pure: tested with captured shapes.
 * @public
 */
export function joinFleet(
  vpc: VpcConfig,
  computers: RawComputer[],
  instances: BatchJobsAgentMachine[] | null,
  queue: RawQueueItem[],
  /** The machine behind a node (the provider's `machineIdOf`). */
  machineIdOf: (nodeName: string) => string | undefined,
): Pick<VpcFleet, 'agents' | 'totals' | 'queue'> {
  const labels = [vpc.agentLabels.batch, vpc.agentLabels.worker];
  const byId = new Map((instances ?? []).map(i => [i.id, i]));
  const agents: FleetAgent[] = [];
  const seen = new Set<string>();
  for (const c of computers) {
    const name = c.displayName ?? '';
    const nodeLabels = (c.assignedLabels ?? []).map(l => l?.name ?? '');
    const instanceId = machineIdOf(name) ?? null;
    const instance = instanceId ? byId.get(instanceId) : undefined;
    const label = labels.find(l => nodeLabels.includes(l)) ?? null;
    if (!label && !instance) continue;
    if (instanceId) seen.add(instanceId);
    const builds = buildsOf(c);
    const total = c.numExecutors ?? 0;
    agents.push({
      node: name,
      type: agentTypeOf(label, vpc),
      label,
      executors: { busy: builds.length, total },
      builds,
      status: statusOf(c),
      offlineReason: c.offline
        ? c.offlineCauseReason ||
          c.offlineCause?.description ||
          'agent not connected'
        : null,
      instanceId,
      ec2State: instance?.state ?? (instances ? null : null),
      launchTime: instance?.launchTime ?? null,
      launchedBy: instance?.launchedBy ?? null,
      reason: instance?.reason ?? null,
    });
  }
  // Instances without a node: booting, or agents that never connected.
  for (const instance of instances ?? []) {
    if (seen.has(instance.id) || instance.state === 'terminated') continue;
    const type = instance.type ?? 'batch';
    agents.push({
      node: null,
      type,
      label: vpc.agentLabels[type],
      executors: { busy: 0, total: 0 },
      builds: [],
      status: null,
      offlineReason: null,
      instanceId: instance.id,
      ec2State: instance.state,
      launchTime: instance.launchTime,
      launchedBy: instance.launchedBy,
      reason: instance.reason,
    });
  }
  const totals: FleetTotals = {
    agents: agents.length,
    online: 0,
    busy: 0,
    idle: 0,
    offline: 0,
  };
  for (const a of agents) {
    if (a.status === 'online') {
      totals.online += a.executors.total;
      totals.busy += a.executors.busy;
      totals.idle += a.executors.total - a.executors.busy;
    } else if (a.status) {
      totals.offline += a.executors.total;
    }
  }
  const folder = vpc.folder
    ? `/job/${vpc.folder.split('/').map(encodeURIComponent).join('/job/')}/`
    : '';
  const fleetQueue: FleetQueueItem[] = [];
  for (const item of queue) {
    const label = labelOfWhy(item.why);
    const inVpc = label
      ? labels.includes(label)
      : Boolean(folder && item.task?.url?.includes(folder));
    if (!inVpc) continue;
    fleetQueue.push({
      id: item.id ?? 0,
      task: item.task?.name ?? 'pipeline node step',
      url: item.task?.url ?? null,
      label,
      why: item.why ?? null,
      inQueueSince: item.inQueueSince
        ? new Date(item.inQueueSince).toISOString()
        : null,
      stuck: Boolean(item.stuck),
    });
  }
  agents.sort(
    (a, b) =>
      (a.type ?? '').localeCompare(b.type ?? '') ||
      (a.node ?? a.instanceId ?? '').localeCompare(
        b.node ?? b.instanceId ?? '',
      ),
  );
  return { agents, totals, queue: fleetQueue };
}

/**
 * The longest a fleet read is reused: the fleet page's refresh interval
 * (5 s), so one tab costs one read per refresh and fifty tabs cost the same.
 */
const FLEET_CACHE_MAX_MS = 5_000;

/**
 * `GET /fleet`: per VPC, agents from Jenkins (one `tree=` request for all
 * nodes and one for the queue, per controller) joined with the VPC's agent
 * provider (for EC2, one paginated DescribeInstances per VPC).
 * @public
 */
export class FleetView {
  constructor(
    private readonly options: {
      vpcs: VpcConfig[];
      clients: Map<string, JenkinsClient>;
      agents: AgentProviders;
      logger: LoggerService;
      /** An agent whose AMI is older than this (days) is stale; default 30. */
      maxImageAgeDays?: number;
      /** How long a VPC's template defaults are reused (the page polls); default 0. */
      cacheTtlMs?: number;
      cache: ReadCache;
      now?: () => Date;
    },
  ) {}

  /** AMI creation dates never change: each is asked for once. */
  private readonly imageDates = new Map<string, string>();

  /** A VPC's template defaults, reused for the read cache's TTL (the page polls). */
  private templateDefaults(
    provider: Ec2Agents,
    vpc: string,
  ): Promise<LaunchTemplateDefault[]> {
    return this.options.cache.get(
      `fleet:template-defaults:${vpc}`,
      this.options.cacheTtlMs ?? 0,
      () => provider.templateDefaults(vpc) as unknown as Promise<JsonValue>,
    ) as unknown as Promise<LaunchTemplateDefault[]>;
  }

  private async creationDates(
    provider: Ec2Agents,
    vpc: string,
    imageIds: string[],
  ): Promise<Map<string, string>> {
    const missing = imageIds.filter(id => !this.imageDates.has(id));
    if (missing.length > 0) {
      const found = await provider.imageCreationDates(vpc, missing);
      for (const [id, date] of found) this.imageDates.set(id, date);
    }
    return this.imageDates;
  }

  /**
   * Each EC2 agent's AMI and template version against its template's
   * default, and the VPC's summary. Other providers say nothing of images.
   */
  private async withImages(
    fleet: VpcFleet,
    provider: unknown,
    machines: BatchJobsAgentMachine[] | null,
  ): Promise<VpcFleet> {
    if (!(provider instanceof Ec2Agents) || !machines) return fleet;
    const maxAgeDays = this.options.maxImageAgeDays ?? 30;
    const byId = new Map(machines.map(m => [m.id, m as AgentInstance]));
    try {
      const defaults = await this.templateDefaults(provider, fleet.vpc);
      const created = await this.creationDates(
        provider,
        fleet.vpc,
        [
          ...machines.map(m => (m as AgentInstance).imageId ?? ''),
          ...defaults.map(d => d.imageId ?? ''),
        ].filter(Boolean),
      );
      const now = this.options.now?.() ?? new Date();
      const images: AgentImage[] = [];
      const agents = fleet.agents.map(agent => {
        const machine = agent.instanceId
          ? byId.get(agent.instanceId)
          : undefined;
        if (!machine || ENDED.has(machine.state)) return agent;
        const image = agentImageOf(machine, agent.type, {
          defaults,
          created,
          maxAgeDays,
          now,
        });
        images.push(image);
        return { ...agent, image };
      });
      return { ...fleet, agents, images: summarizeImages(images, maxAgeDays) };
    } catch (error) {
      this.options.logger.warn(
        `Could not read the images of VPC ${fleet.vpc}: ${
          isError(error) ? error.message : error
        }`,
      );
      return fleet;
    }
  }

  /**
   * Jenkins' and the provider's reads through the read cache: shared while
   * in flight and kept for its TTL, at most FLEET_CACHE_MAX_MS, so N open
   * fleet pages polling together cost one read.
   */
  private shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const ttl = Math.min(this.options.cacheTtlMs ?? 0, FLEET_CACHE_MAX_MS);
    // JSON by contract: Jenkins' answers, and machines of strings, numbers and nulls.
    return this.options.cache.get(
      `fleet:${key}`,
      ttl,
      read as unknown as () => Promise<JsonValue>,
    ) as unknown as Promise<T>;
  }

  async list(vpcNames?: string[]): Promise<VpcFleet[]> {
    const { clients, agents } = this.options;
    const vpcs = vpcNames
      ? this.options.vpcs.filter(v => vpcNames.includes(v.name))
      : this.options.vpcs;
    const controllers = [...new Set(vpcs.map(v => v.jenkins))];
    const jenkins = new Map(
      controllers.map(name => {
        const client = clients.get(name)!;
        return [
          name,
          this.shared(`jenkins:${name}`, () =>
            Promise.all([client.listFleetComputers(), client.listQueue()]).then(
              ([computers, queue]) => ({ computers, queue, error: undefined }),
              error => ({
                computers: { computer: [] } as RawComputerSet,
                queue: { items: [] as RawQueueItem[] },
                error: isError(error) ? error.message : String(error),
              }),
            ),
          ),
        ] as const;
      }),
    );
    return Promise.all(
      vpcs.map(async vpc => {
        const provider = agents.forVpc(vpc.name);
        const capabilities = provider.capabilities(vpc.name);
        const [j, instances] = await Promise.all([
          jenkins.get(vpc.jenkins)!,
          capabilities.list
            ? this.shared(`agents:${vpc.name}`, () =>
                provider.listAgents(vpc.name).then(
                  list => ({ list, error: undefined }),
                  error => ({
                    list: null,
                    error: isError(error) ? error.message : String(error),
                  }),
                ),
              )
            : Promise.resolve({ list: null, error: undefined }),
        ]);
        const joined = joinFleet(
          vpc,
          (j.computers.computer ?? []).filter((c): c is RawComputer => !!c),
          instances.list,
          j.queue.items ?? [],
          node => provider.machineIdOf(vpc.name, node),
        );
        const fleet: VpcFleet = {
          vpc: vpc.name,
          jenkins: vpc.jenkins,
          region: vpc.aws?.region ?? null,
          ...joined,
          ...(j.error ? { jenkinsError: j.error } : {}),
          ...(instances.error ? { ec2Error: instances.error } : {}),
          agentProvider: { id: provider.id, capabilities },
        };
        return this.withImages(fleet, provider, instances.list);
      }),
    );
  }
}
