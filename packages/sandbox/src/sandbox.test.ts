import fs from 'node:fs';
import path from 'node:path';
import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import { Sandbox, startSandbox } from './index';
import { getJson, jobPath, request } from './testing/http';

const START = Date.UTC(2026, 10, 2, 9, 0);
const CAPTURES = path.resolve(__dirname, '../../../../shared/jenkins-captures');
const capture = (file: string) => JSON.parse(fs.readFileSync(path.join(CAPTURES, file), 'utf8'));
const keys = (o: object) => Object.keys(o).sort();

const SETTLEMENT = 'DEV/payments-settlement/daily-settlement-report';
const MIGRATE = 'DEV/payments-settlement/migrate-ledger';
const BACKUP = 'DEV/report-builder/weekly-backup';

describe('Jenkins sandbox', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, seed: 42, clock: 'manual', startTime: START });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  describe('authentication and CSRF', () => {
    it('refuses anonymous reads like a secured Jenkins, with the version header', async () => {
      const res = await request(sandbox, 'GET', '/api/json', { auth: 'none' });
      expect(res.status).toBe(403);
      expect(res.body).toContain('Authentication required');
      expect(res.headers['x-jenkins']).toBe('2.479.3');
      expect(res.headers['x-you-are-authenticated-as']).toBe('anonymous');
    });

    it('answers 401 to a wrong token', async () => {
      const res = await request(sandbox, 'GET', '/api/json', { auth: 'not-the-token' });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Jenkins"');
      expect(res.body).toContain('Invalid password/token for user: admin');
      expect(res.headers['x-jenkins']).toBe('2.479.3');
    });

    it('needs no crumb for a POST authenticated by API token', async () => {
      const res = await request(sandbox, 'POST', `${jobPath(SETTLEMENT)}/build`);
      expect(res.status).toBe(201);
    });

    it('needs a crumb bound to the session for a POST made with the password', async () => {
      const without = await request(sandbox, 'POST', `${jobPath(SETTLEMENT)}/build`, { auth: 'password' });
      expect(without.status).toBe(403);
      expect(without.body).toContain('No valid crumb was included in the request');

      const issued = await request(sandbox, 'GET', '/crumbIssuer/api/json', { auth: 'password' });
      const crumb = JSON.parse(issued.body);
      expect(crumb).toEqual({
        _class: 'hudson.security.csrf.DefaultCrumbIssuer',
        crumb: expect.stringMatching(/^[0-9a-f]{64}$/),
        crumbRequestField: 'Jenkins-Crumb',
      });
      const cookie = String(issued.headers['set-cookie']).split(';')[0];
      expect(cookie).toMatch(/^JSESSIONID\.[0-9a-f]{8}=/);

      // The crumb alone is not enough: it belongs to the session.
      const noSession = await request(sandbox, 'POST', `${jobPath(SETTLEMENT)}/build`, {
        auth: 'password',
        headers: { 'Jenkins-Crumb': crumb.crumb },
      });
      expect(noSession.status).toBe(403);

      const withSession = await request(sandbox, 'POST', `${jobPath(SETTLEMENT)}/build`, {
        auth: 'password',
        headers: { 'Jenkins-Crumb': crumb.crumb, cookie },
      });
      expect(withSession.status).toBe(201);

      // The session alone authenticates, and its crumb may come as a form field.
      const sessionOnly = await request(sandbox, 'POST', `${jobPath(MIGRATE)}/buildWithParameters`, {
        auth: 'none',
        headers: { cookie },
        form: { 'Jenkins-Crumb': crumb.crumb, TARGET: 'archive' },
      });
      expect(sessionOnly.status).toBe(201);
    });
  });

  describe('items and builds', () => {
    it('lists the VPC folders at the root, folders without colour', async () => {
      const root = await getJson(sandbox, '/api/json');
      expect(root._class).toBe('hudson.model.Hudson');
      expect(root.useCrumbs).toBe(true);
      // The VPC folders, and the controller's own backup pipeline.
      expect(root.jobs.map((j: any) => j.name)).toEqual(['DEV', 'jenkins-backup', 'PROD', 'STG']);
      for (const job of root.jobs.filter((j: any) => j.name !== 'jenkins-backup')) {
        expect(keys(job)).toEqual(['_class', 'name', 'url']);
        expect(job._class).toBe('com.cloudbees.hudson.plugins.folder.Folder');
      }
      const folder = await getJson(sandbox, '/job/DEV/job/report-builder/api/json?tree=jobs[name,color]');
      expect(folder._class).toBe('com.cloudbees.hudson.plugins.folder.Folder');
      expect(folder.jobs.map((j: any) => [j._class, j.name])).toEqual([
        ['hudson.model.FreeStyleProject', 'daily-report'],
        ['org.jenkinsci.plugins.workflow.job.WorkflowJob', 'monthly-export'],
        ['org.jenkinsci.plugins.workflow.job.WorkflowJob', 'weekly-backup'],
      ]);
      // weekly-backup has a build running right now.
      expect(folder.jobs[2].color).toMatch(/_anime$/);
    });

    it('shows jobs with the properties of the real captures', async () => {
      const real = capture('job-freestyle/jenkins-rest__job-info.json');
      const job = await getJson(sandbox, `${jobPath('DEV/report-builder/daily-report')}/api/json`);
      expect(job._class).toBe('hudson.model.FreeStyleProject');
      for (const key of Object.keys(real)) expect(job).toHaveProperty(key);
      // At depth 0 nested builds are summaries.
      expect(keys(job.lastBuild)).toEqual(['_class', 'number', 'url']);
      expect(keys(job.builds[0])).toEqual(['_class', 'number', 'url']);
      expect(job.healthReport[0]).toEqual({
        _class: 'hudson.model.HealthReport',
        description: expect.stringMatching(/^Build stability: /),
        iconClassName: expect.stringMatching(/^icon-health-/),
        iconUrl: expect.stringMatching(/^health-.*\.png$/),
        score: expect.any(Number),
      });
    });

    it('describes parameters like ParametersDefinitionProperty does', async () => {
      const job = await getJson(sandbox, `${jobPath(MIGRATE)}/api/json?tree=property[parameterDefinitions[*[*]]]`);
      const defs = job.property.find((p: any) => p._class === 'hudson.model.ParametersDefinitionProperty')
        .parameterDefinitions;
      expect(defs.map((d: any) => [d._class, d.name])).toEqual([
        ['hudson.model.StringParameterDefinition', 'MIGRATION_DATE'],
        ['hudson.model.BooleanParameterDefinition', 'DRY_RUN'],
        ['hudson.model.ChoiceParameterDefinition', 'TARGET'],
        ['hudson.model.PasswordParameterDefinition', 'DB_PASSWORD'],
      ]);
      expect(defs[1].defaultParameterValue).toEqual({
        _class: 'hudson.model.BooleanParameterValue',
        name: 'DRY_RUN',
        value: true,
      });
      expect(defs[2].choices).toEqual(['ledger', 'archive']);
      expect(defs[3].defaultParameterValue).toEqual({ _class: 'hudson.model.PasswordParameterValue', name: 'DB_PASSWORD' });
    });

    it('serves builds with the keys of a real FreeStyleBuild and WorkflowRun', async () => {
      const freestyle = await getJson(sandbox, `${jobPath('DEV/report-builder/daily-report')}/lastCompletedBuild/api/json`);
      expect(keys(freestyle)).toEqual(keys(capture('build-aborted/jenkins-rest-fork__BuildInfo.java.comment.json')));

      const pipeline = await getJson(sandbox, `${jobPath(SETTLEMENT)}/lastCompletedBuild/api/json`);
      const real = capture('build-success/jenkins-rest__build-info-no-params.json');
      for (const key of Object.keys(real).filter(k => k !== 'builtOn' && k !== 'changeSet')) {
        expect(pipeline).toHaveProperty(key);
      }
      expect(pipeline._class).toBe('org.jenkinsci.plugins.workflow.job.WorkflowRun');
      expect(typeof pipeline.id).toBe('string');
      expect(pipeline.building).toBe(false);
      expect(pipeline.actions).toContainEqual({});
      const causes = pipeline.actions.find((a: any) => a._class === 'hudson.model.CauseAction').causes;
      expect(causes[0]._class).toMatch(/^hudson\.(triggers\.TimerTrigger\$TimerTriggerCause|model\.Cause\$)/);
    });

    it('has causes of every kind in the seeded history', async () => {
      const seen = new Set<string>();
      for (const job of [SETTLEMENT, 'DEV/payments-settlement/settlement-reconcile', MIGRATE, 'DEV/push-notifier/DEV-worker']) {
        const res = await getJson(sandbox, `${jobPath(job)}/api/json?tree=allBuilds[actions[causes[userId]]]`);
        for (const build of res.allBuilds) {
          for (const action of build.actions) for (const cause of action.causes ?? []) seen.add(cause._class);
        }
      }
      expect([...seen].sort()).toEqual([
        'hudson.model.Cause$RemoteCause',
        'hudson.model.Cause$UpstreamCause',
        'hudson.model.Cause$UserIdCause',
        'hudson.triggers.TimerTrigger$TimerTriggerCause',
      ]);
    });

    it('applies tree= with nesting and ranges, and depth=', async () => {
      const base = `${jobPath(SETTLEMENT)}/api/json`;
      const all = await getJson(sandbox, `${base}?tree=allBuilds[number]`);
      const numbers = all.allBuilds.map((b: any) => b.number);
      expect(numbers.length).toBeGreaterThanOrEqual(30);

      const page = await getJson(sandbox, `${base}?tree=allBuilds[number,result]{10,15}`);
      expect(page.allBuilds.map((b: any) => b.number)).toEqual(numbers.slice(10, 15));
      expect(keys(page.allBuilds[0])).toEqual(['_class', 'number', 'result']);
      expect((await getJson(sandbox, `${base}?tree=allBuilds[number]{3}`)).allBuilds).toEqual([
        { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: numbers[3] },
      ]);
      expect((await getJson(sandbox, `${base}?tree=builds[number]{,2}`)).builds).toHaveLength(2);

      // A property named without sub-tree is written with its class only.
      expect((await getJson(sandbox, `${base}?tree=lastBuild`)).lastBuild).toEqual({
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
      });

      const nested = await getJson(sandbox, '/job/DEV/api/json?tree=jobs[name,jobs[name,lastBuild[number,building]]]');
      const payments = nested.jobs.find((f: { name: string }) => f.name === 'payments-settlement');
      expect(payments.jobs[0]).toEqual({
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
        name: 'daily-settlement-report',
        lastBuild: { _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: numbers[0], building: false },
      });

      const depth1 = await getJson(sandbox, `${base}?depth=1`);
      expect(depth1.builds[0]).toHaveProperty('result');
      expect(depth1.builds[0]).toHaveProperty('actions');
      expect(depth1).not.toHaveProperty('allBuilds');

      const pretty = await request(sandbox, 'GET', `${base}?tree=name&pretty=true`);
      expect(pretty.body).toBe(
        '{\n  "_class" : "org.jenkinsci.plugins.workflow.job.WorkflowJob",\n  "name" : "daily-settlement-report"\n}',
      );
    });

    it('answers 404 for what does not exist', async () => {
      for (const p of [
        `${jobPath('DEV/nope')}/api/json`,
        `${jobPath(SETTLEMENT)}/99999/api/json`,
        `${jobPath(MIGRATE)}/lastUnstableBuild/api/json`.replace('lastUnstableBuild', 'nosuchlink'),
        '/queue/item/1/api/json',
      ]) {
        const res = await request(sandbox, 'GET', p);
        expect(res.status).toBe(404);
        expect(res.body).toContain('Not Found');
        expect(res.headers['x-jenkins']).toBe('2.479.3');
      }
    });

    it('serves config.xml with the timer spec', async () => {
      const pipeline = await request(sandbox, 'GET', `${jobPath(SETTLEMENT)}/config.xml`);
      expect(pipeline.body).toContain('<flow-definition plugin="workflow-job@');
      expect(pipeline.body).toMatch(/<hudson\.triggers\.TimerTrigger>\s*<spec>H 2 \* \* \*<\/spec>/);
      const freestyle = await request(sandbox, 'GET', `${jobPath('DEV/report-builder/daily-report')}/config.xml`);
      expect(freestyle.body).toContain('<project>');
      expect(freestyle.body).toContain('<spec>H 6 * * 1-5</spec>');
      const folder = await request(sandbox, 'GET', '/job/DEV/config.xml');
      expect(folder.body).toContain('<com.cloudbees.hudson.plugins.folder.Folder');
      const params = await request(sandbox, 'GET', `${jobPath(MIGRATE)}/config.xml`);
      expect(params.body).toContain('<hudson.model.ChoiceParameterDefinition>');
    });
  });

  describe('running builds', () => {
    it('queues, starts, logs progressively and finishes a triggered build', async () => {
      const job = sandbox.world.item(MIGRATE) as any;
      const expectedNumber = job.nextBuildNumber;
      const trigger = await request(
        sandbox,
        'POST',
        `${jobPath(MIGRATE)}/buildWithParameters?MIGRATION_DATE=2026-11-01&TARGET=archive`,
      );
      expect(trigger.status).toBe(201);
      const location = trigger.headers.location!;
      expect(location).toMatch(new RegExp(`^${sandbox.jenkinsUrl}/queue/item/\\d+/$`));
      const itemPath = `${new URL(location).pathname}api/json`;

      const waiting = await getJson(sandbox, itemPath);
      expect(waiting._class).toBe('hudson.model.Queue$WaitingItem');
      expect(waiting.why).toBe('In the quiet period. Expires in 5.0 sec');
      expect(waiting.params).toBe('\nMIGRATION_DATE=2026-11-01\nDRY_RUN=true\nTARGET=archive\nDB_PASSWORD=****');

      await sandbox.advance(5000);
      const left = await getJson(sandbox, itemPath);
      expect(left._class).toBe('hudson.model.Queue$LeftItem');
      expect(keys(left)).toEqual(keys(capture('queue-item/jenkins-rest__queueItemRunning.json')));
      expect(left.executable).toEqual({
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
        number: expectedNumber,
        url: `${sandbox.jenkinsUrl}${jobPath(MIGRATE)}/${expectedNumber}/`,
      });

      const buildPath = `${jobPath(MIGRATE)}/${expectedNumber}`;
      const running = await getJson(sandbox, `${buildPath}/api/json`);
      expect(running).toMatchObject({ building: true, result: null, duration: 0, inProgress: true });
      expect(running.actions[0]).toEqual({
        _class: 'hudson.model.ParametersAction',
        parameters: [
          { _class: 'hudson.model.StringParameterValue', name: 'MIGRATION_DATE', value: '2026-11-01' },
          { _class: 'hudson.model.BooleanParameterValue', name: 'DRY_RUN', value: true },
          { _class: 'hudson.model.StringParameterValue', name: 'TARGET', value: 'archive' },
          { _class: 'hudson.model.PasswordParameterValue', name: 'DB_PASSWORD' },
        ],
      });
      expect(running.actions[1].causes).toEqual([
        { _class: 'hudson.model.Cause$UserIdCause', shortDescription: 'Started by user admin', userId: 'admin', userName: 'admin' },
      ]);

      await sandbox.advance(20_000);
      const first = await request(sandbox, 'GET', `${buildPath}/logText/progressiveText?start=0`);
      expect(first.headers['x-more-data']).toBe('true');
      const size1 = Number(first.headers['x-text-size']);
      expect(size1).toBe(Buffer.byteLength(first.body));
      expect(first.body.startsWith('Started by user admin\n[Pipeline] Start of Pipeline\n')).toBe(true);
      expect(first.body.endsWith('\n')).toBe(true);

      await sandbox.advance(30_000);
      const second = await request(sandbox, 'GET', `${buildPath}/logText/progressiveText?start=${size1}`);
      const size2 = Number(second.headers['x-text-size']);
      expect(size2).toBeGreaterThan(size1);
      const whole = await request(sandbox, 'GET', `${buildPath}/consoleText`);
      expect(first.body + second.body).toBe(whole.body);

      await sandbox.advance(60 * 60_000);
      const done = await request(sandbox, 'GET', `${buildPath}/logText/progressiveText?start=${size2}`);
      expect(done.headers['x-more-data']).toBeUndefined();
      const finished = await getJson(sandbox, `${buildPath}/api/json`);
      expect(finished.building).toBe(false);
      expect(['SUCCESS', 'FAILURE', 'UNSTABLE']).toContain(finished.result);
      expect(finished.duration).toBeGreaterThan(0);
      expect(done.body.endsWith(`Finished: ${finished.result}\n`)).toBe(true);
      expect(Number(done.headers['x-text-size'])).toBe(size2 + Buffer.byteLength(done.body));

      // A start beyond the end means the text rolled over: Jenkins restarts at 0.
      const beyond = await request(sandbox, 'GET', `${buildPath}/logText/progressiveText?start=999999999`);
      expect(beyond.body.startsWith('Started by user admin')).toBe(true);
    });

    it('refuses /build without parameters on a parameterized job, like Jenkins', async () => {
      const res = await request(sandbox, 'POST', `${jobPath(MIGRATE)}/build`);
      expect(res.status).toBe(400);
      expect(res.body).toContain('Nothing is submitted');
      const bad = await request(sandbox, 'POST', `${jobPath(MIGRATE)}/buildWithParameters?TARGET=moon`);
      expect(bad.status).toBe(500);
      expect(bad.body).toContain('Illegal choice for parameter TARGET: moon');
    });

    it('stops a running build', async () => {
      const worker = 'DEV/push-notifier/DEV-worker';
      const before = await getJson(sandbox, `${jobPath(worker)}/lastBuild/api/json`);
      expect(before.building).toBe(true);
      const res = await request(sandbox, 'POST', `${jobPath(worker)}/${before.number}/stop`);
      expect(res.status).toBe(302);
      const after = await getJson(sandbox, `${jobPath(worker)}/${before.number}/api/json`);
      expect(after).toMatchObject({ building: false, result: 'ABORTED' });
      expect(after.actions).toContainEqual({ _class: 'jenkins.model.InterruptedBuildAction' });
      const log = await request(sandbox, 'GET', `${jobPath(worker)}/${before.number}/consoleText`);
      expect(log.body.endsWith('Aborted by admin\nFinished: ABORTED\n')).toBe(true);
      const job = await getJson(sandbox, `${jobPath(worker)}/api/json?tree=color`);
      expect(job.color).toBe('aborted');
    });

    it('fires timers at the times the cron gives', async () => {
      const job = 'DEV/push-notifier/push-dispatch';
      const expected = nextRunsOf('H/15 * * * *', {
        jobFullName: job,
        after: new Date(START),
        count: 3,
        timezone: 'UTC',
      }).map(d => d.getTime());
      const before = (await getJson(sandbox, `${jobPath(job)}/api/json?tree=nextBuildNumber`)).nextBuildNumber;
      await sandbox.advance(expected[2] - START + 1000);
      const builds = await getJson(
        sandbox,
        `${jobPath(job)}/api/json?tree=allBuilds[number,timestamp,actions[causes[shortDescription]]]{0,3}`,
      );
      const fired = builds.allBuilds.filter((b: any) => b.number >= before).reverse();
      expect(fired.map((b: any) => b.timestamp)).toEqual(expected);
      for (const build of fired) {
        expect(build.actions[0].causes).toEqual([
          { _class: 'hudson.triggers.TimerTrigger$TimerTriggerCause', shortDescription: 'Started by timer' },
        ]);
      }
    });

    it('waits for an executor on the label and says so', async () => {
      // Fill DEV's batch agents with long manual runs.
      for (const name of ['daily-settlement-report', 'settlement-reconcile']) {
        await request(sandbox, 'POST', `${jobPath(`DEV/payments-settlement/${name}`)}/build?delay=0sec`);
      }
      await request(sandbox, 'POST', `${jobPath('DEV/report-builder/monthly-export')}/buildWithParameters?delay=0`);
      await request(sandbox, 'POST', `${jobPath('DEV/push-notifier/weekly-token-cleanup')}/build?delay=0`);
      await request(sandbox, 'POST', `${jobPath('DEV/report-builder/daily-report')}/build?delay=0`);
      await sandbox.advance(100);
      const nodes = await getJson(sandbox, '/computer/api/json?tree=computer[displayName,offline,assignedLabels[name],executors[idle]]');
      const devBatch = nodes.computer.filter(
        (c: any) => !c.offline && c.assignedLabels.some((l: any) => l.name === 'DEV-batch-agent'),
      );
      const queue = await getJson(sandbox, '/queue/api/json');
      const freeExecutors = devBatch.flatMap((c: any) => c.executors).filter((e: any) => e.idle).length;
      expect(freeExecutors).toBe(0);
      const waiting = queue.items.find((i: any) => i.why?.includes('DEV-batch-agent'));
      expect(waiting.why).toBe('Waiting for next available executor on \u2018DEV-batch-agent\u2019');
      expect(waiting._class).toBe('hudson.model.Queue$BuildableItem');
    });
  });

  describe('nodes and queue', () => {
    it('lists computers with the shape of the captures', async () => {
      const real = capture('computer-list/jenkins-rest__computer.json');
      const list = await getJson(sandbox, '/computer/api/json');
      expect(list._class).toBe('hudson.model.ComputerSet');
      expect(keys(list)).toEqual(['_class', ...Object.keys(real)].sort());
      const [builtIn, ...agents] = list.computer;
      expect(builtIn._class).toBe('hudson.model.Hudson$MasterComputer');
      for (const key of Object.keys(real.computer[0])) expect(builtIn).toHaveProperty(key);
      expect(agents[0]._class).toBe('hudson.slaves.SlaveComputer');
      expect(keys(agents[0].monitorData)).toEqual(keys(real.computer[0].monitorData));
      expect(agents.map((a: any) => a.displayName)).toContainEqual(expect.stringMatching(/^i-0[0-9a-f]{16}-EC2-AGENT$/));

      const paused = agents.find((a: any) => a.temporarilyOffline);
      expect(paused).toMatchObject({ offline: true, offlineCauseReason: 'paused for maintenance' });
      const gone = agents.find((a: any) => a.offline && !a.temporarilyOffline);
      expect(gone.offlineCause._class).toBe('hudson.slaves.OfflineCause$ChannelTermination');

      const one = await getJson(sandbox, `/computer/${agents[0].displayName}/api/json`);
      for (const key of Object.keys(capture('computer-node/node-jenkins__nodeGet.json'))) expect(one).toHaveProperty(key);
      expect((await getJson(sandbox, '/computer/(built-in)/api/json')).displayName).toBe('Built-In Node');
    });

    it('shows blocked and cancellable items', async () => {
      // The worker runs for hours: a second build is blocked behind it.
      const res = await request(sandbox, 'POST', `${jobPath('DEV/push-notifier/DEV-worker')}/buildWithParameters?delay=0`);
      const id = Number(/item\/(\d+)\//.exec(res.headers.location!)![1]);
      await sandbox.advance(1000);
      const blocked = await getJson(sandbox, `/queue/item/${id}/api/json`);
      expect(blocked._class).toBe('hudson.model.Queue$BlockedItem');
      expect(keys(blocked)).toEqual(keys(capture('queue-item/jenkins-rest__queueItemPending.json')));
      expect(blocked.why).toMatch(/^Build #\d+ is already in progress/);
      const job = await getJson(sandbox, `${jobPath('DEV/push-notifier/DEV-worker')}/api/json?tree=inQueue,queueItem[id]`);
      expect(job).toMatchObject({ inQueue: true, queueItem: { id } });

      const cancel = await request(sandbox, 'POST', `/queue/cancelItem?id=${id}`);
      expect(cancel.status).toBe(204);
      const cancelled = await getJson(sandbox, `/queue/item/${id}/api/json`);
      expect(cancelled).toMatchObject({ _class: 'hudson.model.Queue$LeftItem', cancelled: true, executable: null });
      expect((await request(sandbox, 'POST', `/queue/cancelItem?id=${id}`)).status).toBe(404);
    });
  });

  describe('logs', () => {
    it('streams a multi-megabyte log, compressed when asked', async () => {
      const builds = await getJson(sandbox, `${jobPath(BACKUP)}/api/json?tree=allBuilds[number,result]`);
      const sizes: Array<[number, number]> = [];
      for (const b of builds.allBuilds.slice(0, 6)) {
        const head = await request(sandbox, 'GET', `${jobPath(BACKUP)}/${b.number}/logText/progressiveText?start=0`);
        sizes.push([b.number, Number(head.headers['x-text-size'])]);
      }
      const [bigNumber, bigSize] = sizes.reduce((a, b) => (b[1] > a[1] ? b : a));
      expect(bigSize).toBeGreaterThan(3_000_000);
      const tail = await request(sandbox, 'GET', `${jobPath(BACKUP)}/${bigNumber}/logText/progressiveText?start=${bigSize - 200}`);
      expect(Buffer.byteLength(tail.body)).toBe(200);
      expect(tail.body).toMatch(/Finished: (SUCCESS|FAILURE|UNSTABLE)\n$/);
      const zipped = await request(sandbox, 'GET', `${jobPath(BACKUP)}/${bigNumber}/consoleText`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers['content-type']).toBe('text/plain;charset=UTF-8');
      expect(Buffer.byteLength(zipped.body)).toBe(bigSize);
    });
  });

  it('records the requests it receives', async () => {
    await request(sandbox, 'GET', '/api/json?tree=jobs[name]');
    expect(sandbox.requests).toContainEqual({ method: 'GET', path: '/api/json?tree=jobs[name]' });
  });
});

describe('determinism', () => {
  it('builds the same world for the same seed and another for another seed', async () => {
    const snapshot = async (seed: number) => {
      const sandbox = await startSandbox({ port: 0, seed, clock: 'manual', startTime: START });
      try {
        await sandbox.advance(45 * 60_000);
        const builds = await request(
          sandbox,
          'GET',
          `${jobPath(SETTLEMENT)}/api/json?tree=allBuilds[number,result,timestamp,duration,queueId]`,
        );
        const nodes = await request(sandbox, 'GET', '/computer/api/json?tree=computer[displayName,idle]');
        const log = await request(sandbox, 'GET', `${jobPath('DEV/payments-settlement/settlement-reconcile')}/lastBuild/consoleText`);
        return [builds.body, nodes.body, log.body.replace(/127\.0\.0\.1:\d+/g, 'host')].join('\n');
      } finally {
        await sandbox.close();
      }
    };
    const a = await snapshot(7);
    expect(await snapshot(7)).toBe(a);
    expect(await snapshot(8)).not.toBe(a);
  });
});
