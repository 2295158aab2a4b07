import {
  BatchJobSpec,
  renderBatchJobConfigXml,
} from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { readCapture } from '../../testing/captures';
import { templateSpecOf, translateConfigXml } from './jobDefinition';
import {
  V1_SCRIPT_MARK,
  renderV1ConfigXml,
} from '../../__testUtils__/templateV1';

const DEV = {
  name: 'DEV',
  jenkins: 'sandbox',
  folder: 'DEV',
  agentLabels: { batch: 'DEV-batch-agent', worker: 'DEV-worker-agent' },
} as VpcConfig;

const STG = {
  name: 'STG',
  jenkins: 'sandbox',
  folder: 'STG',
  agentLabels: { batch: 'STG-batch-agent', worker: 'STG-worker-agent' },
} as VpcConfig;

const spec: BatchJobSpec = {
  folder: 'payments-settlement',
  name: 'nightly-import',
  schedule: 'H 2 * * *',
  agentType: 'worker',
  parameters: [
    {
      name: 'RUN_DATE',
      type: 'string',
      defaultValue: "it's <today> & more",
      description: 'Date to import',
    },
    { name: 'NOTES', type: 'text', defaultValue: 'a\nb' },
    { name: 'DRY_RUN', type: 'boolean', defaultValue: true },
    { name: 'REGION', type: 'choice', choices: ['eu', 'us'] },
    { name: 'DB_PASSWORD', type: 'password' },
  ],
  application: 'payments-batch',
  batchName: 'import-settlements',
};

describe('templateSpecOf', () => {
  // The template renders its default description into config.xml: it comes back explicit.
  const expected = {
    ...spec,
    description:
      'Batch import-settlements of payments-batch (standard batch pipeline).',
  };

  it('reads back the spec a job of the current template was rendered from', () => {
    const xml = renderBatchJobConfigXml(spec, {
      name: 'DEV',
      agentLabel: 'DEV-worker-agent',
    });
    const { version, spec: back } = templateSpecOf(
      xml,
      DEV,
      'payments-settlement/nightly-import',
    );
    expect(version).toBe(2);
    expect(back).toEqual(expected);
    // Rendering it again gives the same job, byte for byte.
    expect(
      renderBatchJobConfigXml(back, {
        name: 'DEV',
        agentLabel: 'DEV-worker-agent',
      }),
    ).toBe(xml);
  });

  it('reads back the spec of a job the first template (v1) rendered, so it can be rendered with the current one', () => {
    const xml = renderV1ConfigXml(spec, {
      name: 'DEV',
      agentLabel: 'DEV-worker-agent',
    });
    expect(xml).toContain(V1_SCRIPT_MARK);
    const { version, spec: back } = templateSpecOf(
      xml,
      DEV,
      'payments-settlement/nightly-import',
    );
    expect(version).toBe(1);
    expect(back).toEqual(expected);
  });

  it('keeps names with quotes and backslashes exactly (escaped Groovy literals)', () => {
    const xml = renderBatchJobConfigXml(
      { ...spec, description: 'x', application: "o'brien\\app" },
      { name: 'DEV', agentLabel: 'DEV-worker-agent' },
    );
    expect(
      templateSpecOf(xml, DEV, 'payments-settlement/nightly-import').spec
        .application,
    ).toBe("o'brien\\app");
  });

  it('refuses a hand-written pipeline, and a template job changed past what a spec says', () => {
    const handWritten =
      "<flow-definition><definition><script>pipeline { agent { label 'DEV-batch-agent' } }</script></definition></flow-definition>";
    expect(() =>
      templateSpecOf(handWritten, DEV, 'payments-settlement/x'),
    ).toThrow(
      "Job 'payments-settlement/x' in VPC 'DEV' cannot be updated from its configuration: its pipeline script was not rendered by the standard template (no template mark)",
    );
    const relabelled = renderBatchJobConfigXml(spec, {
      name: 'DEV',
      agentLabel: 'gpu',
    });
    expect(() =>
      templateSpecOf(relabelled, DEV, 'payments-settlement/nightly-import'),
    ).toThrow(
      "agent label 'gpu' is neither DEV-batch-agent nor DEV-worker-agent",
    );
    const noFolder = renderBatchJobConfigXml(spec, {
      name: 'DEV',
      agentLabel: 'DEV-batch-agent',
    });
    expect(() => templateSpecOf(noFolder, DEV, 'nightly-import')).toThrow(
      'the job is not in a folder of the VPC',
    );
  });
});

