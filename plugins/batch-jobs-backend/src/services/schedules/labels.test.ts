import { ExecutorNode, onlineExecutors, parseLabelExpression } from './labels';

const nodes: ExecutorNode[] = [
  { name: 'built-in', labels: ['built-in'], executors: 0, offline: false },
  {
    name: 'a1',
    labels: ['DEV-batch-agent', 'linux'],
    executors: 2,
    offline: false,
  },
  { name: 'a2', labels: ['DEV-batch-agent'], executors: 2, offline: false },
  {
    name: 'gone',
    labels: ['DEV-batch-agent', 'linux'],
    executors: 2,
    offline: true,
  },
  {
    name: 'w1',
    labels: ['DEV-worker-agent', 'linux'],
    executors: 1,
    offline: false,
  },
];

describe('onlineExecutors', () => {
  it('counts executors of online nodes carrying the label', () => {
    expect(onlineExecutors('DEV-batch-agent', nodes)).toBe(4);
    expect(onlineExecutors('DEV-worker-agent', nodes)).toBe(1);
    expect(onlineExecutors('STG-batch-agent', nodes)).toBe(0);
    // A node's own name is a label too.
    expect(onlineExecutors('a2', nodes)).toBe(2);
  });

  it('evaluates label expressions like Jenkins', () => {
    expect(onlineExecutors('DEV-batch-agent && linux', nodes)).toBe(2);
    expect(onlineExecutors('DEV-batch-agent || DEV-worker-agent', nodes)).toBe(
      5,
    );
    expect(onlineExecutors('linux && !DEV-worker-agent', nodes)).toBe(2);
    expect(onlineExecutors('(a1 || w1) && linux', nodes)).toBe(3);
    expect(onlineExecutors('"DEV-batch-agent"', nodes)).toBe(4);
    // a -> b: every node that is not linux, or is a1.
    expect(onlineExecutors('linux -> a1', nodes)).toBe(4);
  });

  it('no label means any online node', () => {
    expect(onlineExecutors(null, nodes)).toBe(5);
  });

  it('takes an unparsable expression as one name', () => {
    expect(onlineExecutors('a1 &&', nodes)).toBe(0);
  });
});

describe('parseLabelExpression', () => {
  it('binds ! tighter than && tighter than ||', () => {
    expect(parseLabelExpression('!a && b || c')).toEqual({
      kind: 'or',
      left: {
        kind: 'and',
        left: { kind: 'not', expr: { kind: 'atom', name: 'a' } },
        right: { kind: 'atom', name: 'b' },
      },
      right: { kind: 'atom', name: 'c' },
    });
  });
});
