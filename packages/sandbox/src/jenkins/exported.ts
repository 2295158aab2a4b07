import type { TreeNode, TreeSpec } from './tree';

/**
 * A model of Stapler's exported beans: each object names its Java class and
 * its exported properties with their visibility. Values are computed only
 * when a property survives pruning, so `tree=` queries never build what they
 * do not return.
 */
export type Value =
  | null
  | undefined
  | string
  | number
  | boolean
  | Bean
  | LazyList
  | RawJson
  | Value[];

export interface Prop {
  name: string;
  /** Stapler's @Exported(visibility): how deep the property is still shown by `depth`. */
  vis: number;
  /** Inline properties do not count as a level of depth. */
  inline?: boolean;
  get: () => Value;
}

export class Bean {
  constructor(readonly cls: string | null, readonly props: Prop[]) {}
}

/** A list whose elements are made on demand, for builds ranges like `{100,200}`. */
export class LazyList {
  constructor(readonly length: number, readonly at: (index: number) => Value) {}
}

/** A value written as is, such as a map of monitor data. */
export class RawJson {
  constructor(readonly value: unknown) {}
}

type PropSpec = [name: string, vis: number, get: () => Value, options?: { inline?: boolean }];

/** `bean('hudson.model.FreeStyleProject', [['name', 999, () => job.name], …])` */
export function bean(cls: string | null, props: PropSpec[]): Bean {
  return new Bean(
    cls,
    props.map(([name, vis, get, options]) => ({ name, vis, get, inline: options?.inline })),
  );
}

interface Pruner {
  accept(prop: Prop): Pruner | null;
  range?: { from: number; to: number };
}

/** `depth=N`: Stapler's TreePruner.ByDepth, starting at 1 - N. */
class ByDepth implements Pruner {
  private next?: ByDepth;
  constructor(private readonly n: number) {}
  accept(prop: Prop): Pruner | null {
    if (prop.vis < this.n) return null;
    if (prop.inline) return this;
    this.next ??= new ByDepth(this.n + 1);
    return this.next;
  }
}

/** `tree=…`: Stapler's NamedPathPruner; `*` stands for any property. */
class ByTree implements Pruner {
  readonly range?: { from: number; to: number };
  constructor(private readonly node: TreeSpec) {
    this.range = (node as TreeNode).range;
  }
  accept(prop: Prop): Pruner | null {
    const child = this.node.children.get(prop.name) ?? this.node.children.get('*');
    return child ? new ByTree(child) : null;
  }
}

export function pruner(options: { tree?: TreeSpec; depth?: number }): Pruner {
  if (options.tree) return new ByTree(options.tree);
  return new ByDepth(1 - (options.depth ?? 0));
}

/** Turns an exported value into plain JSON, keeping only what the pruner accepts. */
export function toJson(value: Value, p: Pruner): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Bean) {
    const out: Record<string, unknown> = {};
    if (value.cls) out._class = value.cls;
    for (const prop of value.props) {
      const child = p.accept(prop);
      if (!child) continue;
      const v = prop.get();
      if (v === undefined) continue;
      out[prop.name] = listOrValue(v, child);
    }
    return out;
  }
  if (value instanceof RawJson) return value.value;
  if (Array.isArray(value) || value instanceof LazyList) return listOrValue(value, p);
  return value;
}

function listOrValue(v: Value, p: Pruner): unknown {
  if (Array.isArray(v) || v instanceof LazyList) {
    const length = v.length;
    const from = Math.max(0, Math.min(length, p.range?.from ?? 0));
    const to = Math.max(from, Math.min(length, p.range?.to ?? length));
    const out: unknown[] = [];
    for (let i = from; i < to; i++) {
      out.push(toJson(Array.isArray(v) ? v[i] : v.at(i), p));
    }
    return out;
  }
  return toJson(v, p);
}

/** JSON as Jenkins writes it; `pretty=true` puts a space on both sides of colons. */
export function stringify(json: unknown, pretty: boolean): string {
  if (!pretty) return JSON.stringify(json);
  return JSON.stringify(json, null, 2).replace(/^(\s*"(?:[^"\\]|\\.)*"): /gm, '$1 : ');
}
