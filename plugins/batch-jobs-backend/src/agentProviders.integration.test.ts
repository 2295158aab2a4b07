import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  BatchJobsAgentMachine,
  BatchJobsAgentProvider,
  BatchJobsAgentState,
  batchJobsAgentProviderExtensionPoint,
} from '@batch-jobs/plugin-batch-jobs-node';
import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  startAllowedAndDenied,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The agent provider extension point end to end: a backend module gives
 * DEV a static pool of fixed machines instead of EC2 (STG and PROD keep
 * EC2), and the fleet page's reads, release and the refused launch go
 * through the real backend against the sandbox's Jenkins, with permission
 * checks and audit rows.
 */

jest.setTimeout(120_000);

interface PoolHost {
  host: string;
  vpc: string;
  /** Machines the pool did not hand out (another team's) are never released. */
  leasedByPool: boolean;
  state: BatchJobsAgentState;
}

/** A fixed set of machines with permanent Jenkins nodes `static-<host>`: nothing to launch. */
class StaticPool implements BatchJobsAgentProvider {
  readonly id = 'static-pool';
  readonly released: string[] = [];

  constructor(private readonly hosts: PoolHost[]) {}

  capabilities() {
    return { list: true, launch: false, terminate: true };
  }

  async listAgents(vpc: string) {
    return this.hosts.filter(h => h.vpc === vpc).map(h => this.machine(h));
  }

  async describeAgent(vpc: string, id: string) {
    const host = this.hosts.find(h => h.vpc === vpc && h.host === id);
    return host && this.machine(host);
  }

  machineIdOf(vpc: string, nodeName: string) {
    const host = /^static-(.+)$/.exec(nodeName)?.[1];
    return this.hosts.some(h => h.vpc === vpc && h.host === host)
      ? host
      : undefined;
  }

  async ownership(vpc: string) {
    return (machine: BatchJobsAgentMachine) => {
      const host = this.hosts.find(h => h.host === machine.id);
      return host?.vpc === vpc && host.leasedByPool
        ? { ours: true as const }
        : {
            ours: false as const,
            missing: [`pool lease of ${machine.id} for ${vpc}`],
          };
    };
  }

  /** Release: the machine goes back to the pool and out of the VPC's fleet. */
  async terminate(vpc: string, id: string) {
    const host = this.hosts.find(h => h.vpc === vpc && h.host === id);
    if (!host) return undefined;
    host.state = 'terminated';
    this.released.push(id);
    return host.state;
  }

  private machine(h: PoolHost): BatchJobsAgentMachine {
    return {
      id: h.host,
      state: h.state,
      type: 'batch',
      nodeName: `static-${h.host}`,
      launchTime: null,
      launchedBy: null,
      reason: null,
    };
  }
}

