import { ConfigReader } from '@backstage/config';
import {
  DEFAULT_AGENT_NAMING,
  agentTags,
  agentTypeOfTags,
  instanceIdOf,
  nodeNameOf,
  readAgentNaming,
  resolveAgentNaming,
} from './agentNaming';

const ID = 'i-0123456789abcdef0';
const read = (data: object, base = DEFAULT_AGENT_NAMING) =>
  readAgentNaming(new ConfigReader(data), 'batchJobs.fleet.naming', base);

describe('agent naming', () => {
  it("keeps today's conventions by default", () => {
    const dev = resolveAgentNaming(read({}), 'DEV');
    expect(dev).toEqual({
      nameTag: 'DEV-BATCH-AGENT',
      agentTypeTag: 'AgentType',
      nodeName: '{instanceId}-EC2-AGENT',
      labels: { batch: 'DEV-batch-agent', worker: 'DEV-worker-agent' },
      executors: { batch: 2, worker: 1 },
    });
    expect(nodeNameOf(dev, ID)).toBe(`${ID}-EC2-AGENT`);
    expect(instanceIdOf(dev, `${ID}-EC2-AGENT`)).toBe(ID);
    expect(instanceIdOf(dev, 'i-0abcdef1-EC2-AGENT')).toBe('i-0abcdef1');
    expect(agentTags(dev, 'worker')).toEqual({
      Name: 'DEV-BATCH-AGENT',
      AgentType: 'DEV-worker-agent',
    });
    expect(agentTags(dev, 'batch')).toEqual({ Name: 'DEV-BATCH-AGENT' });
  });

  it('names and finds back nodes by a configured template, and nothing else', () => {
    const stg = resolveAgentNaming(
      read({
        nameTag: 'jenkins-{vpc}',
        agentTypeTag: 'Role',
        nodeName: 'agent.{vpc}.{instanceId}',
        labels: { batch: '{vpc}_batch', worker: 'workers-{vpc}' },
        executors: { batch: 4 },
      }),
      'STG',
    );
    expect(nodeNameOf(stg, ID)).toBe(`agent.STG.${ID}`);
    expect(instanceIdOf(stg, `agent.STG.${ID}`)).toBe(ID);
    // The dot is literal; other VPCs, the old convention and other nodes are not ours.
    expect(instanceIdOf(stg, `agentXSTG.${ID}`)).toBeUndefined();
    expect(instanceIdOf(stg, `agent.DEV.${ID}`)).toBeUndefined();
    expect(instanceIdOf(stg, `${ID}-EC2-AGENT`)).toBeUndefined();
    expect(instanceIdOf(stg, 'agent.STG.built-in')).toBeUndefined();
    expect(stg.executors).toEqual({ batch: 4, worker: 1 });
    expect(agentTags(stg, 'worker')).toEqual({
      Name: 'jenkins-STG',
      Role: 'workers-STG',
    });
    expect(agentTypeOfTags(stg, { Role: 'workers-STG' })).toBe('worker');
    expect(agentTypeOfTags(stg, { Role: 'STG_batch' })).toBe('batch');
    expect(agentTypeOfTags(stg, {})).toBe('batch');
  });

  it('lets a VPC override the fleet-wide conventions', () => {
    const fleet = read({ nodeName: 'ci-{instanceId}' });
    const vpc = readAgentNaming(
      new ConfigReader({ executors: { worker: 3 } }),
      'batchJobs.vpcs[1].naming',
      fleet,
    );
    expect(vpc).toMatchObject({
      nodeName: 'ci-{instanceId}',
      executors: { batch: 2, worker: 3 },
    });
  });

  it.each([
    [
      { nodeName: '{vpc}-agent' },
      "batchJobs.fleet.naming.nodeName': '{vpc}-agent' must contain {instanceId} exactly once",
    ],
    [
      { nodeName: '{instanceId}-{instanceId}' },
      'must contain {instanceId} exactly once',
    ],
    [
      { nodeName: '{instanceID}-EC2-AGENT' },
      'uses {instanceID}; known placeholders: {vpc}, {instanceId}',
    ],
    [
      { nodeName: 'agents/{instanceId}' },
      'a character Jenkins refuses in node names',
    ],
    [
      { nameTag: '{vpc-BATCH' },
      "nameTag': '{vpc-BATCH' has an unmatched '{' or '}'",
    ],
    [{ nameTag: '{instanceId}-AGENT' }, 'known placeholders: {vpc}'],
    [{ agentTypeTag: 'aws:type' }, "agentTypeTag': 'aws:type' is reserved"],
    [
      { labels: { worker: '{vpc} workers' } },
      "labels.worker': '{vpc} workers' must be one Jenkins label",
    ],
    [
      { labels: { worker: '{vpc}-batch-agent' } },
      'batch and worker agents need different labels',
    ],
    [
      { executors: { batch: 0 } },
      "executors.batch': expected a whole number from 1 to 100, got 0",
    ],
    [{ executors: { worker: 1.5 } }, 'got 1.5'],
  ])('refuses %j at start-up, naming the key', (data, message) => {
    expect(() => read(data)).toThrow(message);
    expect(() => read(data)).toThrow(
      /^Invalid config at 'batchJobs\.fleet\.naming\./,
    );
  });
});
