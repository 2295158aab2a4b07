import {
  BatchJobSpec,
  renderBatchJobConfigXml,
} from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { templateSpecOf } from './jobDefinition';
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
