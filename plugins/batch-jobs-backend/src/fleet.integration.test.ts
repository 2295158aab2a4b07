import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  startAllowedAndDenied,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The agent fleet end to end: the backend against the sandbox's Jenkins
 * and EC2 (manual clock), over HTTP, as the fleet page uses it.
 */

jest.setTimeout(120_000);

const CONNECT_TIMEOUT_S = 3;

describe('agent fleet against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;
  let deniedServer: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server, denied: deniedServer } = await startAllowedAndDenied(sandbox, {
      aws: {},
      batchJobs: {
        fleet: {
          connectTimeoutSeconds: CONNECT_TIMEOUT_S,
          pollIntervalSeconds: 0.2,
        },
      },
    }));
  });

  afterAll(() => closeSandbox(sandbox));

  const api = (s: any = server) => apiOf(s);

  const runInstancesCalls = () =>
    sandbox.aws.requests.filter(r => r.action === 'RunInstances' && r.status === 200).length;

  async function untilDone(id: string, timeoutMs = 10_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const res = await api().get(`/fleet/operations/${id}`);
      expect(res.status).toBe(200);
      if (res.body.state !== 'running' || Date.now() > end) return res.body;
      await new Promise(r => setTimeout(r, 200));
    }
  }

  const fleetOf = async (vpc: string) => {
    const res = await api().get('/fleet', { vpc });
    expect(res.status).toBe(200);
    return res.body.vpcs[0];
  };

  it('serves fleet pages polling at the same moment from one read of Jenkins and EC2', async () => {
    // With a read cache (the tests' default has none), fleet reads are kept briefly.
    const { server: cached } = await startSandboxBackend(sandbox, {
      aws: {},
      batchJobs: { cache: { ttlSeconds: 10 } },
    });
    const before = sandbox.requests.length;
    const awsBefore = sandbox.aws.requests.length;
    const answers = await Promise.all(Array.from({ length: 10 }, () => api(cached).get('/fleet')));
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.body.vpcs).toEqual(answers[0].body.vpcs);
    }
    const jenkinsCalls = sandbox.requests.slice(before);
    expect(jenkinsCalls.filter(r => r.path.startsWith('/computer/api/json'))).toHaveLength(1);
    expect(jenkinsCalls.filter(r => r.path.startsWith('/queue/api/json'))).toHaveLength(1);
    const describes = sandbox.aws.requests.slice(awsBefore).filter(r => r.action === 'DescribeInstances');
    expect(describes).toHaveLength(3);
  });

  it("shows each VPC's agents with their EC2 state, totals and queue", async () => {
    const before = sandbox.requests.length;
    const res = await api().get('/fleet');
    expect(res.status).toBe(200);
    expect(res.body.vpcs.map((v: any) => v.vpc)).toEqual(['DEV', 'STG', 'PROD']);
    // Jenkins side: one tree= request for all nodes, one for the queue.
    const jenkinsCalls = sandbox.requests.slice(before);
    expect(jenkinsCalls.filter(r => r.path.startsWith('/computer/api/json'))).toHaveLength(1);
    expect(jenkinsCalls.filter(r => r.path.startsWith('/queue/api/json'))).toHaveLength(1);

    for (const vpc of res.body.vpcs) {
      expect(vpc.jenkinsError).toBeUndefined();
      expect(vpc.ec2Error).toBeUndefined();
      const connected = vpc.agents.filter((a: any) => a.status === 'online');
      expect(connected.filter((a: any) => a.type === 'batch')).toHaveLength(2);
      expect(connected.filter((a: any) => a.type === 'worker')).toHaveLength(1);
      for (const agent of connected) {
        expect(agent).toMatchObject({
          node: `${agent.instanceId}-EC2-AGENT`,
          ec2State: 'running',
          launchTime: expect.stringMatching(/^\d{4}-/),
        });
      }
      const worker = connected.find((a: any) => a.type === 'worker');
      expect(worker).toMatchObject({ label: `${vpc.vpc}-worker-agent`, executors: { busy: 1, total: 1 } });
      expect(worker.builds[0].name).toBeTruthy();
      expect(vpc.totals.online).toBe(5);
    }
    const dev = res.body.vpcs[0];
    // The agent whose instance is gone, and the instance that never connected.
    expect(dev.agents).toContainEqual(
      expect.objectContaining({ status: 'offline', offlineReason: expect.stringMatching(/ClosedChannelException/), ec2State: null }),
    );
    expect(dev.agents).toContainEqual(expect.objectContaining({ node: null, status: null, ec2State: 'running' }));
    const stg = res.body.vpcs[1];
    expect(stg.agents).toContainEqual(
      expect.objectContaining({ status: 'temporarily-offline', offlineReason: 'paused for maintenance', ec2State: 'running' }),
    );
  });

  it('launches a worker agent in STG that ends as an online node labelled STG-worker-agent', async () => {
    const res = await api().post('/fleet/agents', { vpc: 'STG', type: 'worker', reason: 'more push capacity' }, 'launch-stg-1');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ state: 'running', vpc: 'STG', type: 'worker', actor: 'user:default/jane' });
    expect(res.body.steps.map((s: any) => s.name)).toEqual(['launch', 'pending', 'node-created']);
    const { instanceId, node, id } = res.body;
    expect(node).toBe(`${instanceId}-EC2-AGENT`);

    await sandbox.advance(30_000);
    const op = await untilDone(id);
    expect(op.state).toBe('succeeded');
    expect(op.steps.map((s: any) => s.name)).toEqual(['launch', 'pending', 'node-created', 'running', 'online']);

    const agent = (await fleetOf('STG')).agents.find((a: any) => a.node === node);
    expect(agent).toMatchObject({
      type: 'worker',
      label: 'STG-worker-agent',
      executors: { busy: 0, total: 1 },
      status: 'online',
      ec2State: 'running',
      launchedBy: 'user:default/jane',
      reason: 'more push capacity',
    });
    const audit = await api().get('/audit', { vpc: 'STG' });
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'agent.launch', outcome: 'succeeded', actor: 'user:default/jane' }),
    );
  });

  it('a repeated Idempotency-Key starts one instance', async () => {
    const calls = runInstancesCalls();
    const first = await api().post('/fleet/agents', { vpc: 'PROD', type: 'batch' }, 'double-click-1');
    const second = await api().post('/fleet/agents', { vpc: 'PROD', type: 'batch' }, 'double-click-1');
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(runInstancesCalls()).toBe(calls + 1);
    const other = await api().post('/fleet/agents', { vpc: 'PROD', type: 'worker' }, 'double-click-1');
    expect(other.status).toBe(409);
    await sandbox.advance(30_000);
    expect((await untilDone(first.body.id)).state).toBe('succeeded');
  });

  it('rolls back a launch whose agent never connects, and audits the failure', async () => {
    sandbox.aws.faults.set({ action: 'RunInstances', agentNeverConnects: true, times: 1 });
    const res = await api().post('/fleet/agents', { vpc: 'DEV', type: 'batch' });
    expect(res.status).toBe(202);
    const { id, instanceId, node } = res.body;
    await sandbox.advance(30_000);
    expect(sandbox.aws.instances.get(instanceId)!.state).toBe('running');

    const op = await untilDone(id, 15_000);
    expect(op.state).toBe('failed');
    expect(op.error).toMatch(/never connected/);
    expect(op.steps.map((s: any) => s.name)).toEqual(
      expect.arrayContaining(['timeout', 'terminate', 'node-deleted']),
    );
    expect(['shutting-down', 'terminated']).toContain(sandbox.aws.instances.get(instanceId)!.state);
    expect(sandbox.world.node(node)).toBeUndefined();

    const audit = await api().get('/audit', { vpc: 'DEV' });
    const row = audit.body.items.find((e: any) => e.action === 'agent.launch' && e.detail.instanceId === instanceId);
    expect(row).toMatchObject({ outcome: 'failed', detail: { error: expect.stringMatching(/never connected/) } });
  });

  it('explains EC2 capacity errors in plain words', async () => {
    sandbox.aws.faults.set({ action: 'RunInstances', error: 'InsufficientInstanceCapacity', times: 1 });
    const res = await api().post('/fleet/agents', { vpc: 'PROD', type: 'worker' });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/AWS EC2 in VPC PROD .*no capacity/);
    const audit = await api().get('/audit', { vpc: 'PROD' });
    expect(audit.body.items[0]).toMatchObject({ action: 'agent.launch', outcome: 'failed' });
  });

  it('refuses to terminate a busy agent (409) after draining it, and terminates with force', async () => {
    const stg = await fleetOf('STG');
    const busy = stg.agents.find((a: any) => a.type === 'worker' && a.executors.busy > 0);
    const res = await api().del(`/fleet/agents/${busy.node}`, { vpc: 'STG' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/running 1 build/);
    // Drained: no new build lands while it finishes.
    expect(sandbox.world.node(busy.node)!.temporarilyOffline).toBe(true);
    expect(sandbox.aws.instances.get(busy.instanceId)!.state).toBe('running');

    const forced = await api().del(`/fleet/agents/${busy.node}`, { vpc: 'STG', force: 'true' });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ ec2State: 'shutting-down', nodeDeleted: true });
    expect(sandbox.world.node(busy.node)).toBeUndefined();
    const audit = await api().get('/audit', { vpc: 'STG' });
    const rows = audit.body.items.filter((e: any) => e.action === 'agent.terminate' && e.target === busy.node);
    expect(rows.map((r: any) => r.outcome).sort()).toEqual(['failed', 'succeeded']);
  });

  it('terminates an idle agent: drain, terminate, delete', async () => {
    const prod = await fleetOf('PROD');
    const idle = prod.agents.find((a: any) => a.status === 'online' && a.executors.busy === 0);
    const res = await api().del(`/fleet/agents/${idle.node}`, { vpc: 'PROD' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ instanceId: idle.instanceId, ec2State: 'shutting-down', nodeDeleted: true });
    const toggles = sandbox.requests.filter(r => r.path.startsWith(`/computer/${idle.node}/toggleOffline`));
    expect(toggles).toHaveLength(1);
  });

  it("refuses (409) to terminate an instance that is not the VPC's agent, naming what is missing", async () => {
    // Another team's instance in DEV's account, and STG's agent asked for through DEV.
    const foreign = sandbox.aws.seedInstance({ vpc: 'DEV', type: 'batch', tags: [{ key: 'Name', value: 'payments-db' }] });
    const stgAgent = (await fleetOf('STG')).agents.find((a: any) => a.node && a.ec2State === 'running' && !a.launchedBy);
    const terminateCalls = () => sandbox.aws.requests.filter(r => r.action === 'TerminateInstances').length;
    const before = terminateCalls();

    const res = await api().del(`/fleet/agents/${foreign.instanceId}-EC2-AGENT`, { vpc: 'DEV' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      `Instance ${foreign.instanceId} is not an agent of VPC DEV that the portal may terminate: no tag Name=DEV-BATCH-AGENT (it has Name=payments-db)`,
    );
    const cross = await api().del(`/fleet/agents/${stgAgent.node}`, { vpc: 'DEV' });
    expect(cross.status).toBe(409);
    expect(cross.body.error.message).toMatch(/no tag Name=DEV-BATCH-AGENT \(it has Name=STG-BATCH-AGENT\); no tag batch-jobs.io\/launched-by or aws:ec2launchtemplate:id/);

    expect(terminateCalls()).toBe(before);
    expect(sandbox.aws.instances.get(foreign.instanceId)!.state).toBe('running');
    expect(sandbox.aws.instances.get(stgAgent.instanceId)!.state).toBe('running');
    // Nothing was drained on Jenkins either.
    expect(sandbox.world.node(stgAgent.node)!.temporarilyOffline).toBe(false);
  });

  it('needs the launch and terminate permissions', async () => {
    const launch = await api(deniedServer).post('/fleet/agents', { vpc: 'DEV', type: 'batch' });
    expect(launch.status).toBe(403);
    expect(launch.body.error.message).toMatch(/batch-jobs.agent.launch/);
    const stg = await fleetOf('STG');
    const anyAgent = stg.agents.find((a: any) => a.node);
    const del = await api(deniedServer).del(`/fleet/agents/${anyAgent.node}`, { vpc: 'STG' });
    expect(del.status).toBe(403);
  });
});
