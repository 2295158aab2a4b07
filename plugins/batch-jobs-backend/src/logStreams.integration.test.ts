import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockCredentials } from '@backstage/backend-test-utils';
import { BuildLog } from '@internal/batch-jobs-sandbox';
import {
  closeSandbox,
  PAYMENTS_SETTLEMENT,
  Sandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Log streams per user are capped: each holds a Jenkins connection and a
 * socket for as long as the reader takes, so a script opening hundreds of
 * 1 GB logs must meet a 429, not exhaust the backend.
 */

jest.setTimeout(60_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';

describe('log streams per user', () => {
  let sandbox: Sandbox;
  let port: number;
  let number: number;
  const open: http.ClientRequest[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const job = sandbox.world.item(JOB) as any;
    const build = job.builds.filter((b: any) => b.result !== null).slice(-1)[0];
    number = build.number;
    // A log far larger than the sockets' buffers: a reader that does not
    // read keeps its stream open.
    const line = (i: number) =>
      `${String(i).padStart(10, '0')} ${'x'.repeat(90)}`;
    build.log = new BuildLog().repeat(
      sandbox.world.now() - 3_000_000,
      1,
      2_000_000,
      line,
    );
    const { server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      batchJobs: { logs: { maxStreamsPerUser: 2 } },
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    open.forEach(r => r.destroy());
    await closeSandbox(sandbox);
  });

  /** Opens the log as `user`; resolves with the status once headers arrive, leaving the body unread. */
  const openLog = (user: string) =>
    new Promise<{
      status: number;
      res: http.IncomingMessage;
      body: () => Promise<string>;
    }>((resolve, reject) => {
      const req = http.get(
        {
          port,
          path: `/api/batch-jobs/builds/log?vpc=DEV&job=${encodeURIComponent(
            JOB,
          )}&number=${number}&start=0`,
          headers: {
            Authorization: mockCredentials.user.header(`user:default/${user}`),
          },
        },
        res => {
          res.pause();
          resolve({
            status: res.statusCode!,
            res,
            body: () =>
              new Promise(done => {
                let text = '';
                res.on('data', d => (text += d));
                res.on('end', () => done(text));
                res.resume();
              }),
          });
        },
      );
      req.on('error', reject);
      open.push(req);
    });

  it('answers 429 past the cap, for that user only, and frees a slot when a stream closes', async () => {
    const first = await openLog('jane');
    const second = await openLog('jane');
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await openLog('jane');
    expect(third.status).toBe(429);
    expect(JSON.parse(await third.body()).error.message).toContain(
      'You have 2 log streams open (at most 2)',
    );
    // Another user has slots of their own.
    const other = await openLog('olga');
    expect(other.status).toBe(200);

    // Closing a view gives its slot back.
    open[0].destroy();
    let again;
    for (let i = 0; i < 50; i++) {
      again = await openLog('jane');
      if (again.status === 200) break;
      await new Promise(r => setTimeout(r, 100));
    }
    expect(again!.status).toBe(200);
  });
});
