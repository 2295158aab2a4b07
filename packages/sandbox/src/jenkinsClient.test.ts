import Jenkins from 'jenkins';
import { Sandbox, startSandbox } from './index';

/**
 * The sandbox driven by a client library people use against real Jenkins
 * (silas/node-jenkins), unchanged: if it works here it speaks the protocol.
 */
describe('the jenkins npm client against the sandbox', () => {
  let sandbox: Sandbox;
  let jenkins: any;

  beforeEach(async () => {
    sandbox = await startSandbox({
      port: 0,
      seed: 42,
      clock: 'manual',
      startTime: Date.UTC(2026, 10, 2, 9, 0),
    });
    const { username, apiToken } = sandbox.credentials;
    const url = new URL(sandbox.jenkinsUrl);
    jenkins = new Jenkins({
      baseUrl: `http://${username}:${apiToken}@${url.host}`,
      crumbIssuer: true,
    });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('reads jobs, builds and nodes', async () => {
    const job = await jenkins.job.get('DEV/payments-settlement/daily-settlement-report');
    expect(job._class).toBe('org.jenkinsci.plugins.workflow.job.WorkflowJob');
    expect(job.builds.length).toBeGreaterThanOrEqual(30);

    const build = await jenkins.build.get('DEV/payments-settlement/daily-settlement-report', job.lastCompletedBuild.number);
    expect(build.number).toBe(job.lastCompletedBuild.number);
    expect(build.building).toBe(false);

    const list = await jenkins.job.list('DEV/report-builder');
    expect(list.map((j: any) => j.name)).toEqual(['daily-report', 'monthly-export', 'weekly-backup']);

    const nodes = await jenkins.node.list();
    expect(nodes[0].displayName).toBe('Built-In Node');
    expect(nodes.filter((n: any) => /-EC2-AGENT$/.test(n.displayName)).length).toBe(11);
  });

  it('triggers a parameterized build, follows its queue item and reads its log', async () => {
    const name = 'DEV/payments-settlement/migrate-ledger';
    // POSTs go through the client's crumb dance (crumb + session cookie).
    const queueId = await jenkins.job.build({ name, parameters: { TARGET: 'archive', DRY_RUN: 'false' } });
    expect(typeof queueId).toBe('number');
    expect(sandbox.requests.some(r => r.path === '/crumbIssuer/api/json')).toBe(true);

    let item = await jenkins.queue.item(queueId);
    expect(item._class).toBe('hudson.model.Queue$WaitingItem');
    await sandbox.advance(6000);
    item = await jenkins.queue.item(queueId);
    expect(item.executable.number).toEqual(expect.any(Number));

    await sandbox.advance(15000);
    const first = await jenkins.build.log(name, item.executable.number, { start: 0, meta: true });
    expect(first.more).toBe(true);
    expect(first.text).toMatch(/^Started by user admin\n/);

    await sandbox.advance(2 * 60 * 60 * 1000);
    const rest = await jenkins.build.log(name, item.executable.number, { start: first.size, meta: true });
    expect(rest.more).toBe(false);
    expect(rest.text).toMatch(/Finished: (SUCCESS|FAILURE|UNSTABLE)\n$/);

    const build = await jenkins.build.get(name, item.executable.number);
    const params = build.actions.find((a: any) => a._class === 'hudson.model.ParametersAction').parameters;
    expect(params).toContainEqual({ _class: 'hudson.model.BooleanParameterValue', name: 'DRY_RUN', value: false });
  });

  it('stops a build and reports a missing job', async () => {
    const name = 'STG/push-notifier/STG-worker';
    const job = await jenkins.job.get(name);
    await jenkins.build.stop(name, job.lastBuild.number);
    const stopped = await jenkins.build.get(name, job.lastBuild.number);
    expect(stopped.result).toBe('ABORTED');

    await expect(jenkins.job.get('STG/no-such-job')).rejects.toThrow('STG/no-such-job not found');
    expect(await jenkins.job.exists('STG/no-such-job')).toBe(false);
  });
});
