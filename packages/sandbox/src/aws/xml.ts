/**
 * Just enough XML for AWS: responses are built as strings (the shapes are
 * small and fixed), and the one XML request body we read (S3 DeleteObjects)
 * is picked apart with a tolerant scanner.
 */

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function unescapeXml(value: string): string {
  return value.replace(
    /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g,
    (_, entity: string) => {
      switch (entity) {
        case 'amp':
          return '&';
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
        default:
          return String.fromCodePoint(
            entity.startsWith('#x')
              ? parseInt(entity.slice(2), 16)
              : parseInt(entity.slice(1), 10),
          );
      }
    },
  );
}

/** `<name>value</name>`, escaped; nothing at all for `undefined`/`null`, like AWS omits absent fields. */
export function text(
  name: string,
  value: string | number | boolean | undefined | null,
): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name>…</name>` around already-built children. */
export function node(name: string, ...children: string[]): string {
  const inner = children.join('');
  return inner ? `<${name}>${inner}</${name}>` : `<${name}/>`;
}

/** EC2's list encoding: `<name><item>…</item>…</name>`. */
export function itemSet<T>(
  name: string,
  items: readonly T[],
  render: (item: T) => string,
): string {
  return node(name, ...items.map(item => node('item', render(item))));
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The text content of every `<tag>` directly or indirectly inside `xml`, in order. */
export function elementsOf(xml: string, tag: string): string[] {
  const out: string[] = [];
  const pattern = new RegExp(
    `<(?:[\\w-]+:)?${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${tag}>`,
    'g',
  );
  for (const match of xml.matchAll(pattern)) out.push(match[1]);
  return out;
}
