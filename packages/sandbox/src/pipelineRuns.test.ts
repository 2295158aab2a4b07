import fs from 'node:fs';
import path from 'node:path';
import { Sandbox, startSandbox } from './index';
import { getJson, jobPath, request } from './testing/http';

/*
 * Pipeline runs as the Stage View REST API shows them (shapes checked
 * against the shared wfapi captures), input steps that hold a build until
 * someone proceeds or aborts, multibranch branch jobs and `/me`.
 */

const START = Date.UTC(2026, 10, 2, 9, 0);
const CAPTURES = path.resolve(__dirname, '../../../../shared/jenkins-captures');
const capture = (file: string) => JSON.parse(fs.readFileSync(path.join(CAPTURES, file), 'utf8'));
const keys = (o: object) => Object.keys(o).sort();

const MAIN = 'DEV/orders/multibranch/main';
const FEATURE = 'DEV/orders/multibranch/feature%2FORD-214';
const SETTLEMENT = 'DEV/payments-settlement/daily-settlement-report';

describe('pipeline runs, inputs, multibranch and /me', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({
      port: 0,
      seed: 42,
      clock: 'manual',
      startTime: START,
    });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  const job = (fullName: string) => sandbox.world.item(fullName) as any;

  /** Starts a build of `fullName` and moves time until it runs on an agent (the seeded waiting one aborted first). */
  async function startBuild(fullName: string) {
    for (const waiting of job(fullName).builds.filter((b: any) => sandbox.world.waitsForInput(b))) {
      sandbox.world.answerInput(waiting, sandbox.world.users.get('admin')!, 'abort');
    }
    const res = await request(sandbox, 'POST', `${jobPath(fullName)}/build?delay=0`);
    expect(res.status).toBe(201);
    await sandbox.advance(1000);
    const build = job(fullName).builds.at(-1);
    expect(build.agentAt).not.toBeNull();
    return build;
  }

  it('hosts a multibranch project whose branch job has an encoded slash in its name', async () => {
    const project = await getJson(
      sandbox,
      `${jobPath('DEV/orders/multibranch')}/api/json?tree=_class,jobs[name,displayName,url]`,
    );
    expect(project._class).toBe('org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject');
    const branch = project.jobs.find((j: any) => j.name === 'feature%2FORD-214');
    expect(branch).toMatchObject({ displayName: 'feature/ORD-214' });
    expect(branch.url).toMatch(/\/job\/multibranch\/job\/feature%252FORD-214\/$/);
    const direct = await getJson(
      sandbox,
      '/job/DEV/job/orders/job/multibranch/job/feature%252FORD-214/api/json?tree=fullName',
    );
    expect(direct.fullName).toBe(FEATURE);
  });

  it('answers /me/api/json with the current user, as Jenkins does', async () => {
    const me = await getJson(sandbox, '/me/api/json');
    expect(me).toMatchObject({
      _class: 'hudson.model.User',
      id: 'admin',
      fullName: 'admin',
      description: null,
      absoluteUrl: expect.stringMatching(/\/user\/admin$/),
    });
    expect(me.property).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          _class: 'jenkins.security.ApiTokenProperty',
        }),
      ]),
    );
    expect((await getJson(sandbox, '/me/api/json?tree=id')).id).toBe('admin');
    expect((await request(sandbox, 'GET', '/me/api/json', { auth: 'none' })).status).toBe(403);
  });

  it('describes a run with the fields and links of the Stage View captures', async () => {
    const build = job(SETTLEMENT).builds.findLast((b: any) => b.result !== null);
    const run = await getJson(sandbox, `${jobPath(SETTLEMENT)}/${build.number}/wfapi/describe`);
    const captured = capture('wfapi-describe/jenkins-rest__workflow.json');
    for (const key of keys(captured).filter(k => k !== '_links')) expect(run).toHaveProperty(key);
    expect(run._links.self.href).toBe(`${jobPath(SETTLEMENT)}/${build.number}/wfapi/describe`);
    expect(run.stages.map((s: any) => s.name)).toEqual(['Checkout', 'Run daily-settlement-report']);
    for (const stage of run.stages) {
      for (const key of keys(captured.stages[0])) expect(stage).toHaveProperty(key);
    }
    const node = await getJson(sandbox, new URL(run.stages[1]._links.self.href, sandbox.jenkinsUrl).pathname);
    const capturedNode = capture('wfapi-node/jenkins-rest__pipeline-node.json');
    for (const key of keys(capturedNode.stageFlowNodes[0])) expect(node.stageFlowNodes[0]).toHaveProperty(key);
    const log = await getJson(sandbox, node.stageFlowNodes[0]._links.log.href);
    expect(log).toMatchObject({
      nodeId: node.stageFlowNodes[0].id,
      length: expect.any(Number),
      hasMore: false,
    });
    expect(log.text).toContain('+ ./bin/run-daily-settlement-report');
  });

  it('lists a job\'s newest runs (wfapi/runs) like the run history capture', async () => {
    const runs = await getJson(sandbox, `${jobPath(FEATURE)}/wfapi/runs`);
    const captured = capture('wfapi-runs/jenkins-rest__runHistory.json');
    expect(runs.length).toBe(Math.min(10, job(FEATURE).builds.length));
    expect(runs[0].id).toBe(String(job(FEATURE).builds.at(-1).number));
    for (const key of Object.keys(captured[1])) expect(runs[0]).toHaveProperty(key);
    expect(runs[0]._links.self.href).toMatch(/\/job\/feature%252FORD-214\/\d+\/wfapi\/describe$/);
  });

  it('lists parallel branches after their stage and marks where a failed run failed', async () => {
    const failed = job(FEATURE).builds.findLast((b: any) => b.result === 'FAILURE');
    expect(failed).toBeDefined();
    const run = await getJson(sandbox, `${jobPath(FEATURE)}/${failed.number}/wfapi/describe`);
    expect(run.status).toBe('FAILED');
    expect(run.stages.map((s: any) => [s.name, s.status])).toEqual([
      ['Build', 'SUCCESS'],
      ['Test', 'SUCCESS'],
      ['unit', 'SUCCESS'],
      ['integration', 'SUCCESS'],
      ['Publish', 'FAILED'],
    ]);
    const [, test, unit, integration] = run.stages;
    expect(unit.startTimeMillis).toBe(test.startTimeMillis);
    expect(integration.startTimeMillis + integration.durationMillis).toBeLessThanOrEqual(
      test.startTimeMillis + test.durationMillis,
    );
  });

  it('starts with main waiting at its input, holding no executor', async () => {
    const waiting = job(MAIN).builds.at(-1);
    expect(sandbox.world.waitsForInput(waiting)).toBe(true);
    expect(sandbox.world.nodes.some(n => n.executors.includes(waiting))).toBe(false);
    const run = await getJson(sandbox, `${jobPath(MAIN)}/${waiting.number}/wfapi/describe`);
    expect(run.status).toBe('PAUSED_PENDING_INPUT');
    expect(run.stages.map((s: any) => s.name)).toEqual(['Build', 'Test', 'unit', 'integration', 'Approve']);
  });

  it('holds a build at its input until someone proceeds with a parameter', async () => {
    const build = await startBuild(MAIN);
    await sandbox.advance(10 * 60_000);
    const base = `${jobPath(MAIN)}/${build.number}`;
    const run = await getJson(sandbox, `${base}/wfapi/describe`);
    expect(run.status).toBe('PAUSED_PENDING_INPUT');
    expect(run._links.pendingInputActions.href).toBe(`${base}/wfapi/pendingInputActions`);
    expect(run.stages.at(-1)).toMatchObject({
      name: 'Approve',
      status: 'PAUSED_PENDING_INPUT',
    });

    const inputs = await getJson(sandbox, `${base}/wfapi/pendingInputActions`);
    const captured = capture('wfapi-other/stageview__input-model-01.json');
    expect(keys(inputs[0])).toEqual(keys(captured));
    expect(inputs[0]).toMatchObject({
      id: 'Deploy',
      message: 'Deploy orders to DEV?',
      proceedText: 'Deploy',
      abortUrl: `${base}/input/Deploy/abort`,
      inputs: [
        {
          type: 'ChoiceParameterDefinition',
          name: 'STRATEGY',
          definition: {
            choices: ['rolling', 'blue-green'],
            defaultVal: 'rolling',
          },
        },
      ],
    });

    const proceed = await request(sandbox, 'POST', `${base}/input/Deploy/submit`, {
      form: {
        json: JSON.stringify({
          parameter: [{ name: 'STRATEGY', value: 'blue-green' }],
        }),
        proceed: 'Deploy',
      },
    });
    expect(proceed.status).toBe(200);
    expect(build.inputDecision).toMatchObject({
      kind: 'proceed',
      by: 'admin',
      values: [{ name: 'STRATEGY', value: 'blue-green' }],
    });
    expect(await getJson(sandbox, `${base}/wfapi/pendingInputActions`)).toEqual([]);
    // Answered once: the input is gone.
    expect((await request(sandbox, 'POST', `${base}/input/Deploy/proceedEmpty`)).status).toBe(404);

    await sandbox.advance(30 * 60_000);
    expect(build.result).toBe(build.plannedResult);
    const done = await getJson(sandbox, `${base}/wfapi/describe`);
    expect(done.stages.find((s: any) => s.name === 'Approve')).toMatchObject({
      status: 'SUCCESS',
    });
    expect(done.stages.map((s: any) => s.name)).toContain('Deploy');
  });

  it('ends a build ABORTED when its input is aborted', async () => {
    const build = await startBuild(MAIN);
    await sandbox.advance(10 * 60_000);
    const base = `${jobPath(MAIN)}/${build.number}`;
    const res = await request(sandbox, 'POST', `${base}/input/Deploy/abort`);
    expect(res.status).toBe(200);
    expect(build.result).toBe('ABORTED');
    const run = await getJson(sandbox, `${base}/wfapi/describe`);
    expect(run.status).toBe('ABORTED');
    expect(run.stages.at(-1)).toMatchObject({
      name: 'Approve',
      status: 'ABORTED',
    });
  });

  it('answers 404 for an input a build does not wait at, and 405 to a GET', async () => {
    const build = await startBuild(MAIN);
    const base = `${jobPath(MAIN)}/${build.number}`;
    expect((await request(sandbox, 'POST', `${base}/input/Deploy/proceedEmpty`)).status).toBe(404);
    await sandbox.advance(10 * 60_000);
    expect((await request(sandbox, 'POST', `${base}/input/Other/proceedEmpty`)).status).toBe(404);
    expect((await request(sandbox, 'GET', `${base}/input/Deploy/abort`)).status).toBe(405);
  });
});
