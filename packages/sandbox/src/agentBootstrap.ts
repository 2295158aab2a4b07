import type { AwsWorld, Ec2Instance, InstanceStateName } from './aws';
import { jenkinsAgentOf } from './aws';
import type { World } from './world/world';

/** Sandbox ms between an instance reaching `running` and its agent's JNLP connection. */
export const AGENT_CONNECT_DELAY_MS = 3000;

/**
 * What the agent image's bootstrap does on a real instance, driven by EC2
 * state changes: once running it creates its Jenkins node if missing (name,
 * label and executors from its tags) and connects; when the instance goes
 * away the node's channel closes and the node stays, offline. Instances
 * whose agent never connects (`agentConnects: false`) do nothing.
 */
export function bootstrapAgents(
  jenkins: World,
  aws: AwsWorld,
  options: { connectDelayMs?: number } = {},
): () => void {
  const delay = options.connectDelayMs ?? AGENT_CONNECT_DELAY_MS;
  return aws.onInstanceStateChange(
    (instance: Ec2Instance, _previous: InstanceStateName | null, at: number) => {
      const agent = jenkinsAgentOf(instance);
      if (!agent) return;
      if (instance.state === 'running') {
        if (!instance.agentConnects) return;
        jenkins.at(at + delay, connectedAt => {
          // Terminated while booting: nothing left to connect.
          if (instance.state !== 'running') return;
          let node = jenkins.node(agent.nodeName);
          if (!node) {
            node = jenkins.addNode({
              name: agent.nodeName,
              labels: [agent.label],
              numExecutors: agent.executors,
              executors: new Array(agent.executors).fill(null),
              builtIn: false,
              offline: true,
              temporarilyOffline: false,
              offlineCause: null,
              connected: false,
              description: `${agent.vpc} ${agent.type} agent (EC2)`,
              connectedSince: connectedAt,
              remoteFS: '/home/jenkins',
              launcher: 'hudson.slaves.JNLPLauncher',
              monitor: {
                totalMemory: 8 * 1024 ** 3,
                freeMemory: 6 * 1024 ** 3,
                diskFree: 80 * 1024 ** 3,
                tmpFree: 12 * 1024 ** 3,
                responseMs: 35,
              },
            });
          }
          jenkins.connectNode(node, connectedAt);
        });
        return;
      }
      if (instance.state === 'shutting-down' || instance.state === 'terminated') {
        const node = jenkins.node(agent.nodeName);
        if (node && node.connected !== false) {
          jenkins.disconnectNode(
            node,
            'Connection was broken: java.nio.channels.ClosedChannelException',
            at,
          );
        }
      }
    },
  );
}
