import { BatchJobSpec } from '@batch-jobs/plugin-batch-jobs-common';
import { parseTemplateFile } from './templateFile';

const URL = 'https://git.example.com/templates/nightly-etl.yaml';
const DEV = { name: 'DEV', agentLabel: 'DEV-batch-agent' };

const spec: BatchJobSpec = {
  folder: 'payments-settlement',
  name: 'nightly-etl',
  agentType: 'batch',
  parameters: [
    { name: 'RUN_DATE', type: 'string' },
    { name: 'DRY_RUN', type: 'boolean' },
  ],
  application: "o'brien-batch",
  batchName: 'etl',
};

const FILE = `# A job template of the Batch Jobs portal
id: nightly-etl
title: Nightly ETL
description: Extract, transform and load on a batch agent.
version: 3
script: |
  pipeline {
    agent { label \${{ agentLabel }} }
    environment {
      VPC = \${{vpc}}
      APPLICATION = \${{ application }}
      BATCH_NAME = \${{ batchName }}
    }
    stages {
      stage('ETL') {
        // Groovy's own interpolation is left alone.
        steps { sh "./etl \${env.BATCH_NAME}" }
        steps { sh '''./bin/batch run "$BATCH_NAME"\${{ parameterArgs }}''' }
      }
    }
    // \${{ parameterNames }}
  }
`;

describe('parseTemplateFile', () => {
  it('reads a YAML template and renders its placeholders as Groovy literals', () => {
    const template = parseTemplateFile(FILE, URL);
    expect(template).toMatchObject({
      id: 'nightly-etl',
      title: 'Nightly ETL',
      description: 'Extract, transform and load on a batch agent.',
      version: 3,
    });
    const script = template.renderPipelineScript(spec, DEV);
    expect(script).toContain("agent { label 'DEV-batch-agent' }");
    expect(script).toContain("VPC = 'DEV'");
    // Quotes in a name are escaped: a value never becomes code.
    expect(script).toContain("APPLICATION = 'o\\'brien-batch'");
    expect(script).toContain("BATCH_NAME = 'etl'");
    expect(script).toContain('sh "./etl ${env.BATCH_NAME}"');
    expect(script).toContain(
      './bin/batch run "$BATCH_NAME" --param "RUN_DATE=$RUN_DATE" --param "DRY_RUN=$DRY_RUN"',
    );
    expect(script).toContain("// ['RUN_DATE', 'DRY_RUN']");
    expect(script).not.toContain('${{');
  });

  it('reads the same template written as JSON', () => {
    const json = JSON.stringify({
      id: 'etl',
      title: 'ETL',
      version: 1,
      script: 'pipeline { agent { label ${{ agentLabel }} } }',
    });
    expect(parseTemplateFile(json, URL).renderPipelineScript(spec, DEV)).toBe(
      "pipeline { agent { label 'DEV-batch-agent' } }",
    );
  });

  it('names the URL and every problem of an invalid file', () => {
    expect(() =>
      parseTemplateFile(
        'id: bad/id\nversion: 0\nscript: "${{ secret }} ${{ vpc }} ${{ env.X }}"',
        URL,
      ),
    ).toThrow(
      `Job template at ${URL} is invalid: id 'bad/id': ‘/’ is an unsafe character in Jenkins; title is required (a string); version is required (a whole number from 1); unknown placeholders \${{ secret }}, \${{ env.X }} in script (known: vpc, agentLabel, application, batchName, folder, name, parameterArgs, parameterNames)`,
    );
    expect(() =>
      parseTemplateFile(
        'id: etl\ntitle: "two\\nlines"\nversion: 1\nscript: x',
        URL,
      ),
    ).toThrow('title must be one line of at most 100 characters');
    expect(() =>
      parseTemplateFile('id: etl\ntitle: ETL\nversion: 1', URL),
    ).toThrow(
      `Job template at ${URL} is invalid: script is required (the pipeline script)`,
    );
  });

  it('refuses what is not a YAML mapping', () => {
    expect(() => parseTemplateFile('script: [unclosed', URL)).toThrow(
      `Job template at ${URL} is invalid: not YAML or JSON`,
    );
    expect(() => parseTemplateFile('- a\n- b\n', URL)).toThrow(
      `Job template at ${URL} is invalid: expected a mapping with id, title, version and script`,
    );
    expect(() => parseTemplateFile('', URL)).toThrow(
      'expected a mapping with id, title, version and script',
    );
  });
});
