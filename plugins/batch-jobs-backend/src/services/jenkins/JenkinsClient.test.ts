import { mockServices } from '@backstage/backend-test-utils';
import { startFakeHttpServer, Handler } from '../../testing/fakeHttpServer';
import { JenkinsClient, isQueueItemOf, jobPath } from './JenkinsClient';

const TOKEN = 'very-secret-token';

describe('JenkinsClient', () => {
  let handler: Handler;
  let server: Awaited<ReturnType<typeof startFakeHttpServer>>;

  beforeAll(async () => {
    server = await startFakeHttpServer((req, res) => handler(req, res));
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  function client(
    overrides: Partial<{
      crumb: boolean;
      baseUrl: string;
      timeoutMs: number;
    }> = {},
  ) {
    return JenkinsClient.fromConfig(
      {
        name: 'sandbox',
        baseUrl: overrides.baseUrl ?? server.url,
        username: 'admin',
        apiToken: TOKEN,
        crumb: overrides.crumb ?? true,
        timeoutMs: overrides.timeoutMs ?? 2000,
        readRetries: 2,
        timezone: 'UTC',
      },
      { logger: mockServices.logger.mock() },
    );
  }

  it('encodes full names as /job/ paths', () => {
    expect(jobPath('DEV/payments settlement/x')).toBe(
      '/job/DEV/job/payments%20settlement/job/x',
    );
    expect(jobPath('')).toBe('');
  });

  it("takes a queue item as a job's only when the whole job path matches", () => {
    const item = (url: string) => ({ id: 1, task: { url } } as any);
    expect(
      isQueueItemOf(item('http://j/job/DEV/job/x/job/job/'), 'DEV/x/job'),
    ).toBe(true);
    // Behind a context path, the root is not part of the job.
    expect(isQueueItemOf(item('http://j/ci/job/DEV/job/x/'), 'DEV/x')).toBe(
      true,
    );
    // Another job whose path merely ends like this one.
    expect(
      isQueueItemOf(item('http://j/job/DEV/job/other/job/x/job/job/'), 'x/job'),
    ).toBe(false);
    expect(
      isQueueItemOf(item('http://j/job/DEV/job/other/job/x/'), 'other/x'),
    ).toBe(false);
    expect(isQueueItemOf(item('http://j/job/DEV/job/x/'), 'DEV/y')).toBe(false);
    expect(isQueueItemOf(item('http://j/job/DEV/job/x%20y/'), 'DEV/x y')).toBe(
      true,
    );
    expect(isQueueItemOf({ id: 1 } as any, 'DEV/x')).toBe(false);
  });

  it('lists a folder with one tree= request and basic auth', async () => {
    handler = (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ jobs: [{ name: 'a', jobs: [{ name: 'b' }] }] }));
    };
    const listing = await client().listFolder('DEV');
    expect(listing.jobs?.[0].name).toBe('a');
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    const url = new URL(req.url, server.url);
    expect(url.pathname).toBe('/job/DEV/api/json');
    expect(url.searchParams.get('tree')).toContain('lastBuild[number');
    expect(url.searchParams.get('depth')).toBeNull();
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
    );
  });

  it('pages builds with an allBuilds range', async () => {
    handler = (_req, res) => {
      res.end(JSON.stringify({ allBuilds: [] }));
    };
    await client().listBuilds('DEV/x', 100, 21);
    const tree = new URL(server.requests[0].url, server.url).searchParams.get(
      'tree',
    );
    expect(tree).toMatch(/allBuilds\[.*\]\{100,121\}$/);
  });

  it('retries reads after a 5xx, then succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls < 3) {
        res.statusCode = 502;
        res.end('bad gateway');
      } else {
        res.end(JSON.stringify({ number: 5 }));
      }
    };
    await expect(client().getBuild('DEV/x', 5)).resolves.toEqual({ number: 5 });
    expect(calls).toBe(3);
  });

  it('does not retry a 404 and maps it to NotFoundError', async () => {
    handler = (_req, res) => {
      res.statusCode = 404;
      res.end('<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>');
    };
    await expect(client().getBuild('DEV/x', 5)).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringContaining(
        "Jenkins 'sandbox' has no build 'DEV/x' #5",
      ),
    });
    expect(server.requests).toHaveLength(1);
  });

  it("never passes Jenkins' 401 through as ours, and never leaks the token", async () => {
    handler = (_req, res) => {
      res.statusCode = 401;
      res.end('Invalid password/token for user: admin');
    };
    const error = await client()
      .listFolder('DEV')
      .catch(e => e);
    expect(error.statusCode).toBe(502);
    expect(error.message).toContain("Jenkins 'sandbox'");
    expect(error.message).toContain('apiToken');
    expect(error.message).not.toContain(TOKEN);
    expect(server.requests).toHaveLength(1);
  });

  it('maps an unreachable Jenkins to 503 naming the instance and URL', async () => {
    const down = client({ baseUrl: 'http://127.0.0.1:1' });
    const error = await down.listFolder('DEV').catch(e => e);
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toMatch(
      /^Jenkins 'sandbox' at http:\/\/127\.0\.0\.1:1 is unreachable .*ECONNREFUSED/,
    );
  });

  it('times out slow answers', async () => {
    handler = () => {
      // never answers
    };
    const error = await client({ timeoutMs: 100 })
      .getQueueItem(1)
      .catch(e => e);
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toContain('no answer within 100 ms');
  });

  it('triggers buildWithParameters once, returning the queue item id', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { Location: `${server.url}/queue/item/77/` });
      res.end();
    };
    const id = await client().triggerBuild('DEV/p/migrate', {
      DRY_RUN: 'true',
      A: 'x y',
    });
    expect(id).toBe(77);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/job/DEV/job/p/job/migrate/buildWithParameters',
      body: 'DRY_RUN=true&A=x+y',
    });
  });

  it('never retries a POST that failed with 5xx', async () => {
    handler = (_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    };
    await expect(client().triggerBuild('DEV/x', null)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].url).toBe('/job/DEV/job/x/build');
  });

  it('fetches a crumb (with its session cookie) only when Jenkins asks, then retries once', async () => {
    handler = (req, res) => {
      if (req.url === '/crumbIssuer/api/json') {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Set-Cookie': 'JSESSIONID.abc=node0xyz; Path=/; HttpOnly',
        });
        res.end(
          JSON.stringify({ crumb: 'c123', crumbRequestField: 'Jenkins-Crumb' }),
        );
        return;
      }
      if (
        req.headers['jenkins-crumb'] === 'c123' &&
        req.headers.cookie === 'JSESSIONID.abc=node0xyz'
      ) {
        res.writeHead(201, { Location: `${server.url}/queue/item/9/` });
        res.end();
        return;
      }
      res.statusCode = 403;
      res.end(
        '<html><body><h2>HTTP ERROR 403 No valid crumb was included in the request</h2></body></html>',
      );
    };
    await expect(client().triggerBuild('DEV/x', null)).resolves.toBe(9);
    expect(server.requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'POST /job/DEV/job/x/build',
      'GET /crumbIssuer/api/json',
      'POST /job/DEV/job/x/build',
    ]);
  });

  it('reports a refused POST with Jenkins’ reason instead of succeeding', async () => {
    handler = (_req, res) => {
      res.statusCode = 409;
      res.end('<html><body><p>DEV/x is not buildable</p></body></html>');
    };
    await expect(client().triggerBuild('DEV/x', null)).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('DEV/x is not buildable'),
    });
  });

  it('does not fetch a crumb when crumbs are disabled', async () => {
    handler = (_req, res) => {
      res.statusCode = 403;
      res.end('No valid crumb was included in the request');
    };
    const error = await client({ crumb: false })
      .triggerBuild('DEV/x', null)
      .catch(e => e);
    expect(error.statusCode).toBe(502);
    expect(server.requests).toHaveLength(1);
  });
});
