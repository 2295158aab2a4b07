import { Readable } from 'node:stream';
import { ConsoleLogs } from './ConsoleLogs';

/*
 * The shared follower's bounds, with a fake progressiveText at the network
 * edge (behaving like Jenkins' LargeText for a running build) and a fake
 * clock: the ring's size, the lease, and the cap on followed builds.
 * Reads through the router against the sandbox are in
 * consoleLogs.integration.test.ts.
 */

class FakeJenkins {
  logs = new Map<string, { text: string; running: boolean }>();
  reads: Array<{ job: string; start: number }> = [];

  streamLog = async (job: string, _number: number, start: number) => {
    this.reads.push({ job, start });
    const log = this.logs.get(job)!;
    const from = start > log.text.length ? 0 : start;
    let text = log.text.slice(from);
    const split = text.split('\n');
    if (log.running && split.length > 10_001) {
      // LargeText sends a running build's log 10 000 lines at a time.
      text = `${split.slice(0, 10_000).join('\n')}\n`;
    }
    return {
      stream: Readable.from([Buffer.from(text)]),
      textSize: String(from + text.length),
      moreData: log.running ? 'true' : undefined,
    };
  };
}

async function readAll(stream: Buffer | Readable): Promise<string> {
  if (Buffer.isBuffer(stream)) return stream.toString();
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('ConsoleLogs', () => {
  let now: number;
  let jenkins: FakeJenkins;
  let logs: ConsoleLogs;
  const line = (i: number) => `line ${String(i).padStart(4, '0')}\n`; // 10 bytes
  const lines = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => line(from + i)).join('');

  beforeEach(() => {
    now = 1_000_000;
    jenkins = new FakeJenkins();
    logs = new ConsoleLogs({
      directory: {
        resolveJob: (vpc: string, job: string) => ({
          vpc: { name: vpc, jenkins: 'sandbox' },
          fullName: job,
        }),
      } as any,
      clientFor: () => jenkins as any,
      ringBytes: 100,
      refreshMs: 1000,
      idleMs: 30_000,
      maxFollowed: 2,
      now: () => now,
    });
  });

  const read = (job: string, query: { start?: number; tail?: number }) =>
    logs.read({ vpc: 'DEV', job, number: 1, ...query });

  it('holds at most ringBytes of a followed build and sends earlier reads upstream', async () => {
    jenkins.logs.set('a', { text: lines(0, 50), running: true });
    const tail = await read('a', { tail: 1000 });
    // Only the ring (100 bytes) is held: the tail is at most that, on whole
    // lines (whether line 40 is whole is unknown: the byte before is not held).
    expect(await readAll(tail.body)).toBe(lines(41, 50));
    expect([tail.start, tail.end, tail.size]).toEqual([410, 500, 500]);

    jenkins.logs.get('a')!.text += lines(50, 55);
    now += 1000;
    const next = await read('a', { start: 500 });
    expect(await readAll(next.body)).toBe(lines(50, 55));
    const mark = jenkins.reads.length;
    // Before the ring: Jenkins answers.
    const early = await read('a', { start: 0 });
    expect(jenkins.reads.length).toBe(mark + 1);
    expect((await readAll(early.body)).startsWith(lines(0, 3))).toBe(true);
  });

  it('reads Jenkins at most once per refresh interval, whoever asks', async () => {
    jenkins.logs.set('a', { text: lines(0, 5), running: true });
    await read('a', { tail: 100 });
    const mark = jenkins.reads.length;
    jenkins.logs.get('a')!.text += lines(5, 6);
    // Within the interval: memory, even though Jenkins has more.
    const stale = await read('a', { start: 50 });
    expect(await readAll(stale.body)).toBe('');
    expect(jenkins.reads.length).toBe(mark);
    now += 1000;
    const fresh = await Promise.all([
      read('a', { start: 50 }),
      read('a', { start: 50 }),
      read('a', { start: 40 }),
    ]);
    expect(jenkins.reads.length).toBe(mark + 1);
    expect(await readAll(fresh[0].body)).toBe(line(5));
    expect(await readAll(fresh[2].body)).toBe(lines(4, 6));
  });

  it('drops a followed build after idleMs without readers, and follows at most maxFollowed', async () => {
    for (const job of ['a', 'b', 'c']) {
      jenkins.logs.set(job, { text: lines(0, 3), running: true });
      await read(job, { tail: 100 });
    }
    // The third had no room: its reads go to Jenkins every time.
    expect(logs.followed).toBe(2);
    const mark = jenkins.reads.length;
    await read('c', { start: 30 });
    await read('c', { start: 30 });
    expect(jenkins.reads.length).toBe(mark + 2);

    now += 20_000;
    await read('a', { start: 30 });
    now += 15_000;
    // b's lease ran out; a was read 15 s ago.
    expect(logs.followed).toBe(1);
  });

  it('keeps serving a build that finished from memory, and remembers its length', async () => {
    jenkins.logs.set('a', { text: lines(0, 3), running: true });
    await read('a', { tail: 100 });
    jenkins.logs.set('a', { text: lines(0, 4), running: false });
    now += 1000;
    const last = await read('a', { start: 30 });
    expect(await readAll(last.body)).toBe(line(3));
    expect(last.moreData).toBe(false);

    // Later (the follower gone), a tail needs one Jenkins read: the length is known.
    now += 60_000;
    const mark = jenkins.reads.length;
    const tail = await read('a', { tail: 15 });
    expect(await readAll(tail.body)).toBe(line(3));
    // From the byte before the tail, to know whether its first line is whole.
    expect(jenkins.reads.slice(mark)).toEqual([{ job: 'a', start: 24 }]);
  });

  it('opens a log no longer than the tail with one Jenkins read, finished or running', async () => {
    jenkins.logs.set('done', { text: lines(0, 5), running: false });
    const done = await read('done', { tail: 1000 });
    expect(await readAll(done.body)).toBe(lines(0, 5));
    expect([done.start, done.end, done.size, done.moreData]).toEqual([
      0,
      50,
      50,
      false,
    ]);
    expect(jenkins.reads).toEqual([{ job: 'done', start: 0 }]);

    // A running one is followed from that same read: the next poll within
    // the interval is memory, the one after reads only what is new.
    jenkins.logs.set('live', { text: lines(0, 5), running: true });
    const live = await read('live', { tail: 1000 });
    expect(await readAll(live.body)).toBe(lines(0, 5));
    expect(live.moreData).toBe(true);
    expect(jenkins.reads.filter(r => r.job === 'live')).toEqual([
      { job: 'live', start: 0 },
    ]);
    jenkins.logs.get('live')!.text += line(5);
    expect(await readAll((await read('live', { start: 50 })).body)).toBe('');
    now += 1000;
    expect(await readAll((await read('live', { start: 50 })).body)).toBe(
      line(5),
    );
    expect(jenkins.reads.filter(r => r.job === 'live')).toEqual([
      { job: 'live', start: 0 },
      { job: 'live', start: 50 },
    ]);
  });

  it('reads the end of a longer log after the first read told its length, once for everyone opening it at once', async () => {
    jenkins.logs.set('a', { text: lines(0, 50), running: false });
    const opens = await Promise.all(
      Array.from({ length: 5 }, () => read('a', { tail: 100 })),
    );
    for (const open of opens) {
      // From the byte before the tail (a newline): its first line is whole.
      expect(await readAll(open.body)).toBe(lines(40, 50));
      expect([open.start, open.end, open.size]).toEqual([400, 500, 500]);
    }
    expect(jenkins.reads.filter(r => r.start === 0)).toHaveLength(1);
  });

  it("does not take a running build's first 10 000 lines for its end", async () => {
    jenkins.logs.set('big', { text: lines(0, 12_000), running: true });
    const tail = await read('big', { tail: 1024 * 1024 });
    // The ring (100 bytes here) ends where the log ends, not at line 10 000.
    expect(await readAll(tail.body)).toBe(lines(11_991, 12_000));
    // Lines from 10 000 on are 11 bytes long.
    expect(tail.size).toBe(10_000 * 10 + 2_000 * 11);
  });
});