describe('translateConfigXml', () => {
  it('gives what the template renders for the target VPC, byte for byte', () => {
    const dev = renderBatchJobConfigXml(spec, {
      name: 'DEV',
      agentLabel: 'DEV-worker-agent',
    });
    const stg = renderBatchJobConfigXml(spec, {
      name: 'STG',
      agentLabel: 'STG-worker-agent',
    });
    expect(translateConfigXml(dev, DEV, STG)).toBe(stg);
  });

  it('translates text in CDATA sections, not in comments, and keeps the rest as written', () => {
    const xml = `<?xml version='1.1' encoding='UTF-8'?>
<!-- Copied from DEV: <description>DEV</description> -->
<flow-definition plugin="workflow-job">
  <description><![CDATA[Runs in DEV & on DEV-batch-agent]]></description>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">
    <script><![CDATA[pipeline {
  // <script> in a comment of the script: DEV
  agent { label 'DEV-batch-agent' }
  stages { stage('x') { steps { sh 'echo "DEV" && test 1 -lt 2' } } }
}]]></script>
  </definition>
  <assignedNode>DEV-worker-agent<!-- was DEV-batch-agent --></assignedNode>
  <disabled>false</disabled>
</flow-definition>
`;
    expect(translateConfigXml(xml, DEV, STG)).toBe(
      xml
        .replace(
          'Runs in DEV & on DEV-batch-agent',
          'Runs in STG & on STG-batch-agent',
        )
        .replace('script: DEV', 'script: STG')
        .replace("label 'DEV-batch-agent'", "label 'STG-batch-agent'")
        .replace('echo "DEV"', 'echo "STG"')
        .replace(
          '<assignedNode>DEV-worker-agent<!--',
          '<assignedNode>STG-worker-agent<!--',
        ),
    );
  });

  it('keeps elements nested in a same-name element out of its text, translating each on its own', () => {
    const xml = `<project>
  <description>Job of DEV<description plugin="x" note="a > b in DEV">nested DEV</description> tail DEV</description>
  <properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>
    <hudson.model.StringParameterDefinition>
      <name>TARGET</name>
      <description>Host in DEV &amp; friends</description>
      <defaultValue>DEV-host&apos;s</defaultValue>
    </hudson.model.StringParameterDefinition>
  </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>
  <DEV-settings><name>DEV</name></DEV-settings>
</project>`;
    expect(translateConfigXml(xml, DEV, STG)).toBe(`<project>
  <description>Job of STG<description plugin="x" note="a > b in DEV">nested STG</description> tail STG</description>
  <properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>
    <hudson.model.StringParameterDefinition>
      <name>TARGET</name>
      <description>Host in STG &amp; friends</description>
      <defaultValue>STG-host&apos;s</defaultValue>
    </hudson.model.StringParameterDefinition>
  </parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>
  <DEV-settings><name>DEV</name></DEV-settings>
</project>`);
  });

  it('copies real captured config.xml files with nothing to translate unchanged', () => {
    for (const name of [
      'config-xml/jenkins-rest__pipeline.xml',
      'config-xml/jenkins-rest__folder-config.xml',
      'config-xml/jenkinsapi__test_job_scm_hg.multibranch-branch-config.xml',
    ]) {
      const xml = readCapture(name);
      expect(translateConfigXml(xml, DEV, STG)).toBe(xml);
    }
    const pipeline = readCapture('config-xml/jenkins-rest__pipeline.xml');
    const inDev = pipeline.replace(
      "node { sh 'sleep 20' }",
      "node(&apos;DEV-batch-agent&apos;) { sh 'sleep 20' }",
    );
    expect(translateConfigXml(inDev, DEV, STG)).toBe(
      pipeline.replace(
        "node { sh 'sleep 20' }",
        // Changed text is escaped as Jenkins writes it.
        'node(&apos;STG-batch-agent&apos;) { sh &apos;sleep 20&apos; }',
      ),
    );
  });

  it('refuses config.xml that is not well-formed', () => {
    expect(() =>
      translateConfigXml('<project><description>DEV</project>', DEV, STG),
    ).toThrow("The config.xml in VPC 'DEV' cannot be promoted: it is not well-formed XML");
  });
});
