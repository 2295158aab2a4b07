/*
 * Reading the config.xml that `createItem` and `POST config.xml` receive, as
 * Jenkins' XStream does for the three item kinds the sandbox simulates
 * (pipeline `flow-definition`, freestyle `project`, cloudbees `Folder`), and
 * Jenkins' item name rules (Jenkins.checkGoodName). Whatever the tools write
 * (jenkins-job-builder, python-jenkins, the job-dsl) uses these elements.
 */
import type { ParamDefinition } from '../world/model';

/** A request Jenkins refuses; `status` 400 for a Failure, 500 for an exception page. */
export class ItemConfigError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside the element. */
  text: string;
}

/** What a config.xml says about an item, in the world's terms. */
export type ItemSpec =
  | { kind: 'folder'; description: string | null }
  | {
      kind: 'pipeline' | 'freestyle';
      description: string;
      params: ParamDefinition[];
      timerSpec: string | null;
      /** '' when the config names no agent label. */
      label: string;
      concurrentBuild: boolean;
      disabled: boolean;
    };

const FOLDER_ROOT = 'com.cloudbees.hudson.plugins.folder.Folder';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

function decode(text: string, at: number): string {
  return text.replace(/&([^;\s&]*);?/g, (all, code: string) => {
    if (!all.endsWith(';')) throw new XmlSyntaxError(`The entity name must immediately follow the '&' in the entity reference.`, at);
    if (code.startsWith('#')) {
      const n = code[1] === 'x' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      if (!Number.isFinite(n)) throw new XmlSyntaxError(`Invalid character reference "${all}".`, at);
      return String.fromCodePoint(n);
    }
    const value = ENTITIES[code];
    if (value === undefined) throw new XmlSyntaxError(`The entity "${code}" was referenced, but not declared.`, at);
    return value;
  });
}

const NAME = /^[A-Za-z_][\w.\-$:]*/;

/**
 * A small, strict XML reader: one root element, matching end tags, quoted
 * attributes, entities, CDATA, comments and processing instructions. A
 * DOCTYPE is refused, as Jenkins' hardened parser does.
 */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const text = source.replace(/^\uFEFF/, '');
  const fail = (message: string): never => {
    throw new XmlSyntaxError(message, i);
  };
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('XML document structures must start and end within the same entity.');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) fail('XML document structures must start and end within the same entity.');
        i = end + 3;
      } else if (text.startsWith('<!DOCTYPE', i)) {
        fail('DOCTYPE is disallowed when the feature "http://apache.org/xml/features/disallow-doctype-decl" set to true.');
      } else {
        return;
      }
    }
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') fail('Content is not allowed in prolog.');
    i++;
    const name = NAME.exec(text.slice(i))?.[0];
    if (!name) fail('The markup in the document preceding the root element must be well-formed.');
    i += name!.length;
    const node: XmlElement = { name: name!, attributes: {}, children: [], text: '' };
    for (;;) {
      while (/\s/.test(text[i] ?? '')) i++;
      if (text.startsWith('/>', i)) {
        i += 2;
        return node;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      const attr = NAME.exec(text.slice(i))?.[0];
      if (!attr) fail(`Element type "${name}" must be followed by either attribute specifications, ">" or "/>".`);
      i += attr!.length;
      while (/\s/.test(text[i] ?? '')) i++;
      if (text[i] !== '=') fail(`Attribute name "${attr}" associated with an element type "${name}" must be followed by the ' = ' character.`);
      i++;
      while (/\s/.test(text[i] ?? '')) i++;
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail(`Open quote is expected for attribute "${attr}" associated with an element type "${name}".`);
      const end = text.indexOf(quote, i + 1);
      if (end < 0) fail('XML document structures must start and end within the same entity.');
      node.attributes[attr!] = decode(text.slice(i + 1, end), i);
      i = end + 1;
    }
    for (;;) {
      if (i >= text.length) fail(`The element type "${name}" must be terminated by the matching end-tag "</${name}>".`);
      if (text.startsWith('</', i)) {
        const end = text.indexOf('>', i);
        const closing = text.slice(i + 2, end < 0 ? text.length : end).trim();
        if (closing !== name) fail(`The element type "${name}" must be terminated by the matching end-tag "</${name}>".`);
        i = end + 1;
        return node;
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('The CDATA section must end with "]]>".');
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<!--', i) || text.startsWith('<?', i)) {
        skipMisc();
      } else if (text[i] === '<') {
        node.children.push(element());
      } else {
        const next = text.indexOf('<', i);
        const chunk = text.slice(i, next < 0 ? text.length : next);
        node.text += decode(chunk, i);
        i += chunk.length;
      }
    }
  };
  skipMisc();
  if (i >= text.length) fail('Premature end of file.');
  const root = element();
  skipMisc();
  if (i < text.length) fail('Content is not allowed in trailing section.');
  return root;
}

function child(node: XmlElement | undefined, name: string): XmlElement | undefined {
  return node?.children.find(c => c.name === name);
}

function descendants(node: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of node.children) {
    if (c.name === name) out.push(c);
    out.push(...descendants(c, name));
  }
  return out;
}

// Control characters are exactly what this matches: Jenkins refuses them in names.
// eslint-disable-next-line no-control-regex
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;

