import { XMLParser } from 'fast-xml-parser';

/*
 * A job's config.xml read with an XML parser, not regular expressions:
 * comments are skipped, CDATA sections and entities (named and numeric)
 * decoded, and each value is read at its own path, so an element of the
 * same name nested in another plugin's settings is never taken for it.
 */

/** One element: its name, attributes and children in document order. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), children's text excluded. */
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: true,
});

type Ordered = Record<string, any>;

function toElement(node: Ordered): XmlElement | undefined {
  const name = Object.keys(node).find(k => k !== ':@' && k !== '#text');
  if (!name) return undefined;
  const content: Ordered[] = Array.isArray(node[name]) ? node[name] : [];
  const children: XmlElement[] = [];
  let text = '';
  for (const part of content) {
    if ('#text' in part) text += String(part['#text']);
    else {
      const child = toElement(part);
      if (child) children.push(child);
    }
  }
  return { name, attributes: { ...(node[':@'] ?? {}) }, children, text };
}

/** The document element of `xml`; throws on XML that is not well-formed. */
export function parseConfigXml(xml: string): XmlElement {
  const nodes: Ordered[] = parser.parse(xml);
  const root = nodes.map(toElement).find(Boolean);
  if (!root) throw new Error('config.xml has no document element');
  return root;
}

/** The children of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter(c => c.name === name);
}

/** The first element at `path` below `el` (each step one level down). */
export function at(el: XmlElement, ...path: string[]): XmlElement | undefined {
  let current: XmlElement | undefined = el;
  for (const step of path) {
    current = current && childrenNamed(current, step)[0];
  }
  return current;
}

/** The text at `path` below `el`, or undefined when there is no such element. */
export function textAt(el: XmlElement, ...path: string[]): string | undefined {
  return at(el, ...path)?.text;
}

/** Every element below `el` (depth first, document order). */
export function descendants(el: XmlElement): XmlElement[] {
  return el.children.flatMap(c => [c, ...descendants(c)]);
}
