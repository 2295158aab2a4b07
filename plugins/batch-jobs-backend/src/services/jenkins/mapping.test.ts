import {
  mapCause,
  mapParameters,
  mapQueueItem,
  parseJobConfig,
  parseTimerSpec,
} from './mapping';
import { readCapture } from '../../testing/captures';

describe('mapCause', () => {
  it.each([
    [
      {
        _class: 'hudson.triggers.TimerTrigger$TimerTriggerCause',
        shortDescription: 'Started by timer',
      },
      { kind: 'timer', description: 'Started by timer' },
    ],
    [
      {
        _class: 'hudson.model.Cause$UserIdCause',
        shortDescription: 'Started by user Jane',
        userId: 'jane.doe',
        userName: 'Jane',
      },
      { kind: 'user', userId: 'jane.doe', userName: 'Jane' },
    ],
    [
      {
        _class: 'hudson.model.Cause$UserIdCause',
        shortDescription: 'Started by user anonymous',
        userId: null,
        userName: 'anonymous',
      },
      { kind: 'user', userId: null },
    ],
    [
      {
        _class: 'hudson.model.Cause$UpstreamCause',
        shortDescription: 'Started by upstream project "DEV/a" build number 4',
        upstreamProject: 'DEV/a',
        upstreamBuild: 4,
      },
      { kind: 'upstream', upstreamJob: 'DEV/a', upstreamBuild: 4 },
    ],
    [
      {
        _class: 'hudson.model.Cause$RemoteCause',
        shortDescription: 'Started by remote host 10.0.0.1',
        addr: '10.0.0.1',
      },
      { kind: 'remote', description: 'Started by remote host 10.0.0.1' },
    ],
    [
      {
        _class: 'hudson.triggers.SCMTrigger$SCMTriggerCause',
        shortDescription: 'Started by an SCM change',
      },
      { kind: 'scm' },
    ],
    [{ shortDescription: 'Started by timer' }, { kind: 'timer' }],
    [
      { upstreamProject: 'x', upstreamBuild: 2, shortDescription: 's' },
      { kind: 'upstream', upstreamJob: 'x' },
    ],
    [
      { _class: 'com.example.Weird' },
      { kind: 'other', description: 'com.example.Weird' },
    ],
  ])('maps %o', (raw, expected) => {
    expect(mapCause(raw as any)).toMatchObject(expected);
  });
});

describe('mapParameters', () => {
  it('hides password values by class and by definition', () => {
    const build = {
      actions: [
        {},
        {
          _class: 'hudson.model.ParametersAction',
          parameters: [
            {
              _class: 'hudson.model.StringParameterValue',
              name: 'MIGRATION_DATE',
              value: '2026-11-01',
            },
            {
              _class: 'hudson.model.BooleanParameterValue',
              name: 'DRY_RUN',
              value: false,
            },
            {
              _class: 'hudson.model.PasswordParameterValue',
              name: 'DB_PASSWORD',
            },
            { name: 'OTHER_SECRET', value: 'hunter2' },
          ],
        },
      ],
    };
    expect(mapParameters(build, new Set(['OTHER_SECRET']))).toEqual([
      { name: 'MIGRATION_DATE', value: '2026-11-01' },
      { name: 'DRY_RUN', value: false },
      { name: 'DB_PASSWORD', value: null, secret: true },
      { name: 'OTHER_SECRET', value: null, secret: true },
    ]);
  });
});

describe('mapQueueItem', () => {
  it('is queued with Jenkins’ reason while waiting', () => {
    expect(
      mapQueueItem({
        id: 3,
        why: 'Waiting for next available executor on ‘DEV-batch-agent’',
      }),
    ).toEqual({
      id: 3,
      state: 'queued',
      why: 'Waiting for next available executor on ‘DEV-batch-agent’',
    });
  });
});

describe('parseTimerSpec', () => {
  it('reads a freestyle trigger and decodes XML entities', () => {
    const xml = `<project><triggers><hudson.triggers.TimerTrigger><spec>H 6 * * 1-5
# weekdays &amp; more</spec></hudson.triggers.TimerTrigger></triggers></project>`;
    expect(parseTimerSpec(xml)).toBe('H 6 * * 1-5\n# weekdays & more');
  });

  it('ignores the spec of other triggers', () => {
    const xml = `<triggers><jenkins.triggers.ReverseBuildTrigger><spec>x</spec></jenkins.triggers.ReverseBuildTrigger></triggers>`;
    expect(parseTimerSpec(xml)).toBeNull();
  });
});