describe('a static agent pool set through the extension point', () => {
  let sandbox: Sandbox;
  let server: any;
  let deniedServer: any;
  const pool = new StaticPool([
    { host: 'dev-rack-1', vpc: 'DEV', leasedByPool: true, state: 'running' },
    { host: 'dev-rack-2', vpc: 'DEV', leasedByPool: true, state: 'running' },
    { host: 'dev-db-1', vpc: 'DEV', leasedByPool: false, state: 'running' },
  ]);

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    for (const host of ['dev-rack-1', 'dev-rack-2', 'dev-db-1']) {
      sandbox.world.addNode({
        name: `static-${host}`,
        labels: ['DEV-batch-agent'],
        numExecutors: 2,
        executors: [null, null],
        builtIn: false,
        offline: false,
        temporarilyOffline: false,
        offlineCause: null,
        connected: true,
        description: `DEV fixed machine ${host}`,
        connectedSince: sandbox.world.now(),
        remoteFS: '/home/jenkins',
        launcher: 'hudson.slaves.JNLPLauncher',
        monitor: {
          totalMemory: 8 * 1024 ** 3,
          freeMemory: 6 * 1024 ** 3,
          diskFree: 80 * 1024 ** 3,
          tmpFree: 12 * 1024 ** 3,
          responseMs: 30,
        },
      });
    }
    const staticAgents = createBackendModule({
      pluginId: 'batch-jobs',
      moduleId: 'static-agents',
      register(env) {
        env.registerInit({
          deps: { agents: batchJobsAgentProviderExtensionPoint },
          async init({ agents }) {
            agents.setAgentProvider(pool, { vpcs: ['DEV'] });
          },
        });
      },
    });
    ({ server, denied: deniedServer } = await startAllowedAndDenied(sandbox, {
      aws: {},
      features: [staticAgents],
    }));
  });

  afterAll(() => closeSandbox(sandbox));

  const api = (s: any = server) => apiOf(s);
  const auditOf = async (vpc: string, action: string) =>
    (await api().get('/audit', { vpc })).body.items.filter(
      (e: any) => e.action === action,
    );

  it("shows DEV's pool machines with their nodes and says what the provider can do", async () => {
    const res = await api().get('/fleet', { vpc: 'DEV,STG' });
    expect(res.status).toBe(200);
    const [dev, stg] = res.body.vpcs;
    expect(dev.agentProvider).toEqual({
      id: 'static-pool',
      capabilities: { list: true, launch: false, terminate: true },
    });
    expect(stg.agentProvider).toEqual({
      id: 'ec2',
      capabilities: { list: true, launch: true, terminate: true },
    });
    expect(dev.ec2Error).toBeUndefined();
    const rack = dev.agents.find((a: any) => a.node === 'static-dev-rack-1');
    expect(rack).toMatchObject({
      type: 'batch',
      label: 'DEV-batch-agent',
      status: 'online',
      instanceId: 'dev-rack-1',
      ec2State: 'running',
      executors: { total: 2 },
    });
    // DEV's EC2 nodes are Jenkins-only now: no machine of the pool behind them.
    const ec2Nodes = dev.agents.filter((a: any) =>
      /-EC2-AGENT$/.test(a.node ?? ''),
    );
    expect(ec2Nodes.length).toBeGreaterThan(0);
    for (const agent of ec2Nodes) {
      expect(agent).toMatchObject({ instanceId: null, ec2State: null });
    }
    // STG still joins Jenkins with EC2.
    expect(
      stg.agents.filter((a: any) => a.ec2State === 'running').length,
    ).toBeGreaterThan(0);
  });

  it('refuses a launch in DEV with a 400 after the permission check, and starts nothing', async () => {
    const runInstances = () =>
      sandbox.aws.requests.filter(r => r.action === 'RunInstances').length;
    const before = runInstances();
    const denied = await api(deniedServer).post('/fleet/agents', {
      vpc: 'DEV',
      type: 'batch',
    });
    expect(denied.status).toBe(403);

    const res = await api().post('/fleet/agents', {
      vpc: 'DEV',
      type: 'batch',
      reason: 'more capacity',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      "Agents of VPC DEV come from 'static-pool', which cannot launch agents",
    );
    expect(runInstances()).toBe(before);
    // Nothing was attempted, so nothing is audited.
    expect(await auditOf('DEV', 'agent.launch')).toEqual([]);
  });

  it('releases a pool machine: permission, drain, release through the provider, node deleted, audited', async () => {
    const denied = await api(deniedServer).del(
      '/fleet/agents/static-dev-rack-2',
      { vpc: 'DEV' },
    );
    expect(denied.status).toBe(403);
    expect(pool.released).toEqual([]);

    const res = await api().del('/fleet/agents/static-dev-rack-2', {
      vpc: 'DEV',
      reason: 'rack maintenance',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      vpc: 'DEV',
      node: 'static-dev-rack-2',
      instanceId: 'dev-rack-2',
      ec2State: 'terminated',
      nodeDeleted: true,
    });
    expect(pool.released).toEqual(['dev-rack-2']);
    expect(sandbox.world.node('static-dev-rack-2')).toBeUndefined();
    const toggles = sandbox.requests.filter(r =>
      r.path.startsWith('/computer/static-dev-rack-2/toggleOffline'),
    );
    expect(toggles).toHaveLength(1);
    const [row] = await auditOf('DEV', 'agent.terminate');
    expect(row).toMatchObject({
      outcome: 'succeeded',
      actor: 'user:default/jane',
      target: 'static-dev-rack-2',
      parameters: { force: false, reason: 'rack maintenance' },
      detail: {
        instanceId: 'dev-rack-2',
        ec2State: 'terminated',
        nodeDeleted: true,
      },
    });
    const fleet = await api().get('/fleet', { vpc: 'DEV' });
    expect(fleet.body.vpcs[0].agents.map((a: any) => a.node)).not.toContain(
      'static-dev-rack-2',
    );
  });

  it("refuses (409) a machine the pool did not lease, and (400) nodes that are not the pool's", async () => {
    const foreign = await api().del('/fleet/agents/static-dev-db-1', {
      vpc: 'DEV',
    });
    expect(foreign.status).toBe(409);
    expect(foreign.body.error.message).toBe(
      'Machine dev-db-1 is not an agent of VPC DEV that the portal may terminate: no pool lease of dev-db-1 for DEV',
    );
    expect(sandbox.world.node('static-dev-db-1')!.temporarilyOffline).toBe(
      false,
    );

    const dev = (await api().get('/fleet', { vpc: 'DEV' })).body.vpcs[0];
    const ec2Node = dev.agents.find((a: any) =>
      /-EC2-AGENT$/.test(a.node ?? ''),
    ).node;
    const notOurs = await api().del(`/fleet/agents/${ec2Node}`, { vpc: 'DEV' });
    expect(notOurs.status).toBe(400);
    expect(notOurs.body.error.message).toBe(
      `'${ec2Node}' is not an agent node of VPC DEV (provider 'static-pool')`,
    );
    expect(pool.released).toEqual(['dev-rack-2']);
    expect(
      (await auditOf('DEV', 'agent.terminate')).map((r: any) => r.target),
    ).toEqual(['static-dev-rack-2']);
  });
});
