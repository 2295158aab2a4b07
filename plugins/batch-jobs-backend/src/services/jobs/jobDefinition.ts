/*
 * The parts of a job's config.xml that matter when the same job lives in
 * several VPCs (schedule, parameters, agent label, pipeline script), made
 * VPC-neutral so DEV and STG compare equal when only their own names differ,
 * and translated from one VPC to another for a promotion.
 */
import { ConflictError } from '@backstage/errors';
import {
  BatchJobParameterSpec,
  BatchJobParameterType,
  BatchJobSpec,
  JobComparisonResponse,
  JobDefinition,
  JobDefinitionField,
  STANDARD_JOB_TEMPLATE_ID,
  templateMarkOf,
} from '@batch-jobs/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import {
  at,
  descendants,
  parseConfigXml,
  rewriteElementTexts,
  textAt,
  XmlElement,
} from '../jenkins/configXml';
import { jobConfigOf } from '../jenkins/mapping';

const PARAMETER = /^hudson\.model\.(\w+)ParameterDefinition$/;

function parameters(root: XmlElement): JobDefinition['parameters'] {
  const property = at(
    root,
    'properties',
    'hudson.model.ParametersDefinitionProperty',
  );
  const defs = property && at(property, 'parameterDefinitions');
  if (!defs) return [];
  return defs.children.flatMap(def => {
    const kind = PARAMETER.exec(def.name);
    if (!kind) return [];
    const type = kind[1].toLowerCase();
    const param: JobDefinition['parameters'][number] = {
      name: (textAt(def, 'name') ?? '').trim(),
      type,
      description: textAt(def, 'description') ?? '',
    };
    if (type === 'choice') {
      // <choices><a class="string-array"><string>…</string></a></choices>, or
      // the strings directly under <choices> in newer cores.
      const choices = at(def, 'choices');
      param.choices = choices
        ? descendants(choices)
            .filter(e => e.name === 'string')
            .map(e => e.text)
        : [];
    } else if (type !== 'password') {
      // Password defaults are stored encrypted: never compared nor shown.
      param.defaultValue = textAt(def, 'defaultValue') ?? '';
    }
    return [param];
  });
}

/** What a config.xml says, as configured. @internal */
export function parseJobDefinition(
  configXml: string,
  vpc: VpcConfig,
): JobDefinition {
  return definitionOf(parseConfigXml(configXml), vpc);
}

function definitionOf(root: XmlElement, vpc: VpcConfig): JobDefinition {
  const { spec, label } = jobConfigOf(root);
  const script = textAt(root, 'definition', 'script');
  let agentType: JobDefinition['agentType'] = null;
  if (label === vpc.agentLabels.batch) agentType = 'batch';
  else if (label === vpc.agentLabels.worker) agentType = 'worker';
  return {
    schedule: spec,
    parameters: parameters(root),
    agentLabel: label,
    agentType,
    script: script ?? null,
  };
}

/** The value of a single-quoted Groovy literal assigned in the script's `environment`. */
function environmentValue(script: string, name: string): string | undefined {
  const m = new RegExp(
    `^\\s*${name}\\s*=\\s*'((?:[^'\\\\\\n]|\\\\.)*)'\\s*$`,
    'm',
  ).exec(script);
  if (!m) return undefined;
  return m[1].replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_all, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c;
  });
}

const TEMPLATE_PARAMETER_TYPES = new Set<string>([
  'string',
  'text',
  'boolean',
  'choice',
  'password',
]);

/**
 * The spec a job of a template was rendered from, read back from its
 * config.xml (any version of the standard template: the environment block,
 * the agent label, parameters, timer and description are where every
 * version put them; another template's job when its script assigns
 * APPLICATION and BATCH_NAME in its environment the same way), so it can be
 * rendered again with the template's current version.
 * `job` is the path relative to the VPC's folder (`<folder>/<name>`).
 * Throws ConflictError naming what is missing for a job the template did
 * not create or that was changed past what the spec can say.
 * @internal
 */
