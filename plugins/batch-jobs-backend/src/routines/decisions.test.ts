import {
  ObservedNode,
  checkBackup,
  decideReap,
  decideRetention,
  decideSweep,
  findNewBackup,
} from './decisions';

const NOW = new Date('2026-11-02T09:00:00Z');
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const id = (n: number) => `i-0${String(n).padStart(16, '0')}`;
const node = (n: number, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  name: `${id(n)}-EC2-AGENT`,
  offline: true,
  temporarilyOffline: false,
  labels: ['DEV-batch-agent'],
  runningBuilds: 0,
  offlineCauseAt: null,
  ...extra,
});
const vpcs = [
  { name: 'DEV', labels: ['DEV-batch-agent', 'DEV-worker-agent'], hasAws: true },
];

describe('decideSweep', () => {
  const sweep = (nodes: ObservedNode[], more: Partial<Parameters<typeof decideSweep>[0]> = {}) =>
    decideSweep({
      nodes,
      vpcs,
      firstSeenOffline: new Map(nodes.map(n => [n.name, ago(3 * HOUR)])),
      instances: new Map(),
      launchesInProgress: new Set(),
      now: NOW,
      gracePeriodMs: HOUR,
      ...more,
    });

  it('deletes an EC2 agent node offline past the grace period, terminating its instance when it still runs', () => {
    const [gone, crashed] = sweep([node(1), node(2)], {
      instances: new Map([
        [id(2), { instanceId: id(2), vpc: 'DEV', state: 'running', launchTime: null }],
      ]),
    });
    expect(gone).toMatchObject({ action: 'delete', terminate: false, vpc: 'DEV', instanceId: id(1) });
    expect(gone.reason).toMatch(/offline for 3 h 0 min; its instance is gone/);
    expect(crashed).toMatchObject({ action: 'delete', terminate: true });
    expect(crashed.reason).toMatch(/still running/);
  });

  it('never lists online nodes, the built-in node, static agents or nodes of no configured VPC', () => {
    expect(
      sweep([
        node(1, { offline: false }),
        { ...node(2), name: 'built-in', labels: ['built-in'] },
        { ...node(3), name: 'static-tools' },
        node(4, { labels: ['OTHER-batch-agent'] }),
      ]),
    ).toEqual([]);
  });

  it('spares nodes paused by a person, with a running build, or of a launch in progress', () => {
    const decisions = sweep(
      [node(1, { temporarilyOffline: true }), node(2, { runningBuilds: 1 }), node(3)],
      { launchesInProgress: new Set([id(3)]) },
    );
    expect(decisions.map(d => [d.action, d.reason])).toEqual([
      ['spare', 'taken offline by a person'],
      ['spare', '1 build(s) still running on it'],
      ['spare', 'its launch is still in progress'],
    ]);
  });

  it('waits out the grace period from the first sighting, or from Jenkins’ earlier offline-cause time', () => {
    const fresh = node(1);
    const known = node(2, { offlineCauseAt: ago(26 * HOUR).getTime() });
    const [a, b] = sweep([fresh, known], {
      firstSeenOffline: new Map([
        [fresh.name, ago(10 * 60_000)],
        [known.name, ago(60_000)],
      ]),
    });
    expect(a).toMatchObject({ action: 'spare', offlineSince: ago(10 * 60_000).toISOString() });
    expect(a.reason).toMatch(/within the grace period of 1 h 0 min/);
    expect(b).toMatchObject({ action: 'delete', offlineSince: ago(26 * HOUR).toISOString() });
    // Never seen before: seen now, so nothing is deleted on a first look.
    expect(sweep([node(3)], { firstSeenOffline: new Map() })[0].action).toBe('spare');
  });
});

