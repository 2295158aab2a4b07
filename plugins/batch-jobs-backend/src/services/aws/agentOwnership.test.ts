import { LAUNCHED_BY_TAG } from '@batch-jobs/plugin-batch-jobs-common';
import { checkAgentOwnership } from './agentOwnership';

const rules = {
  vpc: 'DEV',
  nameTag: 'DEV-BATCH-AGENT',
  agentTypeTag: 'AgentType',
  agentLabels: { batch: 'DEV-batch-agent', worker: 'DEV-worker-agent' },
  launchTemplateIds: ['lt-0batch', 'lt-0worker'],
};
const fromTemplate = {
  instanceId: 'i-0123456789abcdef0',
  tags: { Name: 'DEV-BATCH-AGENT', 'aws:ec2launchtemplate:id': 'lt-0batch' },
  vpcId: 'vpc-0dev',
  subnetId: 'subnet-0a',
};

describe('checkAgentOwnership', () => {
  it('takes agents launched by the portal or from the VPC launch templates', () => {
    expect(checkAgentOwnership(fromTemplate, rules)).toEqual({ ours: true });
    const worker = {
      ...fromTemplate,
      tags: { Name: 'DEV-BATCH-AGENT', AgentType: 'DEV-worker-agent', [LAUNCHED_BY_TAG]: 'user:default/jane' },
    };
    expect(checkAgentOwnership(worker, rules)).toEqual({ ours: true });
  });

  it("names every missing mark of an instance that is not the VPC's agent", () => {
    const result = checkAgentOwnership(
      { tags: { Name: 'payments-db' } },
      rules,
    );
    expect(result.ours).toBe(false);
    expect(!result.ours && result.missing).toEqual([
      'tag Name=DEV-BATCH-AGENT (it has Name=payments-db)',
      "tag batch-jobs.io/launched-by or aws:ec2launchtemplate:id of the VPC's launch templates (lt-0batch, lt-0worker)",
    ]);
  });

  it("refuses another VPC's agents and other launch templates", () => {
    const stg = {
      ...fromTemplate,
      tags: { Name: 'STG-BATCH-AGENT', AgentType: 'STG-worker-agent', 'aws:ec2launchtemplate:id': 'lt-0stg' },
    };
    const result = checkAgentOwnership(stg, rules);
    expect(!result.ours && result.missing).toEqual([
      'tag Name=DEV-BATCH-AGENT (it has Name=STG-BATCH-AGENT)',
      'tag AgentType=DEV-worker-agent or DEV-batch-agent (it has AgentType=STG-worker-agent)',
      "tag batch-jobs.io/launched-by or aws:ec2launchtemplate:id of the VPC's launch templates (lt-0batch, lt-0worker) (it has lt-0stg)",
    ]);
  });

  it('checks the VPC id and subnets when they are configured', () => {
    const placed = { ...rules, vpcId: 'vpc-0dev', subnetIds: ['subnet-0a', 'subnet-0b'] };
    expect(checkAgentOwnership(fromTemplate, placed)).toEqual({ ours: true });
    const elsewhere = checkAgentOwnership(
      { ...fromTemplate, vpcId: 'vpc-0other', subnetId: 'subnet-0z' },
      placed,
    );
    expect(!elsewhere.ours && elsewhere.missing).toEqual([
      'VPC id vpc-0dev (it is in vpc-0other)',
      'subnet subnet-0a or subnet-0b (it is in subnet-0z)',
    ]);
    // Terminated instances have no VPC: they are not taken for ours either.
    const gone = checkAgentOwnership({ ...fromTemplate, vpcId: null, subnetId: null }, placed);
    expect(gone.ours).toBe(false);
  });
});
