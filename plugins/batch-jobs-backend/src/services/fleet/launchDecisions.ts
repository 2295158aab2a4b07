import { FleetOperation } from '@batch-jobs/plugin-batch-jobs-common';

/** What the launcher saw of the instance and its node on one check. @public */
export interface LaunchObservation {
  /** EC2 state; null when EC2 does not list the instance (any more). */
  instanceState: string | null;
  /** null when Jenkins has no node of that name. */
  node: { online: boolean; offlineReason: string | null } | null;
  now: Date;
}

/** The next thing to do for a running launch. @public */
export type LaunchDecision =
  | { action: 'wait'; step?: { name: string; message: string } }
  | { action: 'succeed'; steps: Array<{ name: string; message: string }> }
  | { action: 'roll-back'; reason: string; step: string };

const ENDED = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Decides a launch's next move from what was observed: pure, so the state
 * machine is tested without EC2 or Jenkins.
 *   pending → running → node online = success;
 *   the instance ending early, or no online node by the deadline = roll back.
 * @public
 */
export function decideLaunch(
  op: Pick<FleetOperation, 'state' | 'steps' | 'deadline' | 'instanceId' | 'node'>,
  seen: LaunchObservation,
): LaunchDecision {
  if (op.state !== 'running') return { action: 'wait' };
  const reached = new Set(op.steps.map(s => s.name));
  const running = {
    name: 'running',
    message: `Instance ${op.instanceId} is running; waiting for its agent to connect`,
  };
  if (seen.node?.online) {
    // Checks may be far apart: never skip a step in the progress shown.
    return {
      action: 'succeed',
      steps: [
        ...(reached.has('running') ? [] : [running]),
        { name: 'online', message: `Node ${op.node} is online` },
      ],
    };
  }
  if (seen.instanceState === null || ENDED.has(seen.instanceState)) {
    return {
      action: 'roll-back',
      step: 'instance-lost',
      reason: `Instance ${op.instanceId} ${
        seen.instanceState ? `went ${seen.instanceState}` : 'disappeared'
      } before its agent came online`,
    };
  }
  if (seen.now.getTime() >= Date.parse(op.deadline)) {
    const waited = Math.round(
      (Date.parse(op.deadline) - Date.parse(firstAt(op))) / 1000,
    );
    return {
      action: 'roll-back',
      step: 'timeout',
      reason: `Node ${op.node} did not come online within ${waited} s (instance ${seen.instanceState}${
        seen.node ? ', node offline' : ', no node on Jenkins'
      }); the agent never connected`,
    };
  }
  if (seen.instanceState === 'running' && !reached.has('running')) {
    return { action: 'wait', step: running };
  }
  return { action: 'wait' };
}

function firstAt(op: Pick<FleetOperation, 'steps' | 'deadline'>): string {
  return op.steps[0]?.at ?? op.deadline;
}