describe('parseJobConfig', () => {
  const pipeline = (script: string, spec?: string) =>
    `<flow-definition><properties>${
      spec
        ? `<org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty><triggers><hudson.triggers.TimerTrigger><spec>${spec}</spec></hudson.triggers.TimerTrigger></triggers></org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>`
        : ''
    }</properties><definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"><script>${script}</script></definition></flow-definition>`;

  it.each([
    [
      `pipeline { agent { label &apos;DEV-batch-agent&apos; } }`,
      'DEV-batch-agent',
    ],
    [
      `pipeline {\n  agent {\n    node {\n      label &quot;linux &amp;&amp; big&quot;\n    }\n  }\n}`,
      'linux && big',
    ],
    [
      `node(&apos;DEV-worker-agent&apos;) { sh &apos;run&apos; }`,
      'DEV-worker-agent',
    ],
    [`node(label: &quot;a&quot;) {}`, 'a'],
    [`node { sh &apos;x&apos; }`, null],
    [`pipeline { agent any }`, null],
    [`node(&apos;first&apos;) {}\nnode(&apos;second&apos;) {}`, 'first'],
  ])('reads the agent label of a pipeline script %#', (script, label) => {
    expect(parseJobConfig(pipeline(script)).label).toBe(label);
  });

  it('reads the spec of a pipeline and of a freestyle job with its assigned node', () => {
    expect(
      parseJobConfig(
        pipeline(`pipeline { agent { label &apos;x&apos; } }`, 'H/15 * * * *'),
      ),
    ).toEqual({
      spec: 'H/15 * * * *',
      label: 'x',
      templateVersion: null,
      template: null,
    });
    const freestyle = `<project><assignedNode>DEV-batch-agent</assignedNode><canRoam>false</canRoam><triggers><hudson.triggers.TimerTrigger><spec>H 6 * * 1-5</spec></hudson.triggers.TimerTrigger></triggers></project>`;
    expect(parseJobConfig(freestyle)).toEqual({
      spec: 'H 6 * * 1-5',
      label: 'DEV-batch-agent',
      templateVersion: null,
      template: null,
    });
    // A roaming freestyle job runs anywhere, whatever assignedNode says.
    expect(
      parseJobConfig(freestyle.replace('<canRoam>false', '<canRoam>true'))
        .label,
    ).toBeNull();
  });

  it('reads the template version from the pipeline script only', () => {
    const v1 = pipeline(
      `// Standard batch pipeline, generated by the Batch Jobs portal. Edit the template, not this job.\npipeline { agent { label &apos;DEV-batch-agent&apos; } }`,
    );
    const v2 = pipeline(
      `// Standard batch pipeline (batch-jobs-template: 2), generated by the Batch Jobs portal. Edit the template, not this job.\npipeline {}`,
    );
    expect(parseJobConfig(v1)).toEqual({
      spec: null,
      label: 'DEV-batch-agent',
      templateVersion: 1,
      template: 'standard-batch-pipeline',
    });
    expect(parseJobConfig(v2).templateVersion).toBe(2);
    // Another template's mark names it.
    expect(
      parseJobConfig(
        pipeline(
          `// Nightly ETL (batch-jobs-template: nightly-etl@3), generated by the Batch Jobs portal.\npipeline {}`,
        ),
      ),
    ).toMatchObject({ templateVersion: 3, template: 'nightly-etl' });
    expect(
      parseJobConfig(pipeline(`pipeline { agent any }`)).templateVersion,
    ).toBeNull();
    // A description quoting the mark does not make a hand-written job a template job.
    expect(
      parseJobConfig(
        `<flow-definition><description>Copied from batch-jobs-template: 2</description>${pipeline(
          'pipeline {}',
        )}</flow-definition>`,
      ).templateVersion,
    ).toBeNull();
  });

  it('reads captured config.xml files', () => {
    expect(
      parseJobConfig(readCapture('config-xml/jenkins-rest__pipeline.xml')),
    ).toEqual({
      spec: null,
      label: null,
      templateVersion: null,
      template: null,
    });
    expect(
      parseJobConfig(
        readCapture(
          'config-xml/jenkinsapi__test_job_scm_hg.multibranch-branch-config.xml',
        ),
      ).spec,
    ).toBe('H H * * H(6-7)');
  });
});