/** Jenkins.checkGoodName, with the messages of its Failures (HTTP 400). */
export function checkGoodName(name: string | null): string {
  if (name === null || name.length === 0) throw new ItemConfigError(400, 'No name is specified');
  if (name.trim() === '.' || name.trim() === '..') {
    throw new ItemConfigError(400, `“${name.trim()}” is not an allowed name`);
  }
  for (const ch of name) {
    if (CONTROL_CHAR.test(ch)) {
      const printable = [...name].map(c => (CONTROL_CHAR.test(c) ? `\\u${c.charCodeAt(0)};` : c)).join('');
      throw new ItemConfigError(400, `No control code is allowed: ${printable}`);
    }
    if ('?*/\\%!@#$^&|<>[]:;'.includes(ch)) throw new ItemConfigError(400, `‘${ch}’ is an unsafe character`);
  }
  if (name.trim().endsWith('.')) throw new ItemConfigError(400, 'A name cannot end with ‘.’');
  return name.trim();
}

// Where a pipeline script names its agent: declarative `agent { label 'x' }`
// (or `agent { node { label 'x' } }`), scripted `node('x')`; the first wins.
const AGENT_PATTERNS = [
  /\bagent\s*\{\s*(?:node\s*\{\s*)?label\s*:?\s*(['"])((?:(?!\1)[^\\]|\\.)*)\1/,
  /\bnode\s*\(\s*(?:label\s*:\s*)?(['"])((?:(?!\1)[^\\]|\\.)*)\1/,
];

function scriptLabel(script: string): string {
  let best: { at: number; label: string } | undefined;
  for (const pattern of AGENT_PATTERNS) {
    const m = pattern.exec(script);
    if (m && (!best || m.index < best.at)) best = { at: m.index, label: m[2].trim() };
  }
  return best?.label ?? '';
}

function parameters(root: XmlElement): ParamDefinition[] {
  const property = child(child(root, 'properties'), 'hudson.model.ParametersDefinitionProperty');
  const defs = child(property, 'parameterDefinitions')?.children ?? [];
  return defs.flatMap((def): ParamDefinition[] => {
    const name = child(def, 'name')?.text.trim() ?? '';
    if (!name) return [];
    const description = child(def, 'description')?.text ?? '';
    const defaultValue = child(def, 'defaultValue')?.text ?? '';
    switch (def.name) {
      case 'hudson.model.BooleanParameterDefinition':
        return [{ type: 'boolean', name, description, defaultValue: defaultValue.trim() === 'true' }];
      case 'hudson.model.ChoiceParameterDefinition': {
        const choices = child(def, 'choices');
        // `<choices class="java.util.Arrays$ArrayList"><a><string>…`, `<choices><string>…`,
        // or one choice per line (the form's textarea, as some tools write it).
        const strings = choices ? descendants(choices, 'string').map(s => s.text) : [];
        const list = strings.length > 0 ? strings : (choices?.text ?? '').split(/\r?\n/).filter(Boolean);
        return [{ type: 'choice', name, description, choices: list }];
      }
      case 'hudson.model.PasswordParameterDefinition':
        // Jenkins stores the default encrypted (`{AQAA…}`); the sandbox does not decrypt.
        return [{ type: 'password', name, description, defaultValue: /^\{.*\}$/.test(defaultValue) ? '' : defaultValue }];
      case 'hudson.model.TextParameterDefinition':
        return [{ type: 'text', name, description, defaultValue }];
      default:
        return [{ type: 'string', name, description, defaultValue }];
    }
  });
}

function timerSpec(root: XmlElement): string | null {
  const timer = descendants(root, 'hudson.triggers.TimerTrigger')[0];
  const spec = child(timer, 'spec')?.text.trim();
  return spec ? spec : null;
}

/**
 * The item a config.xml describes. XStream fails on anything else: a root
 * element it cannot resolve to a class is a 500 page, like a malformed file.
 */
export function itemFromConfigXml(xml: string): ItemSpec {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      throw new ItemConfigError(
        500,
        `com.thoughtworks.xstream.io.StreamException:  : ${error.message}`,
      );
    }
    throw error;
  }
  const description = child(root, 'description')?.text ?? '';
  const disabled = child(root, 'disabled')?.text.trim() === 'true';
  if (root.name === FOLDER_ROOT) return { kind: 'folder', description: description || null };
  if (root.name === 'flow-definition') {
    const script = child(child(root, 'definition'), 'script')?.text ?? '';
    const noConcurrency = child(
      child(root, 'properties'),
      'org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty',
    );
    return {
      kind: 'pipeline',
      description,
      params: parameters(root),
      timerSpec: timerSpec(root),
      label: scriptLabel(script),
      concurrentBuild: !noConcurrency,
      disabled,
    };
  }
  if (root.name === 'project') {
    const roams = child(root, 'canRoam')?.text.trim() === 'true';
    return {
      kind: 'freestyle',
      description,
      params: parameters(root),
      timerSpec: timerSpec(root),
      label: roams ? '' : child(root, 'assignedNode')?.text.trim() ?? '',
      concurrentBuild: child(root, 'concurrentBuild')?.text.trim() === 'true',
      disabled,
    };
  }
  throw new ItemConfigError(500, `com.thoughtworks.xstream.mapper.CannotResolveClassException: ${root.name}`);
}

/** A stored config.xml with the job's current `<disabled>` (disable/enable change it). */
export function withDisabled(xml: string, disabled: boolean): string {
  return xml.replace(/<disabled>\s*(true|false)\s*<\/disabled>/, `<disabled>${disabled}</disabled>`);
}
