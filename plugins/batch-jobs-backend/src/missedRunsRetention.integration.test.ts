import {
  Sandbox,
  api,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Jenkins keeps only so many builds of a job (its build discarder), so a
 * frequent job's history starts hours after the report's window. A run
 * expected before the oldest build Jenkins still has is evidence of
 * nothing: it must not be called missed (the seeded push-dispatch, every
 * 15 minutes with 30 builds kept, showed a day of false alarms).
 */

jest.setTimeout(60_000);

describe('missed runs before the oldest build Jenkins keeps', () => {
  let sandbox: Sandbox;
  afterAll(() => closeSandbox(sandbox));

  it('are not judged: a healthy frequent job shows no missed run', async () => {
    sandbox = await startTestSandbox();
    const { server } = await startSandboxBackend(sandbox);
    const job = 'DEV/push-notifier/push-dispatch';
    const builds = (sandbox.world.item(job) as any).builds;
    const oldest = Math.min(...builds.map((b: any) => b.timestamp));

    const res = await api(server).get('/vpcs/DEV/missed-runs');
    expect(res.status).toBe(200);
    // The window reaches back before the job's kept history: not vacuous.
    expect(Date.parse(res.body.from)).toBeLessThan(oldest);
    const runs = res.body.runs.filter((r: any) => r.job === job);
    expect(runs.filter((r: any) => r.state === 'missed')).toEqual([]);
    for (const run of runs) {
      expect(Date.parse(run.expected)).toBeGreaterThanOrEqual(oldest);
    }
  });
});
