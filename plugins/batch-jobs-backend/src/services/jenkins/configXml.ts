import { XMLParser, XMLValidator } from 'fast-xml-parser';

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

// Everything as written: order kept, no value coerced or trimmed.
const READ_AS_WRITTEN = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

const parser = new XMLParser({ ...READ_AS_WRITTEN, htmlEntities: true });

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

// The same reading, with each element's place in the text (fast-xml-parser's
// metadata), for edits that leave everything else of the document as it was.
const locatingParser = new XMLParser({
  ...READ_AS_WRITTEN,
  captureMetaData: true,
});
const META = XMLParser.getMetaDataSymbol() as symbol;

/** Where an element starts (its `<`) and ends (after its end tag's `>`). */
function placeOf(
  node: Ordered,
): { startIndex: number; endIndex: number } | undefined {
  const meta = node[META as any] as
    | { startIndex?: number; endIndex?: number }
    | undefined;
  return meta?.startIndex !== undefined && meta.endIndex !== undefined
    ? { startIndex: meta.startIndex, endIndex: meta.endIndex }
    : undefined;
}

const XML_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decodeText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (all, ref) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x'
          ? parseInt(ref.slice(2), 16)
          : parseInt(ref.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return XML_ENTITIES[ref] ?? all;
  });
}

/** Text escaped as Jenkins (XStream) and the job templates write it. */
export function encodeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Where the start tag beginning at `start` ends (after its `>`), quotes respected. */
function startTagEnd(xml: string, start: number): number {
  let quote: string | undefined;
  for (let i = start + 1; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i + 1;
  }
  throw new Error(`config.xml: unterminated start tag at ${start}`);
}

/**
 * Rewrites the text of a stretch of content that holds no element: plain
 * text decoded, rewritten and escaped again only when it changed; CDATA
 * sections rewritten in place; comments and processing instructions kept.
 */
function rewriteContent(
  raw: string,
  rewrite: (text: string) => string,
): string {
  let out = '';
  let i = 0;
  const flushText = (end: number) => {
    const text = raw.slice(i, end);
    const decoded = decodeText(text);
    const next = rewrite(decoded);
    out += next === decoded ? text : encodeText(next);
    i = end;
  };
  while (i < raw.length) {
    const lt = raw.indexOf('<', i);
    if (lt < 0) {
      flushText(raw.length);
      break;
    }
    if (lt > i) flushText(lt);
    if (raw.startsWith('<![CDATA[', i)) {
      const end = raw.indexOf(']]>', i);
      const inner = raw.slice(i + 9, end < 0 ? raw.length : end);
      out += `<![CDATA[${rewrite(inner)}]]>`;
      i = end < 0 ? raw.length : end + 3;
    } else {
      // A comment or a processing instruction: kept as written.
      const close = raw.startsWith('<!--', i) ? '-->' : '?>';
      const end = raw.indexOf(close, i);
      const stop = end < 0 ? raw.length : end + close.length;
      out += raw.slice(i, stop);
      i = stop;
    }
  }
  return out;
}

/**
 * `xml` with the text of every element named in `names` (at any depth)
 * replaced by `rewrite(text)`: only that element's own text, CDATA
 * included; comments, its child elements (rewritten on their own when
 * named too), attributes and the rest of the document stay byte for byte.
 * Throws on XML that is not well-formed.
 */
export function rewriteElementTexts(
  xml: string,
  names: string[],
  rewrite: (text: string) => string,
): string {
  // The parser reads past a mismatched end tag; an edit must not.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new Error(
      `${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  const wanted = new Set(names);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const visit = (nodes: Ordered[]) => {
    for (const node of nodes) {
      const name = Object.keys(node).find(k => k !== ':@' && k !== '#text');
      if (!name) continue;
      const content: Ordered[] = Array.isArray(node[name]) ? node[name] : [];
      const place = placeOf(node);
      if (wanted.has(name) && place) {
        const open = startTagEnd(xml, place.startIndex);
        // Self-closing: no content.
        if (xml[open - 2] !== '/') {
          const close = xml.lastIndexOf('</', place.endIndex - 1);
          // The stretches between child elements hold its own text.
          let from = open;
          const children = content.flatMap(c => placeOf(c) ?? []);
          for (const child of [
            ...children,
            { startIndex: close, endIndex: close },
          ]) {
            const raw = xml.slice(from, child.startIndex);
            const text = rewriteContent(raw, rewrite);
            if (text !== raw) {
              edits.push({ start: from, end: child.startIndex, text });
            }
            from = child.endIndex;
          }
        }
      }
      visit(content);
    }
  };
  visit(locatingParser.parse(xml));
  edits.sort((a, b) => b.start - a.start);
  let out = xml;
  for (const edit of edits) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}
