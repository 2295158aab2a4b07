import { Sandbox, startSandbox } from './index';
import { request } from './testing/http';

const START = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;
const RECONCILE = 'DEV/payments-settlement/settlement-reconcile';
const DAILY_REPORT = 'DEV/report-builder/daily-report';

describe('controller outage and withheld label faults', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, awsPort: 0, seed: 42, clock: 'manual', startTime: START });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  const timerBuildTimes = (fullName: string) => {
    const job = sandbox.world.item(fullName);
    if (!job || job.kind === 'folder') throw new Error(`no job ${fullName}`);
    return job.builds
      .filter(b => b.timestamp >= START && b.causes.some(c => c.kind === 'timer'))
      .map(b => b.timestamp);
  };

  it('fires no timer inside the window, refuses the API there, and carries on after it', async () => {
    const res = await request(sandbox, 'POST', `/__sandbox/outage?start=${START + 60 * MINUTE}&minutes=180`, {
      auth: 'none',
    });
    expect(res.status).toBe(200);

    await sandbox.advance(90 * MINUTE);
    await expect(request(sandbox, 'GET', '/api/json')).rejects.toThrow(/ECONNRESET|socket hang up/);
    // The control routes still answer, so a test can move time on.
    expect((await request(sandbox, 'GET', '/__sandbox/health', { auth: 'none' })).status).toBe(200);

    await sandbox.advance(4 * 60 * MINUTE);
    const fired = timerBuildTimes(RECONCILE);
    // H/30: two runs an hour, none in the three hours of the outage.
    expect(fired.filter(t => t < START + 60 * MINUTE)).toHaveLength(2);
    expect(fired.filter(t => t >= START + 60 * MINUTE && t < START + 240 * MINUTE)).toEqual([]);
    expect(fired.filter(t => t >= START + 240 * MINUTE).length).toBeGreaterThan(0);

    const after = await request(sandbox, 'GET', '/api/json?tree=mode');
    expect(after.status).toBe(200);
    // The controller's clock is the sandbox's.
    expect(Date.parse(after.headers.date!)).toBe(Math.floor(sandbox.world.now() / 1000) * 1000);
  });

  it('keeps work of a withheld label in the queue, saying no node has the label', async () => {
    const withheld = await request(sandbox, 'POST', '/__sandbox/withheld-label?label=DEV-batch-agent', {
      auth: 'none',
    });
    expect(withheld.status).toBe(200);
    const build = await request(sandbox, 'POST', `/job/DEV/job/report-builder/job/daily-report/build`);
    expect(build.status).toBe(201);
    await sandbox.advance(10 * MINUTE);

    const queue = JSON.parse((await request(sandbox, 'GET', '/queue/api/json?tree=items[why,task[name]]')).body);
    const item = queue.items.find((i: any) => i.task.name === 'daily-report');
    expect(item.why).toBe('There are no nodes with the label \u2018DEV-batch-agent\u2019');

    await request(sandbox, 'POST', '/__sandbox/withheld-label?label=DEV-batch-agent&withheld=false', { auth: 'none' });
    await sandbox.advance(MINUTE);
    const job = sandbox.world.item(DAILY_REPORT);
    expect(job && job.kind !== 'folder' && job.builds[job.builds.length - 1].builtOn).toBeTruthy();
  });
});
