import { InputError } from '@backstage/errors';
import {
  JobParameterDefinition,
  JobParameterType,
} from '@batch-jobs/plugin-batch-jobs-common';
import { mapParameters, parameterDefinitions } from './mapping';
import { RawBuild, RawJob, RawParameterDefinition } from './types';

/*
 * Parameter definitions for the run form, and checking what a user entered
 * against them before anything reaches Jenkins. Password values never leave
 * this module except towards Jenkins: audit rows get a mask.
 */

/** What the audit shows for a password that was entered. @public */
export const SECRET_MASK = '••••';

const TYPES: Array<[RegExp, JobParameterType]> = [
  [/(^|\.)StringParameterDefinition$/, 'string'],
  [/(^|\.)TextParameterDefinition$/, 'text'],
  [/(^|\.)BooleanParameterDefinition$/, 'boolean'],
  [/(^|\.)ChoiceParameterDefinition$/, 'choice'],
  [/(^|\.)PasswordParameterDefinition$/, 'password'],
];

function typeOf(raw: RawParameterDefinition): JobParameterType {
  const names = [raw.type, raw._class].filter(Boolean) as string[];
  for (const name of names) {
    for (const [pattern, type] of TYPES) if (pattern.test(name)) return type;
  }
  // File, credentials, run… parameters: shown, never set (no default shown either).
  return 'other';
}

/** The job's definitions as the form shows them; never a password's default. @internal */
export function mapParameterDefinitions(job: RawJob): JobParameterDefinition[] {
  return parameterDefinitions(job)
    .filter(def => typeof def.name === 'string' && def.name !== '')
    .map(def => {
      const type = typeOf(def);
      const out: JobParameterDefinition = {
        name: def.name!,
        type,
        description: def.description ?? '',
      };
      if (def._class) out.jenkinsClass = def._class;
      const value = def.defaultParameterValue?.value;
      if (type === 'choice') {
        out.choices = (def.choices ?? []).map(String);
        if (out.choices.length) out.default = out.choices[0];
      } else if (type === 'boolean') {
        out.default = value === true || value === 'true';
      } else if (type === 'string' || type === 'text') {
        out.default =
          value === undefined || value === null ? '' : String(value);
      }
      // Passwords and unknown kinds: no default, ever.
      return out;
    });
}

/** Values a build ran with, for pre-filling the form; passwords and unknown kinds left out. @internal */
export function valuesFromBuild(
  build: RawBuild,
  definitions: JobParameterDefinition[],
): Record<string, string | boolean> {
  const byName = new Map(definitions.map(d => [d.name, d]));
  const secret = new Set(
    definitions.filter(d => d.type === 'password').map(d => d.name),
  );
  const values: Record<string, string | boolean> = {};
  for (const p of mapParameters(build, secret)) {
    const def = byName.get(p.name);
    if (!def || p.secret || p.value === null) continue;
    if (def.type === 'boolean')
      values[p.name] = p.value === true || p.value === 'true';
    else if (
      def.type === 'string' ||
      def.type === 'text' ||
      def.type === 'choice'
    )
      values[p.name] = String(p.value);
  }
  return values;
}

/** What to send to Jenkins and what to write in the audit. @internal */
export interface CheckedParameters {
  /** Form fields for `buildWithParameters`. */
  send: Record<string, string>;
  /** The same values for the audit, passwords masked. */
  recorded: Record<string, string | boolean>;
}

/**
 * Checks entered values against the job's definitions: unknown names,
 * types, choice values, and required strings (a string parameter whose
 * default is empty must be given a value). Messages name the parameter and
 * never repeat a password.
 * @internal
 */
export function checkParameters(
  definitions: JobParameterDefinition[],
  entered: Record<string, unknown>,
): CheckedParameters {
  const byName = new Map(definitions.map(d => [d.name, d]));
  const problems: string[] = [];
  for (const name of Object.keys(entered)) {
    if (!byName.has(name)) {
      problems.push(
        definitions.length
          ? `unknown parameter '${name}' (the job takes ${definitions
              .map(d => d.name)
              .join(', ')})`
          : `unknown parameter '${name}' (the job takes no parameters)`,
      );
    }
  }
  const send: Record<string, string> = {};
  const recorded: Record<string, string | boolean> = {};
  for (const def of definitions) {
    const given = Object.prototype.hasOwnProperty.call(entered, def.name);
    const value = entered[def.name];
    switch (def.type) {
      case 'boolean': {
        if (!given) break;
        if (typeof value === 'boolean') send[def.name] = String(value);
        else if (value === 'true' || value === 'false') send[def.name] = value;
        else {
          problems.push(`parameter '${def.name}' must be true or false`);
          break;
        }
        recorded[def.name] = send[def.name] === 'true';
        break;
      }
      case 'choice': {
        if (!given) break;
        if (typeof value !== 'string' || !(def.choices ?? []).includes(value)) {
          problems.push(
            `parameter '${def.name}' must be one of ${(def.choices ?? [])
              .map(c => `'${c}'`)
              .join(', ')}${
              typeof value === 'string' ? ` (got '${value.slice(0, 100)}')` : ''
            }`,
          );
          break;
        }
        send[def.name] = value;
        recorded[def.name] = value;
        break;
      }
      case 'password': {
        if (!given || value === '') break;
        if (typeof value !== 'string') {
          problems.push(`parameter '${def.name}' must be text`);
          break;
        }
        // Left out, Jenkins uses the job's default password.
        send[def.name] = value;
        recorded[def.name] = SECRET_MASK;
        break;
      }
      case 'string':
      case 'text': {
        if (given && typeof value !== 'string') {
          problems.push(`parameter '${def.name}' must be text`);
          break;
        }
        const text = given ? (value as string) : undefined;
        if (def.type === 'string' && !def.default && !text?.trim()) {
          problems.push(
            `parameter '${def.name}' is required (it has no default)`,
          );
          break;
        }
        if (text === undefined) break;
        send[def.name] = text;
        recorded[def.name] = text;
        break;
      }
      default: {
        if (given) {
          problems.push(
            `parameter '${def.name}' (${
              def.jenkinsClass ?? 'unknown kind'
            }) cannot be set from the portal; leave it out to use its default`,
          );
        }
      }
    }
  }
  if (problems.length) {
    throw new InputError(`Invalid parameters: ${problems.join('; ')}`);
  }
  return { send, recorded };
}
