import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import { Sandbox, startSandbox } from './index';
import { getJson, jobPath, request } from './testing/http';
import type { Job } from './world/model';

/*
 * What the portal's operator controls rely on: parameter kinds (passwords
 * never exported), disable/enable with a silent timer, the stop → term →
 * kill escalation of pipelines, and cancelling queue items.
 */

const START = Date.UTC(2026, 10, 2, 9, 0);
const MIGRATE = 'DEV/payments-settlement/migrate-ledger';
const DISPATCH = 'DEV/push-notifier/push-dispatch';
const WORKER = 'DEV/push-notifier/DEV-worker';
const DAILY_REPORT = 'DEV/report-builder/daily-report';

describe('sandbox operator controls', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, seed: 42, clock: 'manual', startTime: START });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  const job = (fullName: string) => sandbox.world.item(fullName) as Job;

  async function runningBuild(fullName: string): Promise<number> {
    const last = await getJson(sandbox, `${jobPath(fullName)}/lastBuild/api/json?tree=number,building`);
    expect(last.building).toBe(true);
    return last.number;
  }

  describe('parameters', () => {
    it('describes every parameter kind, with no password default', async () => {
      // A text parameter is not in the demo world: give the job one.
      job(MIGRATE).params.push({ type: 'text', name: 'NOTES', description: 'Free text', defaultValue: 'line 1\nline 2' });
      const res = await getJson(
        sandbox,
        `${jobPath(MIGRATE)}/api/json?tree=property[parameterDefinitions[name,type,description,choices,defaultParameterValue[name,value]]]`,
      );
      const defs = res.property.find((p: any) => p.parameterDefinitions).parameterDefinitions;
      expect(defs.map((d: any) => [d.name, d.type])).toEqual([
        ['MIGRATION_DATE', 'StringParameterDefinition'],
        ['DRY_RUN', 'BooleanParameterDefinition'],
        ['TARGET', 'ChoiceParameterDefinition'],
        ['DB_PASSWORD', 'PasswordParameterDefinition'],
        ['NOTES', 'TextParameterDefinition'],
      ]);
      expect(defs[2].choices).toEqual(['ledger', 'archive']);
      expect(defs[3].defaultParameterValue).toEqual({ _class: 'hudson.model.PasswordParameterValue', name: 'DB_PASSWORD' });
      expect(defs[4].defaultParameterValue).toEqual({
        _class: 'hudson.model.TextParameterValue',
        name: 'NOTES',
        value: 'line 1\nline 2',
      });
      const xml = await request(sandbox, 'GET', `${jobPath(MIGRATE)}/config.xml`);
      expect(xml.body).toContain('<hudson.model.TextParameterDefinition>');
    });

    it('builds with the values sent and never exports the password', async () => {
      job(MIGRATE).params.push({ type: 'text', name: 'NOTES', description: 'Free text', defaultValue: '' });
      const res = await request(sandbox, 'POST', `${jobPath(MIGRATE)}/buildWithParameters`, {
        form: {
          MIGRATION_DATE: '2026-11-03',
          DRY_RUN: 'false',
          TARGET: 'archive',
          DB_PASSWORD: 's3cr3t-value',
          NOTES: 'first\nsecond',
        },
      });
      expect(res.status).toBe(201);
      await sandbox.advance(6000);
      const build = await getJson(sandbox, `${jobPath(MIGRATE)}/lastBuild/api/json?depth=2`);
      const params = build.actions.find((a: any) => a?._class === 'hudson.model.ParametersAction').parameters;
      expect(params).toEqual([
        { _class: 'hudson.model.StringParameterValue', name: 'MIGRATION_DATE', value: '2026-11-03' },
        { _class: 'hudson.model.BooleanParameterValue', name: 'DRY_RUN', value: false },
        { _class: 'hudson.model.StringParameterValue', name: 'TARGET', value: 'archive' },
        { _class: 'hudson.model.PasswordParameterValue', name: 'DB_PASSWORD' },
        { _class: 'hudson.model.TextParameterValue', name: 'NOTES', value: 'first\nsecond' },
      ]);
      // The value is kept (the build uses it) but appears in no answer.
      expect(JSON.stringify(build)).not.toContain('s3cr3t-value');
      const log = await request(sandbox, 'GET', `${jobPath(MIGRATE)}/${build.number}/consoleText`);
      expect(log.body).not.toContain('s3cr3t-value');
    });
  });

  describe('disable and enable', () => {
    it('disables a job: color disabled, not buildable, builds refused with 409, queue cleared', async () => {
      // Something waiting in the quiet period is cancelled by the disable.
      const queued = await request(sandbox, 'POST', `${jobPath(DISPATCH)}/build?delay=60sec`);
      const queueId = Number(/queue\/item\/(\d+)/.exec(String(queued.headers.location))![1]);

      const res = await request(sandbox, 'POST', `${jobPath(DISPATCH)}/disable`);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${sandbox.jenkinsUrl}${jobPath(DISPATCH)}/`);
      const after = await getJson(sandbox, `${jobPath(DISPATCH)}/api/json?tree=color,buildable`);
      expect(after).toMatchObject({ color: 'disabled', buildable: false });
      const item = await getJson(sandbox, `/queue/item/${queueId}/api/json`);
      expect(item.cancelled).toBe(true);

      const build = await request(sandbox, 'POST', `${jobPath(DISPATCH)}/build`);
      expect(build.status).toBe(409);
      expect(build.body).toContain('is not buildable');
      const refusedGet = await request(sandbox, 'GET', `${jobPath(DISPATCH)}/disable`);
      expect(refusedGet.status).toBe(405);

      await request(sandbox, 'POST', `${jobPath(DISPATCH)}/enable`);
      const enabled = await getJson(sandbox, `${jobPath(DISPATCH)}/api/json?tree=color,buildable`);
      expect(enabled.buildable).toBe(true);
      expect(enabled.color).not.toMatch(/^disabled/);
      expect((await request(sandbox, 'POST', `${jobPath(DISPATCH)}/build`)).status).toBe(201);
    });

    it('shows disabled_anime while a build of a disabled job still runs', async () => {
      await request(sandbox, 'POST', `${jobPath(WORKER)}/disable`);
      const res = await getJson(sandbox, `${jobPath(WORKER)}/api/json?tree=color`);
      expect(res.color).toBe('disabled_anime');
    });

    it("a disabled job's timer does not fire; once enabled it fires again", async () => {
      const [first, second, third] = nextRunsOf('H/15 * * * *', {
        jobFullName: DISPATCH,
        after: new Date(START),
        count: 3,
        timezone: 'UTC',
      }).map(d => d.getTime());
      const next = async () =>
        (await getJson(sandbox, `${jobPath(DISPATCH)}/api/json?tree=nextBuildNumber`)).nextBuildNumber;
      const before = await next();

      await request(sandbox, 'POST', `${jobPath(DISPATCH)}/disable`);
      await sandbox.advance(second - START + 1000);
      expect(await next()).toBe(before);
      expect(first).toBeLessThan(second);

      await request(sandbox, 'POST', `${jobPath(DISPATCH)}/enable`);
      await sandbox.advance(third - (second + 1000) + 1000);
      expect(await next()).toBe(before + 1);
      const last = await getJson(sandbox, `${jobPath(DISPATCH)}/lastBuild/api/json?tree=timestamp`);
      expect(last.timestamp).toBe(third);
    });
  });

  describe('stop, term and kill', () => {
    it('ends an obedient build with stop', async () => {
      const number = await runningBuild(WORKER);
      await request(sandbox, 'POST', `${jobPath(WORKER)}/${number}/stop`);
      const after = await getJson(sandbox, `${jobPath(WORKER)}/${number}/api/json?tree=building,result`);
      expect(after).toMatchObject({ building: false, result: 'ABORTED' });
    });

    it('escalates for a stubborn pipeline: stop is ignored, term is ignored, kill ends it', async () => {
      const number = await runningBuild(WORKER);
      const control = await request(
        sandbox,
        'POST',
        `/__sandbox/stubborn?job=${encodeURIComponent(WORKER)}&number=${number}&ignores=term`,
      );
      expect(control.status).toBe(200);
      const state = async () =>
        getJson(sandbox, `${jobPath(WORKER)}/${number}/api/json?tree=building,result`);

      expect((await request(sandbox, 'POST', `${jobPath(WORKER)}/${number}/stop`)).status).toBe(302);
      expect(await state()).toMatchObject({ building: true, result: null });
      expect((await request(sandbox, 'POST', `${jobPath(WORKER)}/${number}/term`)).status).toBe(302);
      expect(await state()).toMatchObject({ building: true, result: null });
      expect((await request(sandbox, 'POST', `${jobPath(WORKER)}/${number}/kill`)).status).toBe(302);
      expect(await state()).toMatchObject({ building: false, result: 'ABORTED' });
      const build = sandbox.world.build(job(WORKER), number)!;
      expect(build.stopRequests!.map(r => r.mode)).toEqual(['stop', 'term', 'kill']);
    });

    it('ends a build that only ignores stop with term', async () => {
      const number = await runningBuild(WORKER);
      sandbox.world.makeStubborn(sandbox.world.build(job(WORKER), number)!, 'stop');
      await request(sandbox, 'POST', `${jobPath(WORKER)}/${number}/stop`);
      await request(sandbox, 'POST', `${jobPath(WORKER)}/${number}/term`);
      const after = await getJson(sandbox, `${jobPath(WORKER)}/${number}/api/json?tree=building,result`);
      expect(after).toMatchObject({ building: false, result: 'ABORTED' });
    });

    it('offers term and kill on pipeline runs only', async () => {
      const res = await request(sandbox, 'POST', `${jobPath(DAILY_REPORT)}/build`);
      expect(res.status).toBe(201);
      await sandbox.advance(6000);
      const last = await getJson(sandbox, `${jobPath(DAILY_REPORT)}/lastBuild/api/json?tree=number,building`);
      expect(last.building).toBe(true);
      expect((await request(sandbox, 'POST', `${jobPath(DAILY_REPORT)}/${last.number}/term`)).status).toBe(404);
      expect((await request(sandbox, 'POST', `${jobPath(DAILY_REPORT)}/${last.number}/stop`)).status).toBe(302);
    });

    it('rejects a bad stubborn control request', async () => {
      const bad = await request(sandbox, 'POST', `/__sandbox/stubborn?job=${encodeURIComponent(WORKER)}&number=1&ignores=all`);
      expect(bad.status).toBe(404);
      const number = await runningBuild(WORKER);
      const wrong = await request(
        sandbox,
        'POST',
        `/__sandbox/stubborn?job=${encodeURIComponent(WORKER)}&number=${number}&ignores=all`,
      );
      expect(wrong.status).toBe(400);
    });
  });

  it('cancels a queued item with cancelItem, 404 once it left', async () => {
    const queued = await request(sandbox, 'POST', `${jobPath(DISPATCH)}/build?delay=60sec`);
    const id = Number(/queue\/item\/(\d+)/.exec(String(queued.headers.location))![1]);
    const res = await request(sandbox, 'POST', `/queue/cancelItem?id=${id}`);
    expect(res.status).toBe(204);
    expect((await getJson(sandbox, `/queue/item/${id}/api/json`)).cancelled).toBe(true);
    expect((await request(sandbox, 'POST', `/queue/cancelItem?id=${id}`)).status).toBe(404);
  });
});
