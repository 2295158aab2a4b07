import { LAUNCHED_BY_TAG } from '@batch-jobs/plugin-batch-jobs-common';
import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Naming conventions as config, end to end: with non-default tags, node
 * names, labels and executors, a launch in the sandbox produces them, the
 * agent's bootstrap connects as the configured node, the fleet joins it,
 * and the sweep and the reaper recognise the agents by the same
 * conventions (and no longer by the old ones). The manual clock starts at
 * the real now, so EC2 launch times and Jenkins' offline causes line up
 * with the backend's clock.
 */

jest.setTimeout(120_000);

const HOUR = 3_600_000;

describe('agent naming from config against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ startTime: Date.now() });
    ({ server } = await startSandboxBackend(sandbox, {
      aws: {},
      batchJobs: {
        fleet: {
          connectTimeoutSeconds: 60,
          pollIntervalSeconds: 0.2,
          naming: {
            nameTag: '{vpc}-jenkins-runner',
            agentTypeTag: 'Role',
            nodeName: 'runner-{vpc}-{instanceId}',
            labels: { batch: '{vpc}-runners', worker: '{vpc}-workers' },
            executors: { batch: 3 },
          },
        },
        routines: {
          'offline-node-sweep': {
            frequency: { trigger: 'manual' },
            gracePeriod: { hours: 1 },
          },
          'orphan-reaper': {
            frequency: { trigger: 'manual' },
            gracePeriod: { hours: 2 },
          },
        },
      },
    }));
  });

  afterAll(() => closeSandbox(sandbox));

  const api = () => apiOf(server);
  const tagsOf = (instanceId: string) =>
    Object.fromEntries(
      sandbox.aws.instances.get(instanceId)!.tags.map(t => [t.key, t.value]),
    );

  async function launch(type: 'batch' | 'worker') {
    const res = await api().post('/fleet/agents', { vpc: 'DEV', type });
    expect(res.status).toBe(202);
    await sandbox.advance(30_000);
    const end = Date.now() + 10_000;
    for (;;) {
      const op = (await api().get(`/fleet/operations/${res.body.id}`)).body;
      if (op.state !== 'running' || Date.now() > end) return op;
      await new Promise(r => setTimeout(r, 200));
    }
  }

  async function run(id: string) {
    const res = await api().post(`/routines/${id}/run`, { dryRun: false });
    expect(res.status).toBe(202);
    const end = Date.now() + 30_000;
    for (;;) {
      const r = await api().get(`/routines/runs/${res.body.runId}`);
      if (r.body.outcome !== 'running') return r.body;
      if (Date.now() > end) throw new Error(`run of ${id} still running`);
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }
  const done = (result: any, action: string) =>
    result.items
      .filter((i: any) => i.action === action && i.status === 'done')
      .map((i: any) => i.target);

  let batch: { instanceId: string; node: string };
  let worker: { instanceId: string; node: string };

  it('launches agents tagged, named, labelled and sized by the configuration', async () => {
    const op = await launch('batch');
    expect(op.state).toBe('succeeded');
    batch = op;
    expect(op.node).toBe(`runner-DEV-${op.instanceId}`);
    expect(tagsOf(op.instanceId)).toMatchObject({
      Name: 'DEV-jenkins-runner',
      'batch-jobs.io/node-name': 'runner-DEV-{instanceId}',
      [LAUNCHED_BY_TAG]: 'user:default/jane',
    });
    expect(tagsOf(op.instanceId).Role).toBeUndefined();
    // The portal created the node; the instance's bootstrap connected as it.
    expect(sandbox.world.node(op.node)).toMatchObject({
      labels: ['DEV-runners'],
      numExecutors: 3,
      offline: false,
    });

    const w = await launch('worker');
    expect(w.state).toBe('succeeded');
    worker = w;
    expect(tagsOf(w.instanceId)).toMatchObject({
      Name: 'DEV-jenkins-runner',
      Role: 'DEV-workers',
    });
    expect(sandbox.world.node(w.node)).toMatchObject({
      labels: ['DEV-workers'],
      numExecutors: 1,
    });

    const dev = (await api().get('/fleet', { vpc: 'DEV' })).body.vpcs[0];
    expect(dev.agents.find((a: any) => a.node === op.node)).toMatchObject({
      type: 'batch',
      label: 'DEV-runners',
      instanceId: op.instanceId,
      ec2State: 'running',
      status: 'online',
      executors: { total: 3 },
    });
    expect(dev.agents.find((a: any) => a.node === w.node)).toMatchObject({
      type: 'worker',
      label: 'DEV-workers',
      ec2State: 'running',
    });
  });

  it('terminates a configured node through the endpoint, and refuses the old convention', async () => {
    const old = await api().del(`/fleet/agents/${batch.instanceId}-EC2-AGENT`, {
      vpc: 'DEV',
    });
    expect(old.status).toBe(400);
    expect(old.body.error.message).toMatch(
      /expected runner-DEV-\{instanceId\}/,
    );
  });

  it('the reaper recognises orphans by the configured name tag, and no longer by the old one', async () => {
    const orphan = sandbox.aws.seedInstance({
      vpc: 'DEV',
      type: 'batch',
      launchTime: sandbox.world.now() - 30 * HOUR,
      tags: [{ key: 'Name', value: 'DEV-jenkins-runner' }],
      agentConnects: false,
    });
    // The sandbox's own orphan, tagged by the old convention: not an agent any more.
    const oldOrphans = [...sandbox.aws.instances.values()].filter(
      i =>
        i.state === 'running' &&
        i.tags.some(t => t.key === 'Name' && t.value === 'DEV-BATCH-AGENT'),
    );
    expect(oldOrphans.length).toBeGreaterThan(0);

    const result = await run('orphan-reaper');
    expect(result.outcome).toBe('succeeded');
    expect(done(result, 'terminate-instance')).toEqual([orphan.instanceId]);
    expect(sandbox.aws.instances.get(orphan.instanceId)!.state).toBe(
      'shutting-down',
    );
    for (const i of oldOrphans) expect(i.state).toBe('running');
    // The launched agents have online nodes: left alone.
    expect(sandbox.aws.instances.get(batch.instanceId)!.state).toBe('running');
  });

  it('the sweep deletes a configured node offline past the grace period and terminates its instance', async () => {
    const node = sandbox.world.node(worker.node)!;
    sandbox.world.disconnectNode(
      node,
      'Connection was broken: java.nio.channels.ClosedChannelException',
      sandbox.world.now() - 2 * HOUR,
    );
    const result = await run('offline-node-sweep');
    expect(result.outcome).toBe('succeeded');
    // Only the configured node: the seeded offline `*-EC2-AGENT` node carries the old label.
    expect(done(result, 'delete-node')).toEqual([worker.node]);
    expect(done(result, 'terminate-instance')).toEqual([worker.instanceId]);
    expect(sandbox.world.node(worker.node)).toBeUndefined();
    expect(sandbox.aws.instances.get(worker.instanceId)!.state).toBe(
      'shutting-down',
    );
  });
});
