import { createHash } from 'node:crypto';
import { ConflictError } from '@backstage/errors';

/*
 * What pins an approval to what was reviewed: a sha256 of a canonical form
 * (object keys sorted, so the same values hash the same whatever order they
 * were built in), and the unified diff the approver reads.
 */

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map(k => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** sha256 (hex) of a string as is, or of anything else as canonical JSON. @internal */
export function pinHash(value: unknown): string {
  return createHash('sha256')
    .update(
      typeof value === 'string' ? value : JSON.stringify(canonical(value)),
    )
    .digest('hex');
}

/**
 * Refuses an execution whose source changed since the request: nothing is
 * written, and the approval is marked failed with this message.
 * @internal
 */
export function checkPin(
  pinned: string | undefined,
  current: string,
  what = 'the source',
): void {
  if (!pinned) {
    throw new ConflictError(
      'This request was made before approvals were pinned to what was reviewed; ask again',
    );
  }
  if (pinned !== current) {
    throw new ConflictError(
      `${capitalize(what)} changed since the request (hash ${pinned.slice(
        0,
        12,
      )}… reviewed, ${current.slice(
        0,
        12,
      )}… now); nothing was written, ask again`,
    );
  }
}

function capitalize(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Longest inputs (in lines) diffed line by line; beyond, the diff replaces all. */
const MAX_DIFF_LINES = 2000;
const CONTEXT = 3;

/**
 * A unified diff (`diff -u` style, 3 lines of context) from `before` to
 * `after`. Config files are small: a plain LCS table is enough.
 * @internal
 */
export function unifiedDiff(
  before: string,
  after: string,
  names: { from: string; to: string },
): string {
  if (before === after) return '';
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const ops = lineOps(a, b);
  const header = [`--- ${names.from}`, `+++ ${names.to}`];
  // Hunks: runs of changes with up to CONTEXT unchanged lines around them.
  const out: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === ' ') {
      i++;
      continue;
    }
    let start = Math.max(0, i - CONTEXT);
    let end = i;
    // Extend while the next change is within 2*CONTEXT unchanged lines.
    for (;;) {
      while (end < ops.length && ops[end].kind !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next].kind === ' ') next++;
      if (next < ops.length && next - end <= 2 * CONTEXT) end = next;
      else break;
    }
    end = Math.min(ops.length, end + CONTEXT);
    const hunk = ops.slice(start, end);
    const aStart = hunk[0].a;
    const bStart = hunk[0].b;
    const aLen = hunk.filter(o => o.kind !== '+').length;
    const bLen = hunk.filter(o => o.kind !== '-').length;
    out.push(
      `@@ -${aLen ? aStart + 1 : aStart},${aLen} +${
        bLen ? bStart + 1 : bStart
      },${bLen} @@`,
    );
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    i = end;
    start = end;
  }
  return [...header, ...out].join('\n');
}

interface LineOp {
  kind: ' ' | '-' | '+';
  text: string;
  /** Line index in `a` (for '-' and ' ') or where `a` stands (for '+'). */
  a: number;
  b: number;
}

function lineOps(a: string[], b: string[]): LineOp[] {
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) {
    return [
      ...a.map((text, i) => ({ kind: '-' as const, text, a: i, b: 0 })),
      ...b.map((text, j) => ({ kind: '+' as const, text, a: a.length, b: j })),
    ];
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs: Uint16Array[] = Array.from(
    { length: a.length + 1 },
    () => new Uint16Array(b.length + 1),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] =
        a[i] === b[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops: LineOp[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i], a: i, b: j });
      i++;
      j++;
    } else if (
      j < b.length &&
      (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j])
    ) {
      ops.push({ kind: '+', text: b[j], a: i, b: j });
      j++;
    } else {
      ops.push({ kind: '-', text: a[i], a: i, b: j });
      i++;
    }
  }
  return ops;
}
