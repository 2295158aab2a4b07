/*
 * The parts of a job's config.xml that matter when the same job lives in
 * several VPCs (schedule, parameters, agent label, pipeline script), made
 * VPC-neutral so DEV and STG compare equal when only their own names differ,
 * and translated from one VPC to another for a promotion.
 */
import {
  JobComparisonResponse,
  JobDefinition,
  JobDefinitionField,
} from '@internal/plugin-batch-jobs-common';
import { VpcConfig } from '../../config';
import { parseJobConfig } from '../jenkins/mapping';

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decode(text: string): string {
  return text
    .replace(/^<!\[CDATA\[([\s\S]*)\]\]>$/, '$1')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, code: string) => {
      if (code[0] === '#') {
        const n =
          code[1] === 'x' || code[1] === 'X'
            ? parseInt(code.slice(2), 16)
            : parseInt(code.slice(1), 10);
        return Number.isFinite(n) ? String.fromCodePoint(n) : all;
      }
      return ENTITIES[code] ?? all;
    });
}

function element(xml: string, name: string): string | undefined {
  const escaped = name.replace(/[.$]/g, '\\$&');
  const m = new RegExp(
    `<${escaped}(?:\\s[^>]*)?>([\\s\\S]*?)</${escaped}>`,
  ).exec(xml);
  return m ? m[1] : undefined;
}

const PARAMETER_RE =
  /<(hudson\.model\.(\w+)ParameterDefinition)(?:\s[^>]*)?>([\s\S]*?)<\/\1>/g;

function parameters(xml: string): JobDefinition['parameters'] {
  const defs = element(xml, 'parameterDefinitions');
  if (!defs) return [];
  return [...defs.matchAll(PARAMETER_RE)].map(m => {
    const body = m[3];
    const type = m[2].toLowerCase();
    const param: JobDefinition['parameters'][number] = {
      name: decode(element(body, 'name') ?? '').trim(),
      type,
      description: decode(element(body, 'description') ?? ''),
    };
    if (type === 'choice') {
      const choices = element(body, 'choices') ?? '';
      param.choices = [
        ...choices.matchAll(/<string>([\s\S]*?)<\/string>/g),
      ].map(c => decode(c[1]));
    } else if (type !== 'password') {
      // Password defaults are stored encrypted: never compared nor shown.
      param.defaultValue = decode(element(body, 'defaultValue') ?? '');
    }
    return param;
  });
}

/** What a config.xml says, as configured. @internal */
export function parseJobDefinition(
  configXml: string,
  vpc: VpcConfig,
): JobDefinition {
  const { spec, label } = parseJobConfig(configXml);
  const script = element(configXml, 'script');
  let agentType: JobDefinition['agentType'] = null;
  if (label === vpc.agentLabels.batch) agentType = 'batch';
  else if (label === vpc.agentLabels.worker) agentType = 'worker';
  return {
    schedule: spec,
    parameters: parameters(configXml),
    agentLabel: label,
    agentType,
    script: script === undefined ? null : decode(script),
  };
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
 * `to`'s; everything else is copied as is.
 * @internal
 */
export function translateConfigXml(
  configXml: string,
  from: VpcConfig,
  to: VpcConfig,
): string {
  let xml = configXml;
  for (const name of TRANSLATED) {
    xml = xml.replace(
      new RegExp(`(<${name}(?:\\s[^>]*)?>)([\\s\\S]*?)(</${name}>)`, 'g'),
      (_all, open: string, text: string, close: string) =>
        `${open}${localize(neutralize(text, from), to)}${close}`,
    );
  }
  return xml;
}