export function templateSpecOf(
  configXml: string,
  vpc: VpcConfig,
  job: string,
): { template: string; version: number; spec: BatchJobSpec } {
  const root = parseConfigXml(configXml);
  const definition = definitionOf(root, vpc);
  const script = definition.script ?? '';
  const mark = templateMarkOf(script);
  const refuse = (why: string) =>
    new ConflictError(
      `Job '${job}' in VPC '${vpc.name}' cannot be updated from its configuration: ${why}`,
    );
  if (mark === undefined) {
    throw refuse(
      'its pipeline script was not rendered by the standard template (no template mark)',
    );
  }
  const missing: string[] = [];
  const application = environmentValue(script, 'APPLICATION');
  const batchName = environmentValue(script, 'BATCH_NAME');
  if (application === undefined)
    missing.push("no APPLICATION = '…' in the script's environment");
  if (batchName === undefined)
    missing.push("no BATCH_NAME = '…' in the script's environment");
  if (!definition.agentType) {
    missing.push(
      `agent label '${definition.agentLabel ?? ''}' is neither ${
        vpc.agentLabels.batch
      } nor ${vpc.agentLabels.worker}`,
    );
  }
  const slash = job.lastIndexOf('/');
  if (slash <= 0) missing.push('the job is not in a folder of the VPC');
  const specParameters: BatchJobParameterSpec[] = [];
  for (const p of definition.parameters) {
    if (!TEMPLATE_PARAMETER_TYPES.has(p.type)) {
      missing.push(
        `parameter '${p.name}' is of type '${p.type}', which the template does not render`,
      );
      continue;
    }
    const param: BatchJobParameterSpec = {
      name: p.name,
      type: p.type as BatchJobParameterType,
    };
    if (p.description) param.description = p.description;
    if (p.type === 'choice') param.choices = p.choices ?? [];
    else if (p.type === 'boolean')
      param.defaultValue = p.defaultValue === 'true';
    else if (p.defaultValue !== undefined) param.defaultValue = p.defaultValue;
    specParameters.push(param);
  }
  if (missing.length) throw refuse(missing.join('; '));
  // The job's own description (a child of the root; parameters have theirs).
  const description = textAt(root, 'description');
  const spec: BatchJobSpec = {
    folder: job.slice(0, slash),
    name: job.slice(slash + 1),
    schedule: definition.schedule,
    agentType: definition.agentType!,
    parameters: specParameters,
    application: application!,
    batchName: batchName!,
  };
  if (description) spec.description = description;
  // The standard template's specs stay as they always were: no template named.
  if (mark.template !== STANDARD_JOB_TEMPLATE_ID) spec.template = mark.template;
  return { template: mark.template, version: mark.version, spec };
}

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces a VPC's own names (agent labels, then the VPC name as a word) by `${…}` placeholders. */
function neutralize(text: string, vpc: VpcConfig): string {
  return text
    .split(vpc.agentLabels.batch)
    .join('${AGENT_LABEL:batch}')
    .split(vpc.agentLabels.worker)
    .join('${AGENT_LABEL:worker}')
    .replace(new RegExp(`\\b${escapeRegExp(vpc.name)}\\b`, 'g'), '${VPC}');
}

function localize(text: string, vpc: VpcConfig): string {
  return text
    .split('${AGENT_LABEL:batch}')
    .join(vpc.agentLabels.batch)
    .split('${AGENT_LABEL:worker}')
    .join(vpc.agentLabels.worker)
    .split('${VPC}')
    .join(vpc.name);
}

/** The VPC-neutral value of each compared field. */
function comparable(
  def: JobDefinition,
  vpc: VpcConfig,
): Record<JobDefinitionField, string> {
  return {
    schedule: def.schedule ?? '',
    parameters: JSON.stringify(
      def.parameters.map(p => ({
        ...p,
        ...(p.defaultValue !== undefined
          ? { defaultValue: neutralize(p.defaultValue, vpc) }
          : {}),
      })),
    ),
    agentLabel: def.agentLabel ? neutralize(def.agentLabel, vpc) : '',
    script: def.script ? neutralize(def.script, vpc) : '',
  };
}

const FIELDS: JobDefinitionField[] = [
  'schedule',
  'parameters',
  'agentLabel',
  'script',
];

/**
 * Fields that differ between the definitions (VPC-neutral), with each VPC's
 * value as configured.
 * @internal
 */
export function diffDefinitions(
  entries: Array<{ vpc: VpcConfig; definition: JobDefinition }>,
): JobComparisonResponse['differences'] {
  if (entries.length < 2) return [];
  const neutral = entries.map(e => comparable(e.definition, e.vpc));
  return FIELDS.filter(field =>
    neutral.some(n => n[field] !== neutral[0][field]),
  ).map(field => ({
    field,
    values: Object.fromEntries(
      entries.map(e => [e.vpc.name, e.definition[field]]),
    ),
  }));
}

/** Elements whose text carries VPC-specific names. */
const TRANSLATED = ['script', 'assignedNode', 'defaultValue', 'description'];

/**
 * `from`'s config.xml made for `to`: its agent labels and VPC name (in the
 * script, the assigned node, parameter defaults and descriptions) become
 * `to`'s; everything else is copied byte for byte. Read with the XML
 * parser: text in CDATA sections is translated, comments are not, and an
 * element nested in another of the same name keeps its own text.
 * @internal
 */
export function translateConfigXml(
  configXml: string,
  from: VpcConfig,
  to: VpcConfig,
): string {
  try {
    return rewriteElementTexts(configXml, TRANSLATED, text =>
      localize(neutralize(text, from), to),
    );
  } catch (error) {
    throw new ConflictError(
      `The config.xml in VPC '${
        from.name
      }' cannot be promoted: it is not well-formed XML (${
        (error as Error).message
      })`,
    );
  }
}
