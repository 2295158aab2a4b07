import {
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import axios from 'axios';
import Jenkins from 'jenkins';
import { Sandbox, startSandbox } from './index';

const START = Date.UTC(2026, 10, 2, 9, 0);

/**
 * The glue between the simulated EC2 and Jenkins: instances boot and their
 * agents connect like the real bootstrap; nodes are managed through the
 * Jenkins routes the portal (and the `jenkins` npm client) use.
 */
describe('EC2 agents and Jenkins nodes', () => {
  let sandbox: Sandbox;
  let ec2: EC2Client;
  let jenkins: any;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, awsPort: 0, seed: 42, clock: 'manual', startTime: START });
    ec2 = new EC2Client({
      endpoint: sandbox.awsUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAANYKEY', secretAccessKey: 'anything' },
      maxAttempts: 1,
    });
    const { username, apiToken } = sandbox.credentials;
    jenkins = new Jenkins({
      baseUrl: `http://${username}:${apiToken}@${new URL(sandbox.jenkinsUrl).host}`,
      crumbIssuer: true,
    });
  });

  afterEach(async () => {
    ec2.destroy();
    await sandbox.close();
  });

  const computer = async (name: string) =>
    (
      await axios.get(`${sandbox.jenkinsUrl}/computer/${name}/api/json`, {
        auth: { username: 'admin', password: 'sandbox-token' },
        validateStatus: () => true,
      })
    );

  async function launch(template: string, tags: Array<{ Key: string; Value: string }> = []) {
    const out = await ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateName: template },
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: tags.length ? [{ ResourceType: 'instance', Tags: tags }] : undefined,
      }),
    );
    return out.Instances![0].InstanceId!;
  }

  it('seeds one instance per EC2 agent node, plus the orphan that never connected', () => {
    const ids = sandbox.world.nodes
      .map(n => /^(i-[0-9a-f]{17})-EC2-AGENT$/.exec(n.name)?.[1])
      .filter((id): id is string => !!id);
    expect(ids).toHaveLength(11);
    for (const id of ids) expect(sandbox.aws.instances.has(id)).toBe(true);
    const orphans = [...sandbox.aws.instances.values()].filter(i => !i.agentConnects);
    expect(orphans).toHaveLength(1);
    expect(sandbox.world.node(`${orphans[0].instanceId}-EC2-AGENT`)).toBeUndefined();
  });

  it('a booted worker instance creates its node and connects it', async () => {
    const id = await launch('STG-WORKER-JENKINS-AGENT');
    expect((await computer(`${id}-EC2-AGENT`)).status).toBe(404);

    await sandbox.advance(30_000);
    const res = await computer(`${id}-EC2-AGENT`);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      displayName: `${id}-EC2-AGENT`,
      numExecutors: 1,
      offline: false,
      temporarilyOffline: false,
      absoluteRemotePath: '/home/jenkins',
    });
    expect(res.data.assignedLabels.map((l: any) => l.name)).toEqual(['STG-worker-agent', `${id}-EC2-AGENT`]);
    const xml = await jenkins.node.config(`${id}-EC2-AGENT`);
    expect(xml).toContain('<launcher class="hudson.slaves.JNLPLauncher"/>');
  });

  it('a batch instance gets two executors and its label from the Name tag', async () => {
    const id = await launch('PROD-BATCH-JENKINS-AGENT');
    await sandbox.advance(30_000);
    const node = sandbox.world.node(`${id}-EC2-AGENT`)!;
    expect(node.labels).toEqual(['PROD-batch-agent']);
    expect(node.numExecutors).toBe(2);
    expect(node.offline).toBe(false);
  });

  it('connects as the node the launch named, whatever its Name tag, to the node the portal created', async () => {
    const id = await launch('DEV-BATCH-JENKINS-AGENT', [
      { Key: 'Name', Value: 'DEV-jenkins-runner' },
      { Key: 'batch-jobs.io/node-name', Value: 'runner-DEV-{instanceId}' },
    ]);
    // The portal creates the node right after RunInstances, with its own label.
    await jenkins.node.create({
      name: `runner-DEV-${id}`,
      type: 'hudson.slaves.DumbSlave',
      numExecutors: 3,
      remoteFS: '/home/jenkins',
      labelString: 'DEV-runners',
      launcher: { 'stapler-class': 'hudson.slaves.JNLPLauncher' },
    });
    await sandbox.advance(30_000);
    expect(sandbox.world.node(`${id}-EC2-AGENT`)).toBeUndefined();
    expect(sandbox.world.node(`runner-DEV-${id}`)).toMatchObject({
      labels: ['DEV-runners'],
      numExecutors: 3,
      offline: false,
    });
  });

  it('runs no agent on an instance from no agent template and without the agent Name tag', async () => {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'payments-db' }] }],
      }),
    );
    const id = out.Instances![0].InstanceId!;
    await sandbox.advance(30_000);
    expect(sandbox.world.node(`${id}-EC2-AGENT`)).toBeUndefined();
  });

  it('connects only after the instance runs, and not at all when the agent never connects', async () => {
    sandbox.aws.faults.set({ action: 'RunInstances', agentNeverConnects: true, times: 1 });
    const silent = await launch('DEV-BATCH-JENKINS-AGENT');
    const good = await launch('DEV-BATCH-JENKINS-AGENT');
    await sandbox.advance(2_000);
    expect(sandbox.aws.instances.get(good)!.state).toBe('pending');
    expect(sandbox.world.node(`${good}-EC2-AGENT`)).toBeUndefined();
    await sandbox.advance(60_000);
    expect(sandbox.aws.instances.get(silent)!.state).toBe('running');
    expect(sandbox.world.node(`${silent}-EC2-AGENT`)).toBeUndefined();
    expect(sandbox.world.node(`${good}-EC2-AGENT`)!.offline).toBe(false);
  });

  it('a terminated instance leaves its node offline with a broken channel', async () => {
    const id = await launch('STG-WORKER-JENKINS-AGENT');
    await sandbox.advance(30_000);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await sandbox.advance(60_000);
    expect(sandbox.aws.instances.get(id)!.state).toBe('terminated');
    const res = await computer(`${id}-EC2-AGENT`);
    expect(res.data).toMatchObject({ offline: true, temporarilyOffline: false });
    expect(res.data.offlineCause._class).toBe('hudson.slaves.OfflineCause$ChannelTermination');
    expect(res.data.offlineCauseReason).toMatch(/ClosedChannelException/);
  });

  it('a seeded running agent goes offline when its instance is terminated', async () => {
    const node = sandbox.world.nodes.find(n => n.labels.includes('PROD-worker-agent'))!;
    const id = node.name.replace('-EC2-AGENT', '');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await sandbox.advance(1_000);
    expect(node.offline).toBe(true);
    expect(node.offlineCause).toMatchObject({ kind: 'channel' });
  });

  it('creates, pauses, resumes and deletes nodes through the jenkins client', async () => {
    await jenkins.node.create({
      name: 'i-0123456789abcdef0-EC2-AGENT',
      type: 'hudson.slaves.DumbSlave',
      numExecutors: 1,
      remoteFS: '/home/jenkins',
      labelString: 'STG-worker-agent',
      nodeDescription: 'STG worker agent (EC2)',
      mode: 'EXCLUSIVE',
    });
    let node = await jenkins.node.get('i-0123456789abcdef0-EC2-AGENT');
    // An inbound agent is offline until it connects, without a cause.
    expect(node).toMatchObject({ numExecutors: 1, offline: true, temporarilyOffline: false, offlineCause: null });
    await expect(
      jenkins.node.create({ name: 'i-0123456789abcdef0-EC2-AGENT', type: 'hudson.slaves.DumbSlave' }),
    ).rejects.toThrow(/failed to create/);

    const paused = sandbox.world.nodes.find(n => n.labels.includes('DEV-worker-agent'))!.name;
    await jenkins.node.disable(paused, 'draining for termination');
    node = await jenkins.node.get(paused);
    expect(node).toMatchObject({ offline: true, temporarilyOffline: true, offlineCauseReason: 'draining for termination' });
    await jenkins.node.enable(paused);
    node = await jenkins.node.get(paused);
    expect(node).toMatchObject({ offline: false, temporarilyOffline: false });

    await jenkins.node.destroy('i-0123456789abcdef0-EC2-AGENT');
    expect(await jenkins.node.exists('i-0123456789abcdef0-EC2-AGENT')).toBe(false);
    await expect(jenkins.node.destroy('i-0123456789abcdef0-EC2-AGENT')).rejects.toThrow();
  });

  it('a paused agent takes no work; resumed, the queue moves onto it', async () => {
    const workers = sandbox.world.nodes.filter(n => n.labels.includes('DEV-batch-agent') && !n.offline);
    for (const n of workers) await jenkins.node.disable(n.name, 'maintenance');
    const queueId = await jenkins.job.build({ name: 'DEV/report-builder/daily-report' });
    await sandbox.advance(10_000);
    let item = await jenkins.queue.item(queueId);
    expect(item.executable ?? null).toBeNull();
    expect(item.why).toMatch(/offline/);
    await jenkins.node.enable(workers[0].name);
    await sandbox.advance(1_000);
    item = await jenkins.queue.item(queueId);
    expect(item.executable.number).toEqual(expect.any(Number));
  });
});
