import {
  ObservedNode,
  checkBackup,
  decideReap,
  decideRetention,
  decideSweep,
  findNewBackup,
} from './decisions';
import type { ArchiveInspection } from '../services/aws/backupArchive';
import {
  AgentOwnershipRules,
  checkAgentOwnership,
} from '../services/aws/agentOwnership';
import type { AgentInstance } from '../services/aws/Ec2Agents';

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
  {
    name: 'DEV',
    labels: ['DEV-batch-agent', 'DEV-worker-agent'],
    hasAws: true,
    machineIdOf: (name: string) => /^(i-\w+)-EC2-AGENT$/.exec(name)?.[1],
  },
];
/** An EC2 instance as Ec2Agents lists it. */
const machine = (
  fields: Omit<
    AgentInstance,
    'id' | 'state' | 'type' | 'nodeName' | 'launchedBy' | 'reason' | 'subnetId'
  > & {
    instanceId: string;
    state: string;
    vpc: string;
    subnetId?: string;
  },
) => {
  const { instanceId, ...rest } = fields;
  return {
    subnetId: null,
    ...rest,
    id: instanceId,
    state: fields.state as AgentInstance['state'],
    type: 'batch' as const,
    nodeName: `${instanceId}-EC2-AGENT`,
    launchedBy: null,
    reason: null,
  };
};
/** The EC2 provider's check: `checkAgentOwnership` with the VPC's rules. */
const ec2Check = (rules: AgentOwnershipRules) => (m: object) =>
  checkAgentOwnership(m as AgentInstance, rules);

const DEV_RULES = {
  vpc: 'DEV',
  nameTag: 'DEV-BATCH-AGENT',
  agentTypeTag: 'AgentType',
  agentLabels: { batch: 'DEV-batch-agent', worker: 'DEV-worker-agent' },
  launchTemplateIds: ['lt-0dev'],
  vpcId: 'vpc-0dev',
};
const OUR_TAGS = {
  Name: 'DEV-BATCH-AGENT',
  'aws:ec2launchtemplate:id': 'lt-0dev',
};

describe('decideSweep', () => {
  const sweep = (
    nodes: ObservedNode[],
    more: Partial<Parameters<typeof decideSweep>[0]> = {},
  ) =>
    decideSweep({
      nodes,
      vpcs,
      firstSeenOffline: new Map(nodes.map(n => [n.name, ago(3 * HOUR)])),
      instances: new Map(),
      owners: new Map([['DEV', ec2Check(DEV_RULES)]]),
      launchesInProgress: new Set(),
      now: NOW,
      gracePeriodMs: HOUR,
      ...more,
    });

  it('deletes an EC2 agent node offline past the grace period, terminating its instance when it still runs', () => {
    const [gone, crashed] = sweep([node(1), node(2)], {
      instances: new Map([
        [
          id(2),
          machine({
            instanceId: id(2),
            vpc: 'DEV',
            state: 'running',
            launchTime: null,
            tags: OUR_TAGS,
            vpcId: 'vpc-0dev',
          }),
        ],
      ]),
    });
    expect(gone).toMatchObject({
      action: 'delete',
      terminate: false,
      vpc: 'DEV',
      instanceId: id(1),
    });
    expect(gone.reason).toMatch(/offline for 3 h 0 min; its instance is gone/);
    expect(crashed).toMatchObject({ action: 'delete', terminate: true });
    expect(crashed.reason).toMatch(/still running/);
  });

  it('deletes only the node when its still-running instance is not the VPC agent the portal may terminate', () => {
    const running = (n: number, extra: Record<string, unknown>) =>
      machine({
        instanceId: id(n),
        vpc: 'DEV',
        state: 'running',
        launchTime: null,
        tags: OUR_TAGS,
        vpcId: 'vpc-0dev',
        ...extra,
      });
    const decisions = sweep([node(1), node(2), node(3)], {
      instances: new Map([
        // Another team's instance that only shares the Name tag.
        [id(1), running(1, { tags: { Name: 'DEV-BATCH-AGENT' } })],
        [id(2), running(2, { vpcId: 'vpc-0other' })],
        [
          id(3),
          running(3, {
            state: 'stopped',
            tags: {
              Name: 'DEV-BATCH-AGENT',
              AgentType: 'STG-worker-agent',
              'batch-jobs.io/launched-by': 'x',
            },
          }),
        ],
      ]),
    });
    expect(decisions.map(d => [d.instanceId, d.action, d.terminate])).toEqual([
      [id(1), 'delete', false],
      [id(2), 'delete', false],
      [id(3), 'delete', false],
    ]);
    expect(decisions[0].instanceNotOurs).toMatch(
      /^no tag batch-jobs.io\/launched-by or aws:ec2launchtemplate:id/,
    );
    expect(decisions[0].reason).toMatch(
      /^offline for 3 h 0 min; its instance is still running but not ours \(no tag batch-jobs.io\/launched-by .*\): only the node is deleted$/,
    );
    expect(decisions[1].instanceNotOurs).toBe(
      'no VPC id vpc-0dev (it is in vpc-0other)',
    );
    expect(decisions[2].instanceNotOurs).toMatch(/AgentType=STG-worker-agent/);
    expect(decisions[2].reason).toMatch(/still stopped but not ours/);

    // Without the VPC's ownership rules nothing is ours to terminate.
    const [unknown] = sweep([node(4)], {
      instances: new Map([[id(4), running(4, {})]]),
      owners: new Map(),
    });
    expect(unknown).toMatchObject({
      action: 'delete',
      terminate: false,
      instanceNotOurs: 'no ownership rules for VPC DEV',
    });
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
      [
        node(1, { temporarilyOffline: true }),
        node(2, { runningBuilds: 1 }),
        node(3),
      ],
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
    expect(a).toMatchObject({
      action: 'spare',
      offlineSince: ago(10 * 60_000).toISOString(),
    });
    expect(a.reason).toMatch(/within the grace period of 1 h 0 min/);
    expect(b).toMatchObject({
      action: 'delete',
      offlineSince: ago(26 * HOUR).toISOString(),
    });
    // Never seen before: seen now, so nothing is deleted on a first look.
    expect(sweep([node(3)], { firstSeenOffline: new Map() })[0].action).toBe(
      'spare',
    );
  });
});

