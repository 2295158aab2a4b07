import {
  MockFetchApi,
  mockApis,
  registerMswTestHooks,
} from '@backstage/test-utils';
import { rest } from 'msw';
import { setupServer } from 'msw/node';
import { BatchJobConfigClient } from './BatchJobConfigClient';

const server = setupServer();
registerMswTestHooks(server);

const base = 'http://example.com/api/batch-jobs';
const JOB = 'PROD/payments-settlement/nightly import';

function createClient() {
  return new BatchJobConfigClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://example.com' }),
    fetchApi: new MockFetchApi({ injectIdentityAuth: { token: 'user-token' } }),
  });
}

describe('BatchJobConfigClient config history', () => {
  it('lists a job’s versions with the job in the query, and reads one by id', async () => {
    const seen: string[] = [];
    server.use(
      rest.get(`${base}/jobs/history`, (req, res, ctx) => {
        seen.push(req.url.search);
        return res(
          ctx.json({
            vpc: req.url.searchParams.get('vpc'),
            job: req.url.searchParams.get('job'),
            items: [],
            keep: 50,
          }),
        );
      }),
      rest.get(`${base}/jobs/history/:id`, (req, res, ctx) => {
        seen.push(req.url.pathname);
        return res(ctx.json({ configXml: '<x/>', diff: '', jobExists: true }));
      }),
    );
    const client = createClient();
    expect(await client.getConfigHistory({ vpc: 'PROD', job: JOB })).toEqual({
      vpc: 'PROD',
      job: JOB,
      items: [],
      keep: 50,
    });
    expect((await client.getConfigVersion('a/b')).configXml).toBe('<x/>');
    expect(seen).toEqual([
      '?vpc=PROD&job=PROD%2Fpayments-settlement%2Fnightly+import',
      '/api/batch-jobs/jobs/history/a%2Fb',
    ]);
  });

  it('posts a restore with the user token, answers a held one as is, and throws the backend’s error', async () => {
    let body: unknown;
    let auth: string | null = null;
    server.use(
      rest.post(`${base}/jobs/restore`, async (req, res, ctx) => {
        body = await req.json();
        auth = req.headers.get('authorization');
        return res(
          ctx.status(202),
          ctx.json({
            approvalRequired: true,
            requestId: 'r1',
            approval: { id: 'r1', status: 'pending', expiresAt: 'soon' },
          }),
        );
      }),
    );
    const request = { vpc: 'PROD', job: JOB, versionId: 'v1' };
    expect(await createClient().restoreConfig(request)).toMatchObject({
      approvalRequired: true,
      requestId: 'r1',
    });
    expect(body).toEqual(request);
    expect(auth).toBe('Bearer user-token');

    server.use(
      rest.post(`${base}/jobs/restore`, (_req, res, ctx) =>
        res(
          ctx.status(403),
          ctx.json({
            error: {
              name: 'NotAllowedError',
              message:
                "You are not allowed to restore job configurations in VPC 'PROD'",
            },
            // What the backend's error handler sends.
            response: { statusCode: 403 },
          }),
        ),
      ),
    );
    await expect(createClient().restoreConfig(request)).rejects.toMatchObject({
      name: 'ResponseError',
      body: {
        error: {
          message:
            "You are not allowed to restore job configurations in VPC 'PROD'",
        },
      },
    });
  });
});
