import {
  MockFetchApi,
  mockApis,
  registerMswTestHooks,
} from '@backstage/test-utils';
import { rest } from 'msw';
import { setupServer } from 'msw/node';
import { BatchJobsClient } from './BatchJobsClient';

const server = setupServer();
registerMswTestHooks(server);

const base = 'http://example.com/api/batch-jobs';

function createClient() {
  return new BatchJobsClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
    fetchApi: new MockFetchApi({ injectIdentityAuth: { token: 'user-token' } }),
  });
}

describe('BatchJobsClient', () => {
  it('reads the jobs of an entity by its ref, with the user token', async () => {
    let auth: string | null = null;
    let url = '';
    server.use(
      rest.get(
        `${base}/entity/:namespace/:kind/:name/jobs`,
        (req, res, ctx) => {
          auth = req.headers.get('authorization');
          url = req.url.pathname;
          return res(
            ctx.json({
              entityRef: 'component:default/push-notifier',
              vpcs: [],
            }),
          );
        },
      ),
    );

    const result = await createClient().getEntityJobs(
      'component:default/push-notifier',
    );

    expect(url).toBe(
      '/api/batch-jobs/entity/default/component/push-notifier/jobs',
    );
    expect(auth).toBe('Bearer user-token');
    expect(result.entityRef).toBe('component:default/push-notifier');
  });

  it('pages builds with an encoded job name and cursor', async () => {
    let query: URLSearchParams | undefined;
    server.use(
      rest.get(`${base}/builds`, (req, res, ctx) => {
        query = req.url.searchParams;
        return res(ctx.json({ items: [], nextCursor: 'c2' }));
      }),
    );

    const page = await createClient().getBuilds({
      vpc: 'DEV',
      job: 'DEV/payments-settlement/migrate-ledger',
      limit: 25,
      cursor: 'c1&x=y',
    });

    expect(Object.fromEntries(query!.entries())).toEqual({
      vpc: 'DEV',
      job: 'DEV/payments-settlement/migrate-ledger',
      limit: '25',
      cursor: 'c1&x=y',
    });
    expect(page.nextCursor).toBe('c2');
  });

  it('parses the offsets and X-More-Data of a log chunk', async () => {
    let query: URLSearchParams | undefined;
    server.use(
      rest.get(`${base}/builds/log`, (req, res, ctx) => {
        query = req.url.searchParams;
        return res(
          ctx.set('X-Text-Start', '1000'),
          ctx.set('X-Text-End', '1014'),
          ctx.set('X-Text-Size', '1234'),
          ctx.set('X-More-Data', 'true'),
          ctx.text('line 1\nline 2\n'),
        );
      }),
    );

    const chunk = await createClient().getLogChunk({
      vpc: 'STG',
      job: 'STG/push-notifier/STG-worker',
      number: 7,
      start: 1000,
      limit: 5000,
    });

    expect(query!.get('number')).toBe('7');
    expect(query!.get('start')).toBe('1000');
    expect(query!.get('limit')).toBe('5000');
    expect(chunk).toEqual({
      text: 'line 1\nline 2\n',
      start: 1000,
      end: 1014,
      size: 1234,
      moreData: true,
    });
  });

  it('asks for the tail, and treats a missing X-More-Data as the end of the log', async () => {
    let query: URLSearchParams | undefined;
    server.use(
      rest.get(`${base}/builds/log`, (req, res, ctx) => {
        query = req.url.searchParams;
        return res(
          ctx.set('X-Text-Start', '15'),
          ctx.set('X-Text-End', '20'),
          ctx.set('X-Text-Size', '20'),
          ctx.text('done\n'),
        );
      }),
    );

    const chunk = await createClient().getLogChunk({
      vpc: 'DEV',
      job: 'DEV/a/b',
      number: 1,
      tail: 4096,
    });

    expect(query!.get('tail')).toBe('4096');
    expect(query!.has('start')).toBe(false);
    expect(chunk).toEqual({
      text: 'done\n',
      start: 15,
      end: 20,
      size: 20,
      moreData: false,
    });
  });

  it('never keeps more than the limit, and leaves a cut character to the next read', async () => {
    server.use(
      rest.get(`${base}/builds/log`, (_req, res, ctx) =>
        // A backend that sends more than asked, ending inside "é".
        res(
          ctx.set('X-Text-Start', '0'),
          ctx.set('X-Text-End', '4'),
          ctx.set('X-Text-Size', '100'),
          ctx.body(new Uint8Array([0x61, 0x62, 0x63, 0xc3, 0xa9, 0x64, 0x65])),
        ),
      ),
    );

    const chunk = await createClient().getLogChunk({
      vpc: 'DEV',
      job: 'DEV/a/b',
      number: 1,
      start: 0,
      limit: 4,
    });

    expect(chunk).toEqual({
      text: 'abc',
      start: 0,
      end: 3,
      size: 100,
      moreData: false,
    });
  });

  it('falls back to what it asked and got without the offset headers', async () => {
    server.use(
      rest.get(`${base}/builds/log`, (_req, res, ctx) =>
        res(ctx.text('done\n')),
      ),
    );
    const chunk = await createClient().getLogChunk({
      vpc: 'DEV',
      job: 'DEV/a/b',
      number: 1,
      start: 15,
    });
    expect(chunk).toEqual({
      text: 'done\n',
      start: 15,
      end: 20,
      size: 20,
      moreData: false,
    });
  });

  it('downloads the whole log with the user token', async () => {
    let auth: string | null = null;
    let start: string | null = null;
    server.use(
      rest.get(`${base}/builds/log`, (req, res, ctx) => {
        auth = req.headers.get('authorization');
        start = req.url.searchParams.get('start');
        return res(ctx.text('whole log\n'));
      }),
    );

    const blob = await createClient().downloadLog({
      vpc: 'DEV',
      job: 'DEV/a/b',
      number: 3,
    });

    expect(auth).toBe('Bearer user-token');
    expect(start).toBe('0');
    expect(blob.size).toBe('whole log\n'.length);
  });

  it('sends the rerun with its Idempotency-Key', async () => {
    let key: string | null = null;
    let body: unknown;
    server.use(
      rest.post(`${base}/builds/rerun`, async (req, res, ctx) => {
        key = req.headers.get('idempotency-key');
        body = await req.json();
        return res(
          ctx.status(202),
          ctx.json({
            auditId: 'a1',
            vpc: 'DEV',
            job: 'DEV/a/b',
            queueItemId: 17,
            state: 'queued',
          }),
        );
      }),
    );

    const result = await createClient().rerun(
      {
        vpc: 'DEV',
        job: 'DEV/a/b',
        number: 41,
        entityRef: 'component:default/payments-settlement',
      },
      'key-123',
    );

    expect(key).toBe('key-123');
    expect(body).toEqual({
      vpc: 'DEV',
      job: 'DEV/a/b',
      number: 41,
      entityRef: 'component:default/payments-settlement',
    });
    expect(result).toMatchObject({ queueItemId: 17 });
  });

  it('turns a refused rerun into an error carrying the backend message', async () => {
    server.use(
      rest.post(`${base}/builds/rerun`, (_req, res, ctx) =>
        res(
          ctx.status(409),
          ctx.json({
            error: {
              name: 'ConflictError',
              message: 'Jenkins refused the build: job is disabled',
            },
            request: { method: 'POST', url: '/api/batch-jobs/builds/rerun' },
            response: { statusCode: 409 },
          }),
        ),
      ),
    );

    await expect(
      createClient().rerun({ vpc: 'DEV', job: 'DEV/a/b', number: 41 }, 'k'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 409,
      body: {
        error: { message: 'Jenkins refused the build: job is disabled' },
      },
    });
  });

  it('reads queue items and audit events with their filters', async () => {
    const seen: string[] = [];
    server.use(
      rest.get(`${base}/queue`, (req, res, ctx) => {
        seen.push(`${req.url.pathname}${req.url.search}`);
        return res(ctx.json({ id: 17, state: 'queued', why: 'Waiting' }));
      }),
      rest.get(`${base}/audit`, (req, res, ctx) => {
        seen.push(`${req.url.pathname}${req.url.search}`);
        return res(ctx.json({ items: [] }));
      }),
    );

    const client = createClient();
    const item = await client.getQueueItem({ vpc: 'PROD', id: 17 });
    await client.getAudit({
      entityRef: 'component:default/report-builder',
      vpc: 'PROD',
      limit: 50,
    });

    expect(item.why).toBe('Waiting');
    expect(seen).toEqual([
      '/api/batch-jobs/queue?vpc=PROD&id=17',
      '/api/batch-jobs/audit?entityRef=component%3Adefault%2Freport-builder&vpc=PROD&limit=50',
    ]);
  });
});
