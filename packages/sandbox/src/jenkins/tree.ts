/**
 * The `tree=` query parameter of Jenkins' remote API (Stapler's
 * NamedPathPruner): `jobs[name,builds[number]{0,10}],*`.
 */
export interface TreeSpec {
  children: Map<string, TreeNode>;
}

export interface TreeNode extends TreeSpec {
  /** `{M,N}`: only elements M (inclusive) to N (exclusive) of a list. */
  range?: { from: number; to: number };
}

export class TreeSyntaxError extends Error {}

export function parseTree(spec: string): TreeSpec {
  let pos = 0;
  const peek = () => spec[pos];
  const fail = (what: string): never => {
    throw new TreeSyntaxError(`Malformed tree expression at ${pos}: ${what} in "${spec}"`);
  };

  const parseNumber = (): number | undefined => {
    const start = pos;
    while (pos < spec.length && /[0-9 ]/.test(spec[pos])) pos++;
    const text = spec.slice(start, pos).trim();
    return text ? Number(text) : undefined;
  };

  const parseRange = (): { from: number; to: number } => {
    const from = parseNumber();
    if (peek() === ',') {
      pos++;
      const to = parseNumber();
      return { from: from ?? 0, to: to ?? Infinity };
    }
    if (from === undefined) fail('expected a number');
    // `{N}` is the single element N.
    return { from: from!, to: from! + 1 };
  };

  const parseList = (): TreeSpec => {
    const node: TreeSpec = { children: new Map() };
    for (;;) {
      const start = pos;
      while (pos < spec.length && !'[]{},'.includes(spec[pos])) pos++;
      const name = spec.slice(start, pos).trim();
      if (!name) fail('expected a property name');
      const child: TreeNode = { children: new Map() };
      if (peek() === '[') {
        pos++;
        child.children = parseList().children;
        if (peek() !== ']') fail('expected ]');
        pos++;
      }
      if (peek() === '{') {
        pos++;
        child.range = parseRange();
        if (peek() !== '}') fail('expected }');
        pos++;
      }
      node.children.set(name, child);
      if (peek() === ',') {
        pos++;
        continue;
      }
      return node;
    }
  };

  const tree = parseList();
  if (pos !== spec.length) fail('unexpected character');
  return tree;
}
