import Jenkins from 'jenkins';
import { Sandbox, startSandbox } from './index';
import { getJson, jobPath, request } from './testing/http';
import type { Job } from './world/model';

/*
 * Items created and reconfigured over HTTP: createItem with a config.xml (in
 * the root and in folders), GET/POST config.xml, doDelete; Jenkins' errors;
 * and a created job behaving like a seeded one (timer, label, parameters).
 */

const START = Date.UTC(2026, 10, 2, 9, 0);
const MINUTE = 60_000;

function pipelineXml(options: { spec?: string; label?: string; description?: string } = {}): string {
  const { spec = 'H/15 * * * *', label = 'DEV-batch-agent', description = 'Imports the night&apos;s files' } = options;
  return `<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>${description}</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.StringParameterDefinition>
          <name>RUN_DATE</name>
          <description>Day to import</description>
          <defaultValue>today</defaultValue>
          <trim>true</trim>
        </hudson.model.StringParameterDefinition>
        <hudson.model.BooleanParameterDefinition>
          <name>DRY_RUN</name>
          <description/>
          <defaultValue>true</defaultValue>
        </hudson.model.BooleanParameterDefinition>
        <hudson.model.ChoiceParameterDefinition>
          <name>MODE</name>
          <description/>
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array"><string>full</string><string>delta</string></a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers>
        <hudson.triggers.TimerTrigger><spec>${spec}</spec></hudson.triggers.TimerTrigger>
      </triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script><![CDATA[pipeline {
  agent { label '${label}' }
  stages { stage('Run') { steps { sh './bin/batch import' } } }
}]]></script>
    <sandbox>true</sandbox>
  </definition>
  <disabled>false</disabled>
</flow-definition>`;
}

const XML = { 'content-type': 'application/xml' };
const FOLDER = 'DEV/payments-settlement';
const NEW_JOB = `${FOLDER}/nightly-import`;

