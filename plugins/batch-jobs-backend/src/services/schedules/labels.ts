/*
 * Jenkins label expressions (hudson.model.labels: `a && b`, `a || !b`,
 * `(a -> b)`, `"quoted atom"`) evaluated against the labels of a node, to
 * count the executors a job's work can run on.
 */

/** A node as `/computer/api/json` describes it, reduced to what we count. @public */
export interface ExecutorNode {
  name: string;
  /** Labels of the node, its own name included (Jenkins' assignedLabels). */
  labels: string[];
  executors: number;
  offline: boolean;
}

type Expr =
  | { kind: 'atom'; name: string }
  | { kind: 'not'; expr: Expr }
  | { kind: 'and' | 'or' | 'implies' | 'iff'; left: Expr; right: Expr };

const OPERATORS = ['<->', '->', '&&', '||', '!', '(', ')'];

function operatorAt(text: string, at: number): string | undefined {
  return OPERATORS.find(o => text.startsWith(o, at));
}

/** Operators, and atoms prefixed with `"` to tell them apart. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++;
      continue;
    }
    const op = operatorAt(text, i);
    if (op) {
      tokens.push(op);
      i += op.length;
      continue;
    }
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated quote');
      tokens.push(`"${text.slice(i + 1, end)}`);
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/\s/.test(text[j]) && !operatorAt(text, j)) {
      j++;
    }
    tokens.push(`"${text.slice(i, j)}`);
    i = j;
  }
  return tokens;
}

/** Parses with Jenkins' precedence: ! > && > || > -> > <->. */
export function parseLabelExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const binary = (
    next: () => Expr,
    op: string,
    kind: 'and' | 'or' | 'implies' | 'iff',
  ) => {
    return (): Expr => {
      let left = next();
      while (peek() === op) {
        pos++;
        left = { kind, left, right: next() };
      }
      return left;
    };
  };
  const primary = (): Expr => {
    const token = tokens[pos++];
    if (token === undefined) throw new Error('unexpected end');
    if (token === '!') return { kind: 'not', expr: primary() };
    if (token === '(') {
      // eslint-disable-next-line @typescript-eslint/no-use-before-define
      const inner = iff();
      if (tokens[pos++] !== ')') throw new Error('expected )');
      return inner;
    }
    if (token.startsWith('"')) return { kind: 'atom', name: token.slice(1) };
    throw new Error(`unexpected ${token}`);
  };
  const and = binary(primary, '&&', 'and');
  const or = binary(and, '||', 'or');
  const implies = binary(or, '->', 'implies');
  const iff = binary(implies, '<->', 'iff');
  const expr = iff();
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]}`);
  return expr;
}

function matches(expr: Expr, labels: Set<string>): boolean {
  switch (expr.kind) {
    case 'atom':
      return labels.has(expr.name);
    case 'not':
      return !matches(expr.expr, labels);
    case 'and':
      return matches(expr.left, labels) && matches(expr.right, labels);
    case 'or':
      return matches(expr.left, labels) || matches(expr.right, labels);
    case 'implies':
      return !matches(expr.left, labels) || matches(expr.right, labels);
    default:
      return matches(expr.left, labels) === matches(expr.right, labels);
  }
}

/**
 * Online executors that work labelled `label` can use; null means no label
 * (any node). An expression we cannot parse is taken as one label name.
 */
export function onlineExecutors(
  label: string | null,
  nodes: ExecutorNode[],
): number {
  let expr: Expr | undefined;
  if (label !== null) {
    try {
      expr = parseLabelExpression(label);
    } catch {
      expr = { kind: 'atom', name: label };
    }
  }
  let total = 0;
  for (const node of nodes) {
    if (node.offline) continue;
    if (!expr || matches(expr, new Set([...node.labels, node.name]))) {
      total += node.executors;
    }
  }
  return total;
}
