import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { AgentType } from '@batch-jobs/plugin-batch-jobs-common';

/**
 * Where an agent machine is in its life, in EC2's words (the default
 * provider's), which every provider maps onto: a fixed machine in use is
 * `running`; a pod `Pending` is `pending`, `Running` is `running`,
 * `Terminating` is `shutting-down`, gone is `terminated`. The fleet, the
 * launcher and the routines read only these.
 * @public
 */
export type BatchJobsAgentState =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'shutting-down'
  | 'terminated';

/**
 * One machine (an EC2 instance, a host of a static pool, a pod) that runs,
 * or will run, one Jenkins agent node of a VPC.
 * @public
 */
export interface BatchJobsAgentMachine {
  /** The provider's id of the machine: an instance id, a host name, a pod name. */
  id: string;
  state: BatchJobsAgentState;
  /** null when the machine does not say which type of agent it runs. */
  type: AgentType | null;
  /** The Jenkins node the machine runs (or will, once its agent connects). */
  nodeName: string;
  /** ISO time the machine started (or was taken into use); null when unknown. */
  launchTime: string | null;
  /** Entity ref of the portal user who launched it; null for machines started elsewhere. */
  launchedBy: string | null;
  /** Why it was launched, as given at launch. */
  reason: string | null;
}

/** What a provider can do in one VPC; the portal neither offers nor does the rest. @public */
export interface BatchJobsAgentCapabilities {
  /** Its machines can be listed: without, the fleet shows Jenkins' nodes only. */
  list: boolean;
  /** It can start a new machine (a static pool cannot). */
  launch: boolean;
  /** It can terminate (or release) a machine it owns. */
  terminate: boolean;
}

/** Whether a machine is the provider's to destroy, and if not, what it lacks. @public */
export type BatchJobsAgentOwnership =
  | { ours: true }
  | { ours: false; missing: string[] };

/** A launch the portal asks a provider for. @public */
export interface BatchJobsAgentLaunchRequest {
  vpc: string;
  type: AgentType;
  /**
   * Idempotency: the same token must give the same machine (a retried
   * request starts no second one).
   */
  clientToken: string;
  /** Entity ref of the user launching; the provider records it on the machine. */
  launchedBy: string;
  reason: string | null;
}

/** What a launch started. @public */
export interface BatchJobsAgentLaunch {
  machine: BatchJobsAgentMachine;
  /** One line for the launch's progress, e.g. `RunInstances from DEV-BATCH-JENKINS-AGENT started i-0…`. */
  message: string;
}

/**
 * Where a VPC's Jenkins agents come from: EC2 instances from launch
 * templates by default; a static pool of fixed machines or Kubernetes pods
 * implement the same. The portal creates each launched machine's Jenkins
 * node itself (name from the machine, label and executors from config),
 * follows the launch until the node connects, and deletes the node when it
 * terminates the machine.
 *
 * Methods that change the world are optional: a provider without `launch`
 * or `terminate` makes the portal refuse those with a 400 and the fleet page
 * not offer them. Failures should be `@backstage/errors` (their status
 * reaches the user) with a message that names the provider and the VPC.
 * @public
 */
export interface BatchJobsAgentProvider {
  /** Names the provider in logs, the fleet response and audit rows, e.g. `ec2`, `static-pool`. */
  readonly id: string;

  capabilities(vpc: string): BatchJobsAgentCapabilities;

  /** The VPC's machines, ended ones included while the provider still knows them. */
  listAgents(vpc: string): Promise<BatchJobsAgentMachine[]>;

  /** One machine; undefined when the provider does not know it (any more). */
  describeAgent(
    vpc: string,
    id: string,
  ): Promise<BatchJobsAgentMachine | undefined>;

  /**
   * The machine behind a Jenkins node of the VPC, from the node's name;
   * undefined for nodes that are not this provider's agents (the built-in
   * node, other agents): those are never terminated or swept.
   */
  machineIdOf(vpc: string, nodeName: string): string | undefined;

  /**
   * Loads what ownership of the VPC's machines depends on (once per call)
   * and returns the check itself, pure, so a routine can apply it to every
   * listed machine. A machine is ours only when the provider created it for
   * this VPC: the portal never terminates anything else.
   */
  ownership(
    vpc: string,
  ): Promise<(machine: BatchJobsAgentMachine) => BatchJobsAgentOwnership>;

  /** Starts one machine of `type`; its agent then connects as `machine.nodeName`. */
  launch?(request: BatchJobsAgentLaunchRequest): Promise<BatchJobsAgentLaunch>;

  /**
   * Terminates (or releases) a machine the portal proved is ours. Returns
   * its new state, or undefined when the provider no longer knows it.
   */
  terminate?(vpc: string, id: string): Promise<BatchJobsAgentState | undefined>;
}

/** @public */
export interface BatchJobsAgentProviderExtensionPoint {
  /**
   * Replaces the EC2 provider in the VPCs named by `options.vpcs`, or in
   * every VPC without. A provider set for named VPCs wins over one set for
   * every VPC; two for the same VPC, or two for every VPC, fail at start-up.
   */
  setAgentProvider(
    provider: BatchJobsAgentProvider,
    options?: { vpcs?: string[] },
  ): void;
}

/**
 * Sets where a VPC's agents come from, from a backend module:
 *
 * ```ts
 * createBackendModule({
 *   pluginId: 'batch-jobs',
 *   moduleId: 'static-agents',
 *   register(env) {
 *     env.registerInit({
 *       deps: { agents: batchJobsAgentProviderExtensionPoint },
 *       async init({ agents }) {
 *         agents.setAgentProvider(new StaticPool(hosts), { vpcs: ['DEV'] });
 *       },
 *     });
 *   },
 * });
 * ```
 * @public
 */
export const batchJobsAgentProviderExtensionPoint =
  createExtensionPoint<BatchJobsAgentProviderExtensionPoint>({
    id: 'batch-jobs.agent-provider',
  });
