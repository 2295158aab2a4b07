import { parseJenkinsCron } from './cron';
import { checkScheduledRuns, selectCatchUpRuns } from './missedRuns';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0);
const job = 'DEV/payments-settlement/settlement-reconcile';
const half = (n: number) => T0 + n * 30 * MIN;

describe('checkScheduledRuns', () => {
  const context = { now: half(10), graceMs: 10 * MIN, outages: [] };

  it('lists nothing when every run was queued on its minute and started within the grace', () => {
    const expected = [half(0), half(1), half(2)];
    const timerBuilds = expected.map((t, i) => ({
      number: i + 1,
      queuedAt: t,
      startedAt: t + 2 * MIN,
    }));
    expect(
      checkScheduledRuns(
        { job, expected, timerBuilds, disabled: false },
        context,
      ),
    ).toEqual([]);
  });

  it('calls a run late when its build left the queue after the grace, and missed when none was queued', () => {
    const expected = [half(0), half(1), half(2)];
    const timerBuilds = [
      { number: 1, queuedAt: half(0), startedAt: half(0) + 25 * MIN },
      { number: 2, queuedAt: half(2), startedAt: half(2) },
    ];
    const runs = checkScheduledRuns(
      { job, expected, timerBuilds, disabled: false },
      context,
    );
    expect(runs).toEqual([
      expect.objectContaining({
        expected: new Date(half(0)).toISOString(),
        state: 'late',
        lateByMs: 25 * MIN,
        build: expect.objectContaining({ number: 1 }),
      }),
      expect.objectContaining({
        expected: new Date(half(1)).toISOString(),
        state: 'missed',
        reason: { kind: 'unknown' },
      }),
    ]);
  });

  it('puts missed runs inside an outage down to the unreachable controller, and judges no run before its grace', () => {
    const expected = [half(0), half(1), half(2), half(10) - 5 * MIN];
    const outages = [
      { jenkins: 'sandbox', since: half(0) + MIN, until: half(2) + MIN },
    ];
    const runs = checkScheduledRuns(
      {
        job,
        expected,
        timerBuilds: [{ number: 1, queuedAt: half(0), startedAt: half(0) }],
        disabled: false,
      },
      { ...context, outages },
    );
    expect(runs.map(r => [r.expected, r.state, r.reason.kind])).toEqual([
      [new Date(half(1)).toISOString(), 'missed', 'controller-unreachable'],
      [new Date(half(2)).toISOString(), 'missed', 'controller-unreachable'],
    ]);
  });

  it('says why a timer item still waits: no executor with the label', () => {
    const runs = checkScheduledRuns(
      {
        job,
        expected: [half(8)],
        timerBuilds: [],
        queued: {
          inQueueSince: half(8),
          why: 'There are no nodes with the label ‘DEV-batch-agent’',
        },
        disabled: false,
      },
      context,
    );
    expect(runs).toEqual([
      expect.objectContaining({
        state: 'late',
        lateByMs: 60 * MIN,
        reason: {
          kind: 'no-executor',
          why: expect.stringContaining('no nodes'),
        },
      }),
    ]);
  });

  it('shows runs of a paused job as skipped, paused by the person, not as missed', () => {
    const runs = checkScheduledRuns(
      {
        job,
        expected: [half(4), half(5)],
        timerBuilds: [],
        disabled: true,
        pause: {
          by: 'user:default/jane',
          reason: 'bank holiday',
          at: half(3),
          until: null,
        },
      },
      context,
    );
    expect(runs.map(r => [r.state, r.reason])).toEqual([
      [
        'skipped',
        { kind: 'paused', by: 'user:default/jane', reason: 'bank holiday' },
      ],
      [
        'skipped',
        { kind: 'paused', by: 'user:default/jane', reason: 'bank holiday' },
      ],
    ]);
  });

  it('finds the expected minutes with H resolved for the job, as Jenkins fires them', () => {
    const cron = parseJenkinsCron('H/30 * * * *', {
      jobFullName: job,
      timezone: 'UTC',
    });
    const [first, second] = cron
      .nextRuns(new Date(T0 - 1), 2)
      .map(d => d.getTime());
    expect(second - first).toBe(30 * MIN);
    expect((first - T0) % MIN).toBe(0);
  });
});

describe('selectCatchUpRuns', () => {
  const missed = (j: string, n: number) => ({
    job: j,
    expected: new Date(half(n)).toISOString(),
    state: 'missed' as const,
    reason: { kind: 'unknown' as const },
  });
  const runs = [
    missed('a', 1),
    missed('a', 2),
    missed('b', 1),
    { ...missed('c', 1), state: 'skipped' as const },
  ];

  it('takes all, the latest per job, or none, per job', () => {
    expect(selectCatchUpRuns(runs, {}, 'latest')).toEqual([
      { job: 'b', expected: new Date(half(1)).toISOString() },
      { job: 'a', expected: new Date(half(2)).toISOString() },
    ]);
    expect(
      selectCatchUpRuns(runs, { a: 'all', b: 'none' }, 'latest').map(
        r => r.job,
      ),
    ).toEqual(['a', 'a']);
    expect(selectCatchUpRuns(runs, {}, 'none')).toEqual([]);
  });
});
