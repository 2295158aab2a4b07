import { mockCredentials } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import { BuildLog } from '@internal/batch-jobs-sandbox';
import {
  api,
  closeSandbox,
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * GET /builds/log in bounded pieces, through the real router against the
 * sandbox's progressiveText: the tail of a huge finished log, reads cut at a
 * limit, and many readers of a running build sharing one Jenkins read per
 * refresh. Jenkins requests are counted from the sandbox's record.
 */

jest.setTimeout(120_000);

const FINISHED_JOB = 'DEV/payments-settlement/daily-settlement-report';
const RUNNING_JOB = 'DEV/push-notifier/DEV-worker';
const LINES = 1_500_000;
// Lines that do not compress: gzip cannot hide how much Jenkins sent.
const line = (i: number) =>
  `${String(i).padStart(10, '0')} ${createHash('md5')
    .update(String(i))
    .digest('hex')}`;
const WIDTH = line(0).length + 1;
const SIZE = LINES * WIDTH;

function header(res: { headers: Record<string, string> }, name: string) {
  const value = res.headers[name.toLowerCase()];
  return value === undefined ? undefined : Number(value);
}

describe('console logs in bounded pieces', () => {
  let sandbox: Sandbox;
  let server: any;
  let finished: number;
  let running: any;

  /** progressiveText requests of `job` #`number` since `mark`. */
  const logReads = (mark: number, job: string, number: number) =>
    sandbox.requests
      .slice(mark)
      .filter(r =>
        r.path.includes(
          `/job/${job
            .split('/')
            .join('/job/')}/${number}/logText/progressiveText`,
        ),
      ).length;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const job = sandbox.world.item(FINISHED_JOB) as any;
    const build = job.builds.filter((b: any) => b.result !== null).slice(-1)[0];
    finished = build.number;
    build.log = new BuildLog().repeat(
      sandbox.world.now() - LINES - 60_000,
      1,
      LINES,
      line,
    );
    const worker = sandbox.world.item(RUNNING_JOB) as any;
    running = worker.builds.filter((b: any) => b.result === null).slice(-1)[0];
    // 100 lines a second from now on, forever (until the test ends).
    running.log = new BuildLog().repeat(
      sandbox.world.now() - 5_000,
      10,
      Infinity,
      line,
    );
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER],
    }));
  });
  afterAll(() => closeSandbox(sandbox));

  // Each tab its own user: one user may hold only 8 log streams at once.
  const get = (query: Record<string, unknown>, tab = 0) =>
    api(server, mockCredentials.user.header(`user:default/tab-${tab}`))
      .get('/builds/log', query)
      .buffer(true)
      .parse((res, done) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => done(null, Buffer.concat(parts).toString('utf8')));
      });

  it('opens a finished log at its tail, on whole lines; a second open costs one Jenkins read', async () => {
    const query = {
      vpc: 'DEV',
      job: FINISHED_JOB,
      number: finished,
      tail: 65536,
    };
    let mark = sandbox.requests.length;
    const first = await get(query);
    expect(first.status).toBe(200);
    // Unknown length: a probe (headers only) and the read at the end.
    expect(logReads(mark, FINISHED_JOB, finished)).toBe(2);

    const text: string = first.body;
    const start = header(first, 'X-Text-Start')!;
    expect(header(first, 'X-Text-Size')).toBe(SIZE);
    expect(header(first, 'X-Text-End')).toBe(SIZE);
    expect(first.headers['x-more-data']).toBeUndefined();
    expect(Buffer.byteLength(text)).toBe(SIZE - start);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(65536);
    // Snapped to a line start: every line is whole, the last is the log's last.
    expect(start % WIDTH).toBe(0);
    const lines = text.split('\n').slice(0, -1);
    expect(lines[0]).toBe(line(start / WIDTH));
    expect(lines[lines.length - 1]).toBe(line(LINES - 1));
    expect(first.headers['access-control-expose-headers']).toBe(
      'X-Text-Size, X-More-Data, X-Text-Start, X-Text-End',
    );
    // A bounded tail is held whole: sent with its length, not chunked.
    expect(header(first, 'Content-Length')).toBe(Buffer.byteLength(text));
    expect(first.headers['transfer-encoding']).toBeUndefined();

    mark = sandbox.requests.length;
    const second = await get(query);
    expect(second.body).toBe(text);
    expect(logReads(mark, FINISHED_JOB, finished)).toBe(1);
  });

  it('answers at most `limit` bytes and stops reading Jenkins', async () => {
    const bytesBefore = sandbox.bytesSent();
    const start = 10 * WIDTH + 5;
    const res = await get({
      vpc: 'DEV',
      job: FINISHED_JOB,
      number: finished,
      start,
      limit: 1000,
    });
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(res.body)).toBe(1000);
    expect(res.body.startsWith(line(10).slice(5))).toBe(true);
    expect(header(res, 'X-Text-Start')).toBe(start);
    expect(header(res, 'X-Text-End')).toBe(start + 1000);
    expect(header(res, 'X-Text-Size')).toBe(SIZE);
    // Streamed through from Jenkins, never held: chunked.
    expect(res.headers['transfer-encoding']).toBe('chunked');

    // Let the sandbox notice the closed socket and stop writing.
    let sent = sandbox.bytesSent();
    for (;;) {
      await new Promise(r => setTimeout(r, 200));
      if (sandbox.bytesSent() === sent) break;
      sent = sandbox.bytesSent();
    }
    // The whole log is ~75 MB even gzipped; only socket buffers' worth left Jenkins.
    expect(sent - bytesBefore).toBeLessThan(SIZE / 10);
  });

  it('starts over at 0 when `start` is past the end, as Jenkins does', async () => {
    const res = await get({
      vpc: 'DEV',
      job: FINISHED_JOB,
      number: finished,
      start: SIZE + 1000,
      limit: WIDTH * 2,
    });
    expect(header(res, 'X-Text-Start')).toBe(0);
    expect(res.body).toBe(`${line(0)}\n${line(1)}\n`);
  });

  it('shares one Jenkins read per refresh between 10 tabs following a running build', async () => {
    const query = { vpc: 'DEV', job: RUNNING_JOB, number: running.number };
    let mark = sandbox.requests.length;
    const opened = await Promise.all(
      Array.from({ length: 10 }, (_, tab) =>
        get({ ...query, tail: 8192 }, tab),
      ),
    );
    // A probe from 0, one past the end (Jenkins starts over: the end is found), one read filling the ring.
    expect(logReads(mark, RUNNING_JOB, running.number)).toBe(3);
    const texts = opened.map(r => r.body as string);
    const offsets = opened.map(r => header(r, 'X-Text-End')!);
    const firstOffsets = opened.map(r => header(r, 'X-Text-Start')!);
    for (const r of opened) {
      expect(r.headers['x-more-data']).toBe('true');
      expect(r.body).toBe(opened[0].body);
      // From the shared end held in memory: one write with its length.
      expect(header(r, 'Content-Length')).toBe(Buffer.byteLength(r.body));
    }
    expect(firstOffsets[0] % WIDTH).toBe(0);

    const ROUNDS = 4;
    mark = sandbox.requests.length;
    for (let round = 0; round < ROUNDS; round++) {
      await sandbox.advance(1000);
      // Past the backend's refresh interval (0.8 s), like the page's 1 s poll.
      await new Promise(r => setTimeout(r, 1100));
      const polls = await Promise.all(
        offsets.map((start, tab) => get({ ...query, start }, tab)),
      );
      polls.forEach((res, i) => {
        expect(header(res, 'X-Text-Start')).toBe(offsets[i]);
        texts[i] += res.body;
        offsets[i] = header(res, 'X-Text-End')!;
      });
    }
    const reads = logReads(mark, RUNNING_JOB, running.number);
    // 10 tabs × 4 polls, about one Jenkins read per round (not 40).
    expect(reads).toBeGreaterThanOrEqual(ROUNDS);
    expect(reads).toBeLessThanOrEqual(ROUNDS + 2);

    // Each tab holds exactly the log from where it opened, whole lines, nothing lost or doubled.
    const first = firstOffsets[0] / WIDTH;
    const expected = Array.from(
      { length: (offsets[0] - firstOffsets[0]) / WIDTH },
      (_, i) => `${line(first + i)}\n`,
    ).join('');
    expect(offsets[0]).toBeGreaterThan(firstOffsets[0] + 300 * WIDTH);
    for (const text of texts) expect(text).toBe(expected);
  });

  it.each([
    [{ tail: '0' }, 'tail: must be a positive integer'],
    [{ tail: String(2 * 1024 * 1024) }, 'tail: must be at most 1048576 bytes'],
    [{ limit: 'lots' }, 'limit: must be a positive integer'],
    [{ limit: String(1024 ** 3) }, 'limit: must be at most 67108864 bytes'],
    [{ tail: '100', start: '5' }, 'tail: give either start or tail, not both'],
    [
      { tail: '100', limit: '5' },
      'limit: tail already bounds the read; drop limit',
    ],
  ])('refuses %j with a 400', async (bad, message) => {
    const res = await api(server).get('/builds/log', {
      vpc: 'DEV',
      job: FINISHED_JOB,
      number: finished,
      ...bad,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(`Invalid log query: ${message}`);
  });
});
