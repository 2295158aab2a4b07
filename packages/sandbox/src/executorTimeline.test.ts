import { Sandbox, startSandbox } from './index';
import { request } from './testing/http';

/*
 * The record of executors online per label that capacity assertions read:
 * a drain (toggleOffline), an agent whose instance goes away, a deleted
 * node and a new agent connecting each leave one entry at their own time.
 */

const START = Date.UTC(2026, 10, 2, 9, 0);

describe('sandbox executor timeline', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, seed: 42, clock: 'manual', startTime: START });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  const online = () => sandbox.world.onlineExecutors('PROD-batch-agent');
  const entries = (mark: number) =>
    sandbox.world.executorTimeline.slice(mark).filter(e => e.label === 'PROD-batch-agent');

  it('records every change of executors online, per label', async () => {
    expect(online()).toBe(4);
    const [first, second] = sandbox.world.nodes.filter(
      n => n.labels.includes('PROD-batch-agent') && !n.offline,
    );
    const mark = sandbox.world.executorTimeline.length;

    const drained = await request(sandbox, 'POST', `/computer/${first.name}/toggleOffline?offlineMessage=drain`);
    expect(drained.status).toBeLessThan(400);
    await sandbox.advance(1_000);
    const deleted = await request(sandbox, 'POST', `/computer/${second.name}/doDelete`);
    expect(deleted.status).toBeLessThan(400);

    expect(entries(mark)).toEqual([
      { at: START, label: 'PROD-batch-agent', online: 2 },
      { at: START + 1_000, label: 'PROD-batch-agent', online: 0 },
    ]);
    // A new agent: its node counts once its agent connects.
    sandbox.aws.runInstances({
      launchTemplate: { name: 'PROD-BATCH-JENKINS-AGENT' },
      minCount: 1,
      maxCount: 1,
    });
    await sandbox.advance(60_000);
    expect(entries(mark).map(e => e.online)).toEqual([2, 0, 2]);
    expect(online()).toBe(2);
  });
});
