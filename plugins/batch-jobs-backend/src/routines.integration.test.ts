import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  sandboxAws,
  startAllowedAndDenied,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The routines end to end against the sandbox (Jenkins, EC2, S3) on a
 * manual clock that starts at the real now, so EC2 launch times and Jenkins'
 * offline causes line up with the backend's clock. Schedules are disabled:
 * every run here is a "run now".
 */

jest.setTimeout(120_000);

const HOUR = 3_600_000;

describe('routines against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;
  let deniedServer: any;

  beforeAll(async () => {
    // The manual clock starts at the real now (see above).
    sandbox = await startTestSandbox({ startTime: Date.now() });
    ({ server, denied: deniedServer } = await startAllowedAndDenied(sandbox, {
      aws: {},
      batchJobs: {
        routines: {
          // Enabled but never scheduled: a routine disabled in config refuses real runs.
          'offline-node-sweep': { frequency: { trigger: 'manual' }, gracePeriod: { hours: 1 } },
          'orphan-reaper': { frequency: { trigger: 'manual' }, gracePeriod: { hours: 2 } },
          'jenkins-backup': {
            frequency: { trigger: 'manual' },
            job: 'jenkins-backup',
            pollInterval: { milliseconds: 50 },
            waitTimeout: { seconds: 60 },
            s3: {
              ...sandboxAws(sandbox, { maxAttempts: undefined }),
              bucket: 'jenkins-backups',
              prefix: 'jenkins/',
            },
            retention: { keepLast: 2 },
          },
        },
      },
    }));
  });

  afterAll(() => closeSandbox(sandbox));

  const api = (s: any = server) => apiOf(s);

  /** Starts a run and waits for it, moving the sandbox clock meanwhile (the backup build takes minutes). */
  async function run(id: string, dryRun: boolean) {
    const res = await api().post(`/routines/${id}/run`, { dryRun });
    expect(res.status).toBe(202);
    const { runId } = res.body;
    const end = Date.now() + 60_000;
    for (;;) {
      const r = await api().get(`/routines/runs/${runId}`);
      expect(r.status).toBe(200);
      if (r.body.outcome !== 'running') return r.body;
      if (Date.now() > end) throw new Error(`run ${runId} still running`);
      await sandbox.advance(20_000);
      await new Promise(resolve => setTimeout(resolve, 30));
    }
  }

  const ec2Node = (n: { name: string }) => /^i-0[0-9a-f]{16}-EC2-AGENT$/.test(n.name);
  const planned = (result: any, action: string) =>
    result.items.filter((i: any) => i.action === action && i.status === 'planned').map((i: any) => i.target);
  const done = (result: any, action: string) =>
    result.items.filter((i: any) => i.action === action && i.status === 'done').map((i: any) => i.target);

  it('lists the three routines with schedule, next and last run', async () => {
    const res = await api().get('/routines');
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: any) => r.id)).toEqual(['offline-node-sweep', 'orphan-reaper', 'jenkins-backup']);
    expect(res.body.items[0]).toMatchObject({ enabled: true, schedule: 'manual only', nextRunAt: null, lastRun: null, settings: { gracePeriod: '1 h 0 min' } });
    expect(res.body.items[2].settings).toMatchObject({ bucket: 's3://jenkins-backups/jenkins/', keepLast: 2 });
  });

  it('sweep: a dry run lists the offline EC2 nodes but not the paused or built-in node; a real run deletes them and terminates running instances', async () => {
    const world = sandbox.world;
    const seededGone = world.nodes.find(n => ec2Node(n) && n.offline && !n.temporarilyOffline)!;
    const paused = world.nodes.find(n => n.temporarilyOffline)!;
    expect(seededGone.labels).toEqual(['DEV-batch-agent']);
    // An agent that crashed two hours ago while its instance keeps running.
    const crashed = world.nodes.find(
      n => ec2Node(n) && !n.offline && n.labels[0] === 'PROD-batch-agent' && n.executors.every(e => e === null),
    )!;
    world.disconnectNode(crashed, 'Connection was broken: java.io.EOFException', world.now() - 2 * HOUR);
    // A worker whose channel broke a moment ago mid-build: spared for its build.
    const worker = world.nodes.find(n => n.labels[0] === 'STG-worker-agent')!;
    world.disconnectNode(worker, 'Connection was broken', world.now() - 3 * HOUR);
    const crashedId = crashed.name.replace('-EC2-AGENT', '');

    const dry = await run('offline-node-sweep', true);
    expect(dry).toMatchObject({ outcome: 'succeeded', dryRun: true, trigger: 'user', actor: 'user:default/jane' });
    expect(planned(dry, 'delete-node').sort()).toEqual([seededGone.name, crashed.name].sort());
    expect(planned(dry, 'terminate-instance')).toEqual([crashedId]);
    expect(dry.items.map((i: any) => i.target)).not.toContain('built-in');
    expect(dry.items).toContainEqual(expect.objectContaining({ target: paused.name, status: 'skipped', message: 'taken offline by a person' }));
    expect(dry.items).toContainEqual(expect.objectContaining({ target: worker.name, status: 'skipped', message: expect.stringMatching(/build\(s\) still running/) }));
    expect(dry.summary).toBe('would delete 2 node(s), would terminate 1 instance(s), spared 2');
    // Nothing happened.
    expect(world.node(seededGone.name)).toBeDefined();
    expect(sandbox.aws.instances.get(crashedId)!.state).toBe('running');

    const real = await run('offline-node-sweep', false);
    expect(real.outcome).toBe('succeeded');
    expect(done(real, 'delete-node').sort()).toEqual([seededGone.name, crashed.name].sort());
    expect(done(real, 'terminate-instance')).toEqual([crashedId]);
    expect(world.node(seededGone.name)).toBeUndefined();
    expect(world.node(crashed.name)).toBeUndefined();
    expect(world.node(paused.name)).toBeDefined();
    expect(world.node(worker.name)).toBeDefined();
    expect(world.nodes.find(n => n.builtIn)).toBeDefined();
    expect(['shutting-down', 'terminated']).toContain(sandbox.aws.instances.get(crashedId)!.state);
    // Every deletion is in the audit trail too.
    const audit = await api().get('/audit?vpc=PROD');
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'routine.node.delete', target: crashed.name, outcome: 'succeeded', actor: 'user:default/jane' }),
    );
    const history = await api().get('/routines/offline-node-sweep/runs');
    expect(history.body.items.map((r: any) => [r.id, r.dryRun])).toEqual([[real.id, false], [dry.id, true]]);
  });

  it('sweep: deletes the node of an instance that is not the VPC agent, never terminating the instance', async () => {
    const world = sandbox.world;
    const crashed = world.nodes.find(
      n => ec2Node(n) && !n.offline && n.labels[0] === 'DEV-batch-agent' && n.executors.every(e => e === null),
    )!;
    const instanceId = crashed.name.replace('-EC2-AGENT', '');
    const instance = sandbox.aws.instances.get(instanceId)!;
    expect(instance.state).toBe('running');
    // Only the Name (and type) tags left: no launched-by tag, no launch template of the VPC.
    instance.tags = instance.tags.filter(t => t.key === 'Name' || t.key === 'AgentType');
    world.disconnectNode(crashed, 'Connection was broken: java.io.EOFException', world.now() - 2 * HOUR);

    const dry = await run('offline-node-sweep', true);
    expect(planned(dry, 'delete-node')).toEqual([crashed.name]);
    expect(planned(dry, 'terminate-instance')).toEqual([]);

    const real = await run('offline-node-sweep', false);
    expect(real.outcome).toBe('succeeded');
    expect(done(real, 'delete-node')).toEqual([crashed.name]);
    expect(done(real, 'terminate-instance')).toEqual([]);
    for (const result of [dry, real]) {
      expect(result.items).toContainEqual(
        expect.objectContaining({
          action: 'spare-instance',
          target: instanceId,
          vpc: 'DEV',
          status: 'skipped',
          message: expect.stringMatching(/^Not terminated, not the VPC's agent \(no tag batch-jobs\.io\/launched-by or aws:ec2launchtemplate:id/),
        }),
      );
    }
    expect(world.node(crashed.name)).toBeUndefined();
    expect(instance.state).toBe('running');
    expect(sandbox.aws.requests.filter(r => r.action === 'TerminateInstances')).toHaveLength(1);
  });

  it('reaper: terminates the seeded orphan, spares paused and busy agents', async () => {
    const orphan = [...sandbox.aws.instances.values()].find(i => !i.agentConnects)!;
    expect(orphan.state).toBe('running');
    const dry = await run('orphan-reaper', true);
    expect(planned(dry, 'terminate-instance')).toEqual([orphan.instanceId]);
    const real = await run('orphan-reaper', false);
    expect(real).toMatchObject({ outcome: 'succeeded', summary: expect.stringMatching(/^terminated 1 instance\(s\)/) });
    expect(done(real, 'terminate-instance')).toEqual([orphan.instanceId]);
    expect(real.items.find((i: any) => i.status === 'done').message).toMatch(/never created a node/);
    expect(['shutting-down', 'terminated']).toContain(orphan.state);
    const paused = sandbox.world.nodes.find(n => n.temporarilyOffline)!;
    expect(sandbox.aws.instances.get(paused.name.replace('-EC2-AGENT', ''))!.state).toBe('running');
    const audit = await api().get('/audit?vpc=DEV');
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'routine.instance.terminate', target: orphan.instanceId, outcome: 'succeeded' }),
    );
  });

  it('backup: a verified backup is recorded and listed; empty or missing uploads fail the run; retention keeps the newest verified', async () => {
    const first = await run('jenkins-backup', false);
    expect(first).toMatchObject({ outcome: 'succeeded', summary: expect.stringMatching(/^backup jenkins\/jenkins-home-.*\.tar\.gz verified/) });
    let backups = (await api().get('/backups')).body.items;
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ bucket: 'jenkins-backups', verified: true, runId: first.id, deletedAt: null, build: { number: 1 } });
    expect(backups[0].sizeBytes).toBeGreaterThan(100);

    sandbox.backup.mode = 'empty';
    const empty = await run('jenkins-backup', false);
    expect(empty).toMatchObject({ outcome: 'failed', summary: expect.stringMatching(/Backup INVALID: .* is empty \(0 bytes\)/) });
    backups = (await api().get('/backups')).body.items;
    expect(backups[0]).toMatchObject({ verified: false, sizeBytes: 0 });

    sandbox.backup.mode = 'none';
    const missing = await run('jenkins-backup', false);
    expect(missing).toMatchObject({ outcome: 'failed', summary: expect.stringMatching(/Backup MISSING/) });

    sandbox.backup.mode = 'ok';
    const dry = await run('jenkins-backup', true);
    expect(dry.outcome).toBe('succeeded');
    expect(planned(dry, 'trigger-build')).toEqual(['jenkins-backup']);
    const second = await run('jenkins-backup', false);
    expect(second.outcome).toBe('succeeded');
    // keepLast 2 counts verified backups only: the empty object is no backup, so both good ones stay.
    expect(done(second, 'delete-backup')).toEqual([]);
    const last = await run('jenkins-backup', false);
    expect(last.outcome).toBe('succeeded');
    // A third verified backup: the first goes; the empty object, never verified, is never deleted.
    const firstKey = backups.find((b: any) => b.runId === first.id).key;
    expect(done(last, 'delete-backup')).toEqual([firstKey]);
    backups = (await api().get('/backups')).body.items;
    expect(backups.find((b: any) => b.runId === first.id).deletedAt).not.toBeNull();
    expect(backups.find((b: any) => b.sizeBytes === 0)).toMatchObject({ verified: false, deletedAt: null, failure: expect.stringMatching(/is empty/) });
    expect([...sandbox.aws.s3.bucket('jenkins-backups').objects.keys()]).toHaveLength(3);
    const routines = (await api().get('/routines')).body.items;
    expect(routines[2].lastRun).toMatchObject({ id: last.id, outcome: 'succeeded' });
  });

  it('refuses a second run while one is going, and run now without the permission', async () => {
    const first = await api().post('/routines/jenkins-backup/run', { dryRun: false });
    expect(first.status).toBe(202);
    const second = await api().post('/routines/jenkins-backup/run', { dryRun: true });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(/already running/);
    for (let i = 0; i < 100; i++) {
      const r = await api().get(`/routines/runs/${first.body.runId}`);
      if (r.body.outcome !== 'running') break;
      await sandbox.advance(20_000);
      await new Promise(resolve => setTimeout(resolve, 30));
    }
    const denied = await api(deniedServer).post('/routines/orphan-reaper/run', { dryRun: true });
    expect(denied.status).toBe(403);
    expect((await api().post('/routines/nope/run', { dryRun: true })).status).toBe(404);
    expect((await api().post('/routines/orphan-reaper/run', { dryRun: 'yes' })).status).toBe(400);
  });
});