describe('decideReap', () => {
  const instance = (
    n: number,
    state: string,
    launchedAgo: number | null,
    tags: Record<string, string> = {
      Name: 'DEV-BATCH-AGENT',
      'aws:ec2launchtemplate:id': 'lt-0dev',
    },
  ) =>
    machine({
      instanceId: id(n),
      vpc: 'DEV',
      state,
      launchTime: launchedAgo === null ? null : ago(launchedAgo).toISOString(),
      tags,
      vpcId: 'vpc-0dev',
      subnetId: 'subnet-0dev',
    });
  const owners = new Map([
    [
      'DEV',
      ec2Check({
        vpc: 'DEV',
        nameTag: 'DEV-BATCH-AGENT',
        agentTypeTag: 'AgentType',
        agentLabels: { batch: 'DEV-batch-agent', worker: 'DEV-worker-agent' },
        launchTemplateIds: ['lt-0dev'],
        vpcId: 'vpc-0dev',
      }),
    ],
  ]);
  const reap = (
    instances: ReturnType<typeof instance>[],
    nodes: ObservedNode[] = [],
    launches: string[] = [],
  ) =>
    decideReap({
      instances,
      nodes: new Map(nodes.map(n => [n.name, n])),
      launchesInProgress: new Set(launches),
      owners,
      now: NOW,
      gracePeriodMs: 2 * HOUR,
    });

  it('spares instances that are not the VPC agents the portal may terminate', () => {
    const decisions = reap([
      // Another team's instance: the Name filter alone would have picked it up.
      instance(1, 'running', 30 * HOUR, { Name: 'DEV-BATCH-AGENT' }),
      instance(2, 'running', 30 * HOUR, {
        Name: 'DEV-BATCH-AGENT',
        AgentType: 'STG-worker-agent',
        'batch-jobs.io/launched-by': 'x',
      }),
      { ...instance(3, 'running', 30 * HOUR), vpcId: 'vpc-0other' },
      { ...instance(4, 'running', 30 * HOUR), vpc: 'QA' },
    ]);
    expect(decisions.map(d => [d.instanceId, d.action])).toEqual([
      [id(1), 'spare'],
      [id(2), 'spare'],
      [id(3), 'spare'],
      [id(4), 'spare'],
    ]);
    expect(decisions[0].reason).toMatch(
      /^not ours: no tag batch-jobs.io\/launched-by or aws:ec2launchtemplate:id/,
    );
    expect(decisions[1].reason).toMatch(/AgentType=STG-worker-agent/);
    expect(decisions[2].reason).toMatch(
      /VPC id vpc-0dev \(it is in vpc-0other\)/,
    );
    expect(decisions[3].reason).toMatch(/no ownership rules for VPC QA/);
  });

  it('terminates instances up past the grace period without an online node', () => {
    const decisions = reap(
      [instance(1, 'running', 30 * HOUR), instance(2, 'running', 5 * HOUR)],
      [node(2)],
    );
    expect(decisions).toEqual([
      expect.objectContaining({
        instanceId: id(1),
        action: 'terminate',
        reason: expect.stringMatching(/never created a node/),
      }),
      expect.objectContaining({
        instanceId: id(2),
        action: 'terminate',
        reason: expect.stringMatching(/node offline/),
      }),
    ]);
  });

  it('leaves instances with an online node, and stopped or terminated ones, out', () => {
    expect(
      reap(
        [
          instance(1, 'running', 30 * HOUR),
          instance(2, 'terminated', 30 * HOUR),
          instance(3, 'shutting-down', 30 * HOUR),
        ],
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
  const obj = (key: string, agoMs: number, size = 100) => ({
    key,
    size,
    lastModified: ago(agoMs),
  });

  it('finds the new object of this run, not an older or pre-existing one', () => {
    const start = ago(10 * 60_000);
    const old = obj('b/1.tar.gz', 24 * HOUR);
    const fresh = obj('b/2.tar.gz', 60_000);
    expect(
      findNewBackup({
        before: new Set([old.key]),
        after: [old, fresh],
        buildStartedAt: start,
      }),
    ).toBe(fresh);
    expect(
      findNewBackup({
        before: new Set([old.key, fresh.key]),
        after: [old, fresh],
        buildStartedAt: start,
      }),
    ).toBeUndefined();
    expect(
      findNewBackup({ before: new Set(), after: [old], buildStartedAt: start }),
    ).toBeUndefined();
  });

  it('accepts only a whole, complete gzip of a tar holding config.xml and jobs/', () => {
    const read = (
      extra: Partial<ArchiveInspection> = {},
    ): ArchiveInspection => ({
      bytesRead: 100,
      entries: 3,
      configRoots: ['jenkins-home/'],
      jobsRoots: ['jenkins-home/'],
      ...extra,
    });
    expect(checkBackup(obj('a', 0), read())).toEqual({ ok: true });
    expect(checkBackup(obj('a', 0, 0), undefined)).toEqual({
      ok: false,
      reason: 'a is empty (0 bytes)',
    });
    const reason = (extra: Partial<ArchiveInspection>) => {
      const result = checkBackup(obj('a', 0), read(extra));
      return result.ok ? 'ok' : result.reason;
    };
    expect(
      reason({
        error: {
          stage: 'gzip',
          message: 'unexpected end of file',
          truncated: true,
        },
      }),
    ).toBe(
      'a is not a complete gzip stream (unexpected end of file: cut short)',
    );
    expect(
      reason({
        error: {
          stage: 'gzip',
          message: 'incorrect data check',
          truncated: false,
        },
      }),
    ).toBe('a is not a valid gzip stream (incorrect data check)');
    expect(
      reason({
        error: {
          stage: 'tar',
          message: 'the tar archive ends inside an entry',
          truncated: true,
        },
      }),
    ).toBe(
      'a is not a complete tar archive (the tar archive ends inside an entry)',
    );
    expect(reason({ bytesRead: 60 })).toBe('a was read 60 of 100 bytes');
    expect(reason({ configRoots: [], jobsRoots: [] })).toBe(
      'a holds no config.xml and no jobs/ (3 entries): not a Jenkins home',
    );
    expect(reason({ jobsRoots: [] })).toBe(
      'a holds no jobs/ (3 entries): not a Jenkins home',
    );
    expect(reason({ configRoots: [''] })).toBe(
      'a holds config.xml and jobs/ in different directories: not a Jenkins home',
    );
  });

  it('keeps the newest N and/or those younger than N days, and always the newest verified', () => {
    const objects = [0, 1, 2, 3, 4].map(d =>
      obj(`b/${d}`, d * 86_400_000 + 1000),
    );
    const keys = (r: { keep: typeof objects; remove: typeof objects }) => [
      r.keep.map(o => o.key),
      r.remove.map(o => o.key),
    ];
    const base = { objects, newestVerifiedKey: 'b/0', reference: NOW };
    expect(keys(decideRetention({ ...base, keepLast: 2 }))).toEqual([
      ['b/0', 'b/1'],
      ['b/2', 'b/3', 'b/4'],
    ]);
    expect(keys(decideRetention({ ...base, maxAgeDays: 3 }))).toEqual([
      ['b/0', 'b/1', 'b/2'],
      ['b/3', 'b/4'],
    ]);
    expect(
      keys(decideRetention({ ...base, keepLast: 1, maxAgeDays: 2 })),
    ).toEqual([
      ['b/0', 'b/1'],
      ['b/2', 'b/3', 'b/4'],
    ]);
    expect(keys(decideRetention({ ...base }))).toEqual([
      ['b/0', 'b/1', 'b/2', 'b/3', 'b/4'],
      [],
    ]);
    // keepLast 0 would remove everything: the newest verified backup stays.
    expect(
      keys(decideRetention({ ...base, keepLast: 0, newestVerifiedKey: 'b/3' })),
    ).toEqual([['b/3'], ['b/0', 'b/1', 'b/2', 'b/4']]);
  });
});
