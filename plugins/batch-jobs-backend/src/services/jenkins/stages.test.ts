import { mockServices } from '@backstage/backend-test-utils';
import { readCapture } from '../../testing/captures';
import { startFakeHttpServer } from '../../testing/fakeHttpServer';
import { JenkinsClient } from './JenkinsClient';
import {
  RawRun,
  findFailedStage,
  groupStages,
  mapPendingInputs,
  mapStageStatus,
  plainLogText,
} from './stages';

/*
 * Stage View (wfapi) answers of real Jenkins, captured by public client
 * projects (../shared/jenkins-captures/wfapi-*): read by the client from a
 * local server that returns the capture, then mapped.
 */

describe('Stage View captures', () => {
  let body = '';
  let server: Awaited<ReturnType<typeof startFakeHttpServer>>;
  let client: JenkinsClient;

  beforeAll(async () => {
    server = await startFakeHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    });
    client = JenkinsClient.fromConfig(
      {
        name: 'captured',
        baseUrl: server.url,
        username: 'u',
        apiToken: 't',
        crumb: true,
        timeoutMs: 2000,
        readRetries: 0,
        timezone: 'UTC',
      },
      { logger: mockServices.logger.mock() },
    );
  });
  afterAll(() => server.close());

  const lastPath = () =>
    new URL(server.requests[server.requests.length - 1].url, server.url)
      .pathname;
  /** The first run of a `wfapi/runs` capture (each is a RunExt). */
  const firstRun = (file: string): RawRun => JSON.parse(readCapture(file))[0];

  it('reads a run paused at an input: three sequential stages, none failed', async () => {
    body = readCapture('wfapi-describe/jenkins-rest__workflow.json');
    const run = await client.describeRun('Test Workflow', 16);
    expect(lastPath()).toBe('/job/Test%20Workflow/16/wfapi/describe');
    expect(mapStageStatus(run.status)).toBe('paused_pending_input');
    const stages = groupStages(run.stages);
    expect(stages).toEqual([
      {
        id: '5',
        name: 'Build',
        status: 'success',
        startedAt: new Date(1413461275770).toISOString(),
        durationMs: 5228,
        pauseDurationMs: 0,
      },
      expect.objectContaining({ id: '8', name: 'Test', status: 'success' }),
      expect.objectContaining({
        id: '10',
        name: 'Deploy',
        status: 'paused_pending_input',
        durationMs: 7,
      }),
    ]);
    expect(findFailedStage(stages)).toBeUndefined();
  });

  it('finds the failed stage of a failed run', () => {
    const run = firstRun('wfapi-runs/stageview__04_rest_api_runs_failed.json');
    expect(mapStageStatus(run.status)).toBe('failed');
    const stages = groupStages(run.stages);
    expect(stages.map(s => s.name)).toEqual(['Dev', 'QA', 'Staging']);
    expect(findFailedStage(stages)).toEqual({
      id: '27',
      name: 'Staging',
      status: 'failed',
    });
  });

  it('finds the first unstable stage of an unstable run', () => {
    const run = firstRun('wfapi-runs/stageview__08_rest_api_unstable_run.json');
    expect(findFailedStage(groupStages(run.stages))).toEqual({
      id: '27',
      name: 'Staging',
      status: 'unstable',
    });
  });

  it('keeps stages that did not run (a checkpoint rerun) without a start', () => {
    const run = firstRun(
      'wfapi-runs/stageview__03_rest_api_runs_checkpoint_rerun.json',
    );
    const stages = groupStages(run.stages);
    expect(stages.map(s => [s.name, s.status, s.startedAt])).toEqual([
      ['Dev', 'not_executed', null],
      ['QA', 'not_executed', null],
      ['Staging', 'not_executed', null],
      ['Production', 'success', new Date(1414318300705).toISOString()],
    ]);
  });

  it('keeps a stage that starts where the previous one ended sequential (in progress)', () => {
    const run = firstRun(
      'wfapi-runs/stageview__07_rest_api_runs_in_progress.json',
    );
    const stages = groupStages(run.stages);
    expect(stages.map(s => [s.name, s.status, s.branches])).toEqual([
      ['Staging', 'success', undefined],
      ['Production', 'in_progress', undefined],
    ]);
  });

  it('groups parallel branches under the stage that holds them, and finds a failed branch', () => {
    // Stage View lists a declarative parallel stage's branches flat after it.
    const stage = (
      id: string,
      name: string,
      status: string,
      start: number,
      ms: number,
    ) => ({ id, name, status, startTimeMillis: start, durationMillis: ms });
    const stages = groupStages([
      stage('6', 'Build', 'SUCCESS', 1000, 500),
      stage('8', 'Test', 'FAILED', 1500, 900),
      stage('10', 'unit', 'SUCCESS', 1500, 300),
      stage('12', 'integration', 'FAILED', 1510, 890),
      stage('14', 'Publish', 'NOT_EXECUTED', 0, 0),
    ]);
    expect(stages.map(s => s.name)).toEqual(['Build', 'Test', 'Publish']);
    expect(stages[1].branches?.map(b => [b.name, b.status])).toEqual([
      ['unit', 'success'],
      ['integration', 'failed'],
    ]);
    expect(findFailedStage(stages)).toEqual({
      id: '12',
      name: 'integration',
      status: 'failed',
    });
  });

  it('reads a stage node with its step nodes and their log links', async () => {
    body = readCapture('wfapi-node/jenkins-rest__pipeline-node.json');
    const node = await client.describeStage('Test Workflow', 16, '5');
    expect(lastPath()).toBe(
      '/job/Test%20Workflow/16/execution/node/5/wfapi/describe',
    );
    expect(
      node.stageFlowNodes?.map(n => [n.id, n.name, n._links?.log?.href]),
    ).toEqual([
      [
        '6',
        'Git',
        '/jenkins/job/Test%20Workflow/16/execution/node/6/wfapi/log',
      ],
      [
        '7',
        'Shell Script',
        '/jenkins/job/Test%20Workflow/16/execution/node/7/wfapi/log',
      ],
    ]);
  });

  it('maps pending input actions; a password default never leaves the backend', async () => {
    body = JSON.stringify([
      JSON.parse(readCapture('wfapi-other/stageview__input-model-01.json')),
    ]);
    const raw = await client.pendingInputs('Workflow', 24);
    expect(lastPath()).toBe('/job/Workflow/24/wfapi/pendingInputActions');
    const [input] = mapPendingInputs(raw);
    expect(input).toMatchObject({
      id: 'Run-test-suites',
      message: 'Workflow Configuration',
      proceedText: 'Okay',
    });
    expect(input.parameters).toEqual([
      {
        name: 'Run test suites?',
        type: 'boolean',
        description: 'A checkbox option',
        default: true,
      },
      {
        name: 'Good boy?',
        type: 'boolean',
        description: 'A checkbox option',
        default: false,
      },
      {
        name: 'Enter some text',
        type: 'string',
        description: 'A text option',
        default: 'Hello',
      },
      {
        name: 'Enter a passord',
        type: 'password',
        description: 'A password option',
      },
      {
        name: 'Take your pick',
        type: 'choice',
        description: 'A select box option',
        default: 'Choice 1',
        choices: ['Choice 1', 'Choice 2', 'Choice 3'],
      },
    ]);
    expect(JSON.stringify(input)).not.toContain('MyPasswd');
  });

  it('turns Stage View log HTML into text', () => {
    expect(plainLogText('<span class="x">a &lt;b&gt; &amp; c</span>\n')).toBe(
      'a <b> & c\n',
    );
  });
});
