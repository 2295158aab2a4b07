import { parseJenkinsCron } from '@batch-jobs/plugin-batch-jobs-common';
import {
  ScheduledJob,
  findOverlaps,
  labelTimeline,
  runStartsIn,
} from './timeline';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 0, 0);
const at = (minutes: number) => T0 + minutes * MIN;
const run = (from: number, to: number) => ({ start: at(from), end: at(to) });

describe('findOverlaps', () => {
  it('finds the maximal interval where runs outnumber executors, with its peak', () => {
    const runs = [
      run(0, 30),
      run(5, 20),
      run(10, 40),
      run(15, 25),
      run(50, 60),
    ];
    expect(findOverlaps(runs, 2)).toEqual([
      { start: at(10), end: at(25), concurrent: 4 },
    ]);
    expect(findOverlaps(runs, 3)).toEqual([
      { start: at(15), end: at(20), concurrent: 4 },
    ]);
    expect(findOverlaps(runs, 4)).toEqual([]);
  });

  it('does not count runs that only touch: one ends as the next starts', () => {
    const runs = [run(0, 10), run(10, 20), run(20, 30)];
    expect(findOverlaps(runs, 1)).toEqual([]);
    // Two lanes handing over at minute 10 keep two runs going, not three.
    expect(
      findOverlaps([run(0, 10), run(0, 10), run(10, 20), run(10, 20)], 2),
    ).toEqual([]);
  });

  it('merges intervals that meet when runs hand over while still above the limit', () => {
    const runs = [run(0, 10), run(0, 10), run(0, 20), run(10, 20), run(10, 20)];
    expect(findOverlaps(runs, 2)).toEqual([
      { start: at(0), end: at(20), concurrent: 3 },
    ]);
  });

  it('with zero executors every run is an overlap', () => {
    expect(findOverlaps([run(0, 5), run(10, 15)], 0)).toEqual([
      { start: at(0), end: at(5), concurrent: 1 },
      { start: at(10), end: at(15), concurrent: 1 },
    ]);
  });

  it('clips to the window: runs crossing its end or starting before it', () => {
    const runs = [run(-20, 10), run(-5, 10), run(50, 90), run(55, 70)];
    expect(findOverlaps(runs, 1, { start: at(0), end: at(60) })).toEqual([
      { start: at(0), end: at(10), concurrent: 2 },
      { start: at(55), end: at(60), concurrent: 2 },
    ]);
  });

  it('ignores empty runs', () => {
    expect(findOverlaps([run(5, 5), run(5, 5), run(0, 10)], 1)).toEqual([]);
  });
});

describe('runStartsIn', () => {
  const every15 = parseJenkinsCron('H/15 * * * *', {
    jobFullName: 'DEV/push-notifier/push-dispatch',
  });

  it('lists runs starting before the end and still running at the start', () => {
    // H/15 for this job fires at :06, :21, :36, :51.
    const { starts, truncated } = runStartsIn(
      every15,
      { start: at(10), end: at(60) },
      4 * MIN,
    );
    expect(starts.map(t => (t - T0) / MIN)).toEqual([21, 36, 51]);
    expect(truncated).toBe(false);
    // A 4-minute run from :06 ends as the window starts; a longer one is in it.
    expect(
      runStartsIn(
        every15,
        { start: at(10), end: at(60) },
        4 * MIN + 1,
      ).starts.map(t => (t - T0) / MIN),
    ).toEqual([6, 21, 36, 51]);
  });

  it('stops at the limit and says so', () => {
    const everyMinute = parseJenkinsCron('* * * * *', { jobFullName: 'a' });
    const { starts, truncated } = runStartsIn(
      everyMinute,
      { start: at(0), end: at(7 * 24 * 60) },
      MIN,
      100,
    );
    expect(starts).toHaveLength(100);
    expect(truncated).toBe(true);
  });
});

describe('labelTimeline', () => {
  const job = (
    fullName: string,
    spec: string,
    durationMin: number,
  ): ScheduledJob => {
    let cron: ScheduledJob['cron'];
    try {
      cron = parseJenkinsCron(spec, { jobFullName: fullName });
    } catch (e) {
      cron = { error: (e as Error).message };
    }
    return {
      name: fullName.split('/').pop()!,
      fullName,
      spec,
      label: 'DEV-batch-agent',
      cron,
      expectedDurationMs: durationMin * MIN,
      durationSource: 'estimate',
    };
  };

  it('lays out every run and flags where they exceed the executors', () => {
    const jobs = ['a', 'b', 'c'].map(n => job(`DEV/s/${n}`, '0 1 * * *', 10));
    jobs.push(job('DEV/s/bad', '61 * * * *', 5));
    const result = labelTimeline('DEV-batch-agent', 2, jobs, {
      start: at(0),
      end: at(24 * 60),
    });
    expect(result.runs.map(r => [r.job, r.start, r.end])).toEqual([
      ['a', new Date(at(60)).toISOString(), new Date(at(70)).toISOString()],
      ['b', new Date(at(60)).toISOString(), new Date(at(70)).toISOString()],
      ['c', new Date(at(60)).toISOString(), new Date(at(70)).toISOString()],
    ]);
    expect(result.overlaps).toEqual([
      {
        start: new Date(at(60)).toISOString(),
        end: new Date(at(70)).toISOString(),
        concurrent: 3,
        executors: 2,
      },
    ]);
    const bad = result.jobs!.find(j => j.name === 'bad')!;
    expect(bad.error).toMatch(/Invalid schedule at line 1/);
    expect(result.jobs!.find(j => j.name === 'a')).toMatchObject({
      description: 'daily at 01:00',
      timezone: 'UTC',
    });
  });
});
