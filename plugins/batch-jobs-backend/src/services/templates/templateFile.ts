/*
 * The job template file format of `batchJobs.templates.locations`: YAML (or
 * JSON) with the template's id, title, version and a Groovy pipeline script
 * with `${{ placeholder }}`s (the scaffolder's syntax, which Groovy's own
 * `${…}` never collides with). Names are substituted as escaped Groovy
 * literals, so a spec value can never become pipeline code.
 */
import {
  BatchJobSpec,
  checkJobName,
  groovyString,
} from '@batch-jobs/plugin-batch-jobs-common';
import type {
  BatchJobsJobTemplate,
  BatchJobsTemplateVpc,
} from '@batch-jobs/plugin-batch-jobs-node';
import { parse as parseYaml } from 'yaml';

type Placeholder = (spec: BatchJobSpec, vpc: BatchJobsTemplateVpc) => string;

/** What a template script may name, and what each becomes. */
const PLACEHOLDERS: Record<string, Placeholder> = {
  vpc: (_spec, vpc) => groovyString(vpc.name),
  agentLabel: (_spec, vpc) => groovyString(vpc.agentLabel),
  application: spec => groovyString(spec.application),
  batchName: spec => groovyString(spec.batchName),
  folder: spec => groovyString(spec.folder),
  name: spec => groovyString(spec.name),
  // Shell text for a `sh '''…'''` step: each parameter as `--param "NAME=$NAME"`,
  // its value expanded by the shell from the build's environment, never by
  // Groovy (names are checked to be shell variable names before rendering).
  parameterArgs: spec =>
    (spec.parameters ?? [])
      .map(p => ` --param "${p.name}=$${p.name}"`)
      .join(''),
  // A Groovy list of the parameter names, e.g. `['RUN_DATE', 'DRY_RUN']`.
  parameterNames: spec =>
    `[${(spec.parameters ?? []).map(p => groovyString(p.name)).join(', ')}]`,
};

const PLACEHOLDER = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/** The placeholders a template script may use. */
export const TEMPLATE_PLACEHOLDERS = Object.keys(PLACEHOLDERS);

/**
 * The template a file holds; throws an Error naming `url` and every
 * problem when the file is not a valid template.
 */
export function parseTemplateFile(
  content: string,
  url: string,
): BatchJobsJobTemplate {
  const invalid = (problems: string[]) =>
    new Error(`Job template at ${url} is invalid: ${problems.join('; ')}`);
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (error) {
    throw invalid([
      `not YAML or JSON (${(error as Error).message.split('\n')[0]})`,
    ]);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalid(['expected a mapping with id, title, version and script']);
  }
  const { id, title, description, version, script } = doc as Record<
    string,
    unknown
  >;
  const problems: string[] = [];
  if (typeof id !== 'string') problems.push('id is required (a string)');
  else {
    const problem = checkJobName(id, 'id');
    if (problem) problems.push(problem);
  }
  if (typeof title !== 'string' || !title.trim()) {
    problems.push('title is required (a string)');
  } else if (/[\r\n]/.test(title) || title.length > 100) {
    problems.push('title must be one line of at most 100 characters');
  }
  if (description !== undefined && typeof description !== 'string') {
    problems.push('description must be a string');
  }
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < 1
  ) {
    problems.push('version is required (a whole number from 1)');
  }
  if (typeof script !== 'string' || !script.trim()) {
    problems.push('script is required (the pipeline script)');
  } else {
    const unknown = [...script.matchAll(PLACEHOLDER)]
      .map(m => m[1])
      .filter(name => !(name in PLACEHOLDERS));
    if (unknown.length) {
      problems.push(
        `unknown placeholder${unknown.length > 1 ? 's' : ''} ${[
          ...new Set(unknown),
        ]
          .map(n => `\${{ ${n} }}`)
          .join(', ')} in script (known: ${TEMPLATE_PLACEHOLDERS.join(', ')})`,
      );
    }
  }
  if (problems.length) throw invalid(problems);
  const body = script as string;
  return {
    id: id as string,
    title: (title as string).trim(),
    ...(description ? { description: description as string } : {}),
    version: version as number,
    renderPipelineScript: (spec, vpc) =>
      body.replace(PLACEHOLDER, (_all, name: string) =>
        PLACEHOLDERS[name](spec, vpc),
      ),
  };
}