describe('decideReap', () => {
  const instance = (n: number, state: string, launchedAgo: number | null) => ({
    instanceId: id(n),
    vpc: 'DEV',
    state,
    launchTime: launchedAgo === null ? null : ago(launchedAgo).toISOString(),
  });
  const reap = (
    instances: ReturnType<typeof instance>[],
    nodes: ObservedNode[] = [],
    launches: string[] = [],
  ) =>
    decideReap({
      instances,
      nodes: new Map(nodes.map(n => [n.name, n])),
      launchesInProgress: new Set(launches),
      now: NOW,
      gracePeriodMs: 2 * HOUR,
    });

  it('terminates instances up past the grace period without an online node', () => {
    const decisions = reap(
      [instance(1, 'running', 30 * HOUR), instance(2, 'running', 5 * HOUR)],
      [node(2)],
    );
    expect(decisions).toEqual([
      expect.objectContaining({ instanceId: id(1), action: 'terminate', reason: expect.stringMatching(/never created a node/) }),
      expect.objectContaining({ instanceId: id(2), action: 'terminate', reason: expect.stringMatching(/node offline/) }),
    ]);
  });

  it('leaves instances with an online node, and stopped or terminated ones, out', () => {
    expect(
      reap(
        [instance(1, 'running', 30 * HOUR), instance(2, 'terminated', 30 * HOUR), instance(3, 'shutting-down', 30 * HOUR)],
        [node(1, { offline: false })],
      ),
    ).toEqual([]);
  });

  it('spares launches in progress, young instances, paused or busy nodes and unknown launch times', () => {
    const decisions = reap(
      [
        instance(1, 'running', 30 * HOUR),
        instance(2, 'pending', 10 * 60_000),
        instance(3, 'running', 30 * HOUR),
        instance(4, 'running', 30 * HOUR),
        instance(5, 'running', null),
      ],
      [node(3, { temporarilyOffline: true }), node(4, { runningBuilds: 2 })],
      [id(1)],
    );
    expect(decisions.every(d => d.action === 'spare')).toBe(true);
    expect(decisions.map(d => d.reason)).toEqual([
      'its launch is still in progress',
      'up for 10 min, within the grace period of 2 h 0 min',
      'its node was taken offline by a person',
      '2 build(s) still running on its node',
      'EC2 gives no launch time',
    ]);
  });
});

describe('backup verification and retention', () => {
  const obj = (key: string, agoMs: number, size = 100) => ({ key, size, lastModified: ago(agoMs) });

  it('finds the new object of this run, not an older or pre-existing one', () => {
    const start = ago(10 * 60_000);
    const old = obj('b/1.tar.gz', 24 * HOUR);
    const fresh = obj('b/2.tar.gz', 60_000);
    expect(findNewBackup({ before: new Set([old.key]), after: [old, fresh], buildStartedAt: start })).toBe(fresh);
    expect(findNewBackup({ before: new Set([old.key, fresh.key]), after: [old, fresh], buildStartedAt: start })).toBeUndefined();
    expect(findNewBackup({ before: new Set(), after: [old], buildStartedAt: start })).toBeUndefined();
  });

  it('accepts a non-empty gzip stream only', () => {
    const gz = new Uint8Array([0x1f, 0x8b, 8, 0]);
    expect(checkBackup(obj('a', 0), gz)).toEqual({ ok: true });
    expect(checkBackup(obj('a', 0, 0), new Uint8Array())).toEqual({ ok: false, reason: 'a is empty (0 bytes)' });
    expect(checkBackup(obj('a', 0), new Uint8Array([0x50, 0x4b, 3, 4]))).toEqual({
      ok: false,
      reason: 'a is not a gzip file (first bytes 504b0304)',
    });
  });

  it('keeps the newest N and/or those younger than N days, and always the newest verified', () => {
    const objects = [0, 1, 2, 3, 4].map(d => obj(`b/${d}`, d * 86_400_000 + 1000));
    const keys = (r: { keep: typeof objects; remove: typeof objects }) => [
      r.keep.map(o => o.key),
      r.remove.map(o => o.key),
    ];
    const base = { objects, newestVerifiedKey: 'b/0', reference: NOW };
    expect(keys(decideRetention({ ...base, keepLast: 2 }))).toEqual([['b/0', 'b/1'], ['b/2', 'b/3', 'b/4']]);
    expect(keys(decideRetention({ ...base, maxAgeDays: 3 }))).toEqual([['b/0', 'b/1', 'b/2'], ['b/3', 'b/4']]);
    expect(keys(decideRetention({ ...base, keepLast: 1, maxAgeDays: 2 }))).toEqual([['b/0', 'b/1'], ['b/2', 'b/3', 'b/4']]);
    expect(keys(decideRetention({ ...base }))).toEqual([['b/0', 'b/1', 'b/2', 'b/3', 'b/4'], []]);
    // keepLast 0 would remove everything: the newest verified backup stays.
    expect(keys(decideRetention({ ...base, keepLast: 0, newestVerifiedKey: 'b/3' }))).toEqual([['b/3'], ['b/0', 'b/1', 'b/2', 'b/4']]);
  });
});