describe('sandbox items over HTTP', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, seed: 42, clock: 'manual', startTime: START });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  const create = (folder: string, name: string, body: string, headers: Record<string, string> = XML) =>
    request(sandbox, 'POST', `${folder ? jobPath(folder) : ''}/createItem?name=${encodeURIComponent(name)}`, {
      headers,
      body,
    });

  it('creates a pipeline in a folder that exports its parameters and serves its config.xml back', async () => {
    const res = await create(FOLDER, 'nightly-import', pipelineXml());
    expect(res.status).toBe(200);
    expect(res.body).toBe('');

    const job = await getJson(
      sandbox,
      `${jobPath(NEW_JOB)}/api/json?tree=_class,name,fullName,description,buildable,property[parameterDefinitions[name,type,choices,defaultParameterValue[value]]]`,
    );
    expect(job).toMatchObject({
      _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob',
      name: 'nightly-import',
      fullName: NEW_JOB,
      description: "Imports the night's files",
      buildable: true,
    });
    const defs = job.property.find((p: any) => p.parameterDefinitions).parameterDefinitions;
    expect(defs.map((d: any) => [d.name, d.type])).toEqual([
      ['RUN_DATE', 'StringParameterDefinition'],
      ['DRY_RUN', 'BooleanParameterDefinition'],
      ['MODE', 'ChoiceParameterDefinition'],
    ]);
    expect(defs[2].choices).toEqual(['full', 'delta']);

    const folder = await getJson(sandbox, `${jobPath(FOLDER)}/api/json?tree=jobs[name]`);
    expect(folder.jobs.map((j: any) => j.name)).toContain('nightly-import');

    const config = await request(sandbox, 'GET', `${jobPath(NEW_JOB)}/config.xml`);
    expect(config.status).toBe(200);
    expect(config.body).toBe(pipelineXml());
  });

  it('fires the timer of a created job and runs its builds on the label of its script', async () => {
    await create(FOLDER, 'nightly-import', pipelineXml({ spec: 'H/15 * * * *', label: 'STG-batch-agent' }));
    await sandbox.advance(16 * MINUTE);
    const job = sandbox.world.item(NEW_JOB) as Job;
    expect(job.builds.length).toBeGreaterThanOrEqual(1);
    const [first] = job.builds;
    expect(first.causes).toEqual([{ kind: 'timer' }]);
    // Timer builds take the parameters' defaults.
    expect(first.params?.map(p => [p.name, p.value])).toEqual([
      ['RUN_DATE', 'today'],
      ['DRY_RUN', true],
      ['MODE', 'full'],
    ]);
    await sandbox.advance(2 * MINUTE);
    const node = sandbox.world.nodes.find(n => n.name === first.builtOn);
    expect(node?.labels).toEqual(['STG-batch-agent']);
    // (A pipeline run exports no builtOn; its log names the agent.)
    const log = await request(sandbox, 'GET', `${jobPath(NEW_JOB)}/${first.number}/consoleText`);
    expect(log.body).toContain(first.builtOn!);
  });

  it('creates in the root and creates folders from their config.xml', async () => {
    const folderXml = `<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder"><description>New service</description></com.cloudbees.hudson.plugins.folder.Folder>`;
    expect((await create('', 'SANDBOX-EXTRA', folderXml)).status).toBe(200);
    expect((await create('SANDBOX-EXTRA', 'svc', folderXml)).status).toBe(200);
    expect((await create('SANDBOX-EXTRA/svc', 'job', pipelineXml(), { 'content-type': 'text/xml; charset=utf-8' })).status).toBe(200);
    const root = await getJson(sandbox, '/api/json?tree=jobs[name]');
    expect(root.jobs.map((j: any) => j.name)).toContain('SANDBOX-EXTRA');
    const svc = await getJson(sandbox, `${jobPath('SANDBOX-EXTRA/svc')}/api/json?tree=_class,description,jobs[name]`);
    expect(svc).toMatchObject({
      _class: 'com.cloudbees.hudson.plugins.folder.Folder',
      description: 'New service',
      jobs: [{ name: 'job' }],
    });
  });

  describe("Jenkins' refusals", () => {
    it('an existing name is a 400 Failure naming it', async () => {
      const res = await create(FOLDER, 'migrate-ledger', pipelineXml());
      expect(res.status).toBe(400);
      expect(res.body).toContain('A job already exists with the name ‘migrate-ledger’');
      expect(res.headers['x-error']).toBe("A job already exists with the name 'migrate-ledger'");
      // The seeded job is untouched.
      expect((sandbox.world.item(`${FOLDER}/migrate-ledger`) as Job).timerSpec).toBeNull();
    });

    it.each([
      ['bad:name', '‘:’ is an unsafe character'],
      ['what?', '‘?’ is an unsafe character'],
      ['..', '“..” is not an allowed name'],
      ['trailing.', 'A name cannot end with ‘.’'],
      ['', 'No name is specified'],
    ])('the name %j is a 400: %s', async (name, message) => {
      const res = await create(FOLDER, name, pipelineXml());
      expect(res.status).toBe(400);
      expect(res.body).toContain(message);
    });

    it('a malformed config.xml is a 500 page and creates nothing', async () => {
      const res = await create(FOLDER, 'broken', '<flow-definition><description>x</flow-definition>');
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('must be terminated by the matching end-tag');
      expect(sandbox.world.item(`${FOLDER}/broken`)).toBeUndefined();
      expect((await request(sandbox, 'GET', `${jobPath(`${FOLDER}/broken`)}/api/json`)).status).toBe(404);
    });

    it('an unknown item type is a 500, a missing content type or name a 400', async () => {
      expect((await create(FOLDER, 'odd', '<com.example.Unknown/>')).status).toBe(500);
      const noType = await request(sandbox, 'POST', `${jobPath(FOLDER)}/createItem?name=x`, { body: pipelineXml() });
      expect(noType.status).toBe(400);
      expect(noType.body).toContain('No Content-Type header set');
      const noName = await request(sandbox, 'POST', `${jobPath(FOLDER)}/createItem`, { headers: XML, body: pipelineXml() });
      expect(noName.status).toBe(400);
      expect(noName.body).toContain("Query parameter 'name' is required");
    });

    it('createItem under a job, or with GET, is refused', async () => {
      expect((await create(`${FOLDER}/migrate-ledger`, 'x', pipelineXml())).status).toBe(404);
      expect((await request(sandbox, 'GET', `${jobPath(FOLDER)}/createItem?name=x`)).status).toBe(405);
    });
  });

  it('POST config.xml changes the schedule and label, keeps the build history, and the old timer stops', async () => {
    await create(FOLDER, 'nightly-import', pipelineXml({ spec: 'H/15 * * * *' }));
    await sandbox.advance(40 * MINUTE);
    const job = sandbox.world.item(NEW_JOB) as Job;
    const before = job.builds.length;
    expect(before).toBeGreaterThanOrEqual(2);

    const updated = pipelineXml({ spec: 'H 3 * * *', label: 'DEV-worker-agent' });
    const res = await request(sandbox, 'POST', `${jobPath(NEW_JOB)}/config.xml`, { headers: XML, body: updated });
    expect(res.status).toBe(200);
    expect(sandbox.world.item(NEW_JOB)).toBe(job);
    expect(job.timerSpec).toBe('H 3 * * *');
    expect(job.label).toBe('DEV-worker-agent');
    expect((await request(sandbox, 'GET', `${jobPath(NEW_JOB)}/config.xml`)).body).toBe(updated);

    // An hour of quarter-hours: nothing fires any more (03:xx is hours away).
    await sandbox.advance(60 * MINUTE);
    expect(job.builds.length).toBe(before);
    const history = await getJson(sandbox, `${jobPath(NEW_JOB)}/api/json?tree=builds[number]`);
    expect(history.builds).toHaveLength(before);
  });

  it('POST config.xml of another item type or malformed is a 500 and changes nothing', async () => {
    const path = `${jobPath('DEV/report-builder/daily-report')}/config.xml`;
    const res = await request(sandbox, 'POST', path, { headers: XML, body: pipelineXml() });
    expect(res.status).toBe(500);
    expect(res.body).toContain('Expecting class hudson.model.FreeStyleProject');
    expect((await request(sandbox, 'POST', path, { headers: XML, body: '<project>' })).status).toBe(500);
    expect((sandbox.world.item('DEV/report-builder/daily-report') as Job).timerSpec).toBe('H 6 * * 1-5');
  });

  it('doDelete removes a job (302 to its folder), its timer and its queued work', async () => {
    await create(FOLDER, 'nightly-import', pipelineXml({ spec: 'H/15 * * * *' }));
    const res = await request(sandbox, 'POST', `${jobPath(NEW_JOB)}/doDelete`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/\/job\/DEV\/job\/payments-settlement\/$/);
    expect((await request(sandbox, 'GET', `${jobPath(NEW_JOB)}/api/json`)).status).toBe(404);
    await sandbox.advance(30 * MINUTE);
    const queue = await getJson(sandbox, '/queue/api/json?tree=items[task[name]]');
    expect(queue.items.map((i: any) => i.task.name)).not.toContain('nightly-import');
    // The name is free again.
    expect((await create(FOLDER, 'nightly-import', pipelineXml())).status).toBe(200);
  });

  it('works with a client library unchanged (node-jenkins create, config, copy, destroy)', async () => {
    const { username, apiToken } = sandbox.credentials;
    const url = new URL(sandbox.jenkinsUrl);
    const jenkins = new Jenkins({ baseUrl: `http://${username}:${apiToken}@${url.host}`, crumbIssuer: true });
    await jenkins.job.create(NEW_JOB, pipelineXml());
    expect(await jenkins.job.config(NEW_JOB)).toBe(pipelineXml());
    await jenkins.job.config(NEW_JOB, pipelineXml({ spec: '@daily' }));
    expect((sandbox.world.item(NEW_JOB) as Job).timerSpec).toBe('@daily');
    await jenkins.job.copy(NEW_JOB, `${FOLDER}/nightly-import-copy`);
    expect((sandbox.world.item(`${FOLDER}/nightly-import-copy`) as Job).timerSpec).toBe('@daily');
    await expect(jenkins.job.create(NEW_JOB, pipelineXml())).rejects.toThrow(/A job already exists with the name 'nightly-import'/);
    await jenkins.job.destroy(NEW_JOB);
    expect(await jenkins.job.exists(NEW_JOB)).toBe(false);
  });
});
