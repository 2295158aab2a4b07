import { decideLaunch } from './launchDecisions';

const T0 = '2026-11-02T09:00:00.000Z';
const op = (steps: string[], state: 'running' | 'succeeded' | 'failed' = 'running') => ({
  state,
  instanceId: 'i-0123456789abcdef0',
  node: 'i-0123456789abcdef0-EC2-AGENT',
  deadline: '2026-11-02T09:05:00.000Z',
  steps: steps.map(name => ({ name, at: T0, message: name })),
});
const at = (iso: string) => new Date(iso);

describe('decideLaunch', () => {
  it('waits while the instance is pending and the node offline', () => {
    expect(
      decideLaunch(op(['launch', 'pending', 'node-created']), {
        instanceState: 'pending',
        node: { online: false, offlineReason: null },
        now: at('2026-11-02T09:00:10Z'),
      }),
    ).toEqual({ action: 'wait' });
  });

  it('records "running" once when the instance runs', () => {
    const seen = { instanceState: 'running', node: null, now: at('2026-11-02T09:00:20Z') };
    expect(decideLaunch(op(['launch', 'pending']), seen)).toMatchObject({
      action: 'wait',
      step: { name: 'running' },
    });
    expect(decideLaunch(op(['launch', 'pending', 'running']), seen)).toEqual({ action: 'wait' });
  });

  it('succeeds when the node is online, without skipping the running step', () => {
    const decision = decideLaunch(op(['launch', 'pending']), {
      instanceState: 'running',
      node: { online: true, offlineReason: null },
      now: at('2026-11-02T09:00:30Z'),
    });
    expect(decision.action).toBe('succeed');
    expect(decision.action === 'succeed' && decision.steps.map(s => s.name)).toEqual(['running', 'online']);
  });

  it('rolls back at the deadline when the agent never connected', () => {
    const decision = decideLaunch(op(['launch', 'pending', 'running']), {
      instanceState: 'running',
      node: { online: false, offlineReason: null },
      now: at('2026-11-02T09:05:00Z'),
    });
    expect(decision).toMatchObject({ action: 'roll-back', step: 'timeout' });
    expect(decision.action === 'roll-back' && decision.reason).toMatch(/within 300 s.*never connected/);
  });

  it('rolls back when the instance ends before the node is online', () => {
    for (const instanceState of ['shutting-down', 'terminated', null]) {
      expect(
        decideLaunch(op(['launch', 'pending']), {
          instanceState,
          node: null,
          now: at('2026-11-02T09:01:00Z'),
        }),
      ).toMatchObject({ action: 'roll-back', step: 'instance-lost' });
    }
  });

  it('an online node wins over a passed deadline; finished operations are left alone', () => {
    expect(
      decideLaunch(op(['launch', 'running']), {
        instanceState: 'running',
        node: { online: true, offlineReason: null },
        now: at('2026-11-02T10:00:00Z'),
      }).action,
    ).toBe('succeed');
    expect(
      decideLaunch(op(['launch'], 'failed'), {
        instanceState: null,
        node: null,
        now: at('2026-11-02T10:00:00Z'),
      }),
    ).toEqual({ action: 'wait' });
  });
});
