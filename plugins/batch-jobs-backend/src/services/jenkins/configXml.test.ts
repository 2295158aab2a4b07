import { parseJobDefinition } from '../jobs/jobDefinition';
import { restorable } from '../jobs/JobConfigHistory';
import { readCapture } from '../../testing/captures';
import { parseConfigXml, textAt } from './configXml';
import { parseJobConfig, parseTimerSpec } from './mapping';

/*
 * config.xml as Jenkins writes it and people edit it: comments, CDATA,
 * entities, and other plugins' elements that share a name with the job's
 * own. Each case here read wrong with the regular expressions used before.
 */

const VPC = {
  name: 'DEV',
  agentLabels: { batch: 'DEV-batch-agent', worker: 'DEV-worker-agent' },
} as any;

const pipeline = (body: string) =>
  `<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin="workflow-job@1145">\n${body}\n</flow-definition>`;

describe('config.xml read with an XML parser', () => {
  it('reads the real captured pipeline and folder configs', () => {
    const job = readCapture('config-xml/jenkins-rest__pipeline.xml');
    expect(parseJobConfig(job)).toEqual({
      spec: null,
      label: null,
      templateVersion: null,
      template: null,
    });
    expect(parseJobDefinition(job, VPC)).toMatchObject({
      script: "node { sh 'sleep 20' }",
      parameters: [],
      schedule: null,
    });
    const folder = readCapture('config-xml/jenkins-rest__folder-config.xml');
    expect(parseConfigXml(folder).name).toBe(
      'com.cloudbees.hudson.plugins.folder.Folder',
    );
    expect(parseTimerSpec(folder)).toBeNull();
  });

  it('ignores a commented-out timer and reads the live one', () => {
    const xml = pipeline(`
  <!-- was: <properties><org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty><triggers><hudson.triggers.TimerTrigger><spec>H 1 * * *</spec></hudson.triggers.TimerTrigger></triggers></org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty></properties> -->
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers><hudson.triggers.TimerTrigger><spec>H 6 * * 1-5</spec></hudson.triggers.TimerTrigger></triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
  </properties>`);
    expect(parseTimerSpec(xml)).toBe('H 6 * * 1-5');
  });

  it('reads a CDATA script whole, even when it contains </script>, and decodes numeric entities', () => {
    const xml = pipeline(`
  <description>Caf&#233; &amp; bar &#x1F600;</description>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">
    <script><![CDATA[pipeline {
  agent { label 'DEV-batch-agent' }
  stages { stage('x') { steps { echo "</script> & <b>" } } }
}]]></script>
  </definition>`);
    const def = parseJobDefinition(xml, VPC);
    expect(def.script).toContain('echo "</script> & <b>" } } }\n}');
    expect(def.agentLabel).toBe('DEV-batch-agent');
    expect(def.agentType).toBe('batch');
    expect(textAt(parseConfigXml(xml), 'description')).toBe('Café & bar 😀');
  });

  it('takes the job’s own elements, not same-name ones nested in other plugins', () => {
    const xml = pipeline(`
  <properties>
    <com.example.NotifierProperty>
      <script>notify('ops')</script>
      <disabled>true</disabled>
      <triggers><hudson.triggers.TimerTrigger><spec>@hourly</spec></hudson.triggers.TimerTrigger></triggers>
    </com.example.NotifierProperty>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.ChoiceParameterDefinition>
          <name>TARGET</name>
          <description>where &lt;to&gt;</description>
          <choices class="java.util.Arrays$ArrayList"><a class="string-array"><string>ledger</string><string>archive</string></a></choices>
        </hudson.model.ChoiceParameterDefinition>
        <hudson.model.StringParameterDefinition>
          <name>DATE</name>
          <defaultValue><![CDATA[2026-11-05]]></defaultValue>
          <trim>false</trim>
        </hudson.model.StringParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">
    <script>node('DEV-worker-agent') { sh 'run' }</script>
  </definition>
  <disabled>false</disabled>`);
    const def = parseJobDefinition(xml, VPC);
    expect(def.script).toBe("node('DEV-worker-agent') { sh 'run' }");
    expect(def.agentType).toBe('worker');
    // The notifier's timer is not the job's: the job has no timer property.
    expect(def.schedule).toBeNull();
    expect(def.parameters).toEqual([
      {
        name: 'TARGET',
        type: 'choice',
        description: 'where <to>',
        choices: ['ledger', 'archive'],
      },
      {
        name: 'DATE',
        type: 'string',
        description: '',
        defaultValue: '2026-11-05',
      },
    ]);
  });

  it('keeps the paused state on restore by changing the job’s own <disabled>, not a plugin’s', () => {
    const version = pipeline(`
  <properties><com.example.NotifierProperty><disabled>false</disabled></com.example.NotifierProperty></properties>
  <disabled>false</disabled>`);
    const current = pipeline(`<disabled>true</disabled>`);
    const restored = restorable(version, current);
    expect(textAt(parseConfigXml(restored), 'disabled')).toBe('true');
    // The plugin's element is untouched and everything else byte for byte.
    expect(restored).toBe(
      version.replace(
        '</properties>\n  <disabled>false</disabled>',
        '</properties>\n  <disabled>true</disabled>',
      ),
    );
  });
});
