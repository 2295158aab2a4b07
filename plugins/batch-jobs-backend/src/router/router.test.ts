import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { batchJobsPlugin } from '../plugin';
import { startMiniJenkins } from '../testing/miniJenkins';

jest.setTimeout(60_000);

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-settlement',
    namespace: 'default',
    annotations: {
      'batch-jobs.io/jobs': 'payments-settlement, payments-settlement/nope',
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

const JANE = mockCredentials.user.header('user:default/jane');
const JOB = 'DEV/payments-settlement/migrate-ledger';

function configFor(baseUrl: string) {
  return {
    batchJobs: {
      jenkins: [
        {
          name: 'sandbox',
          baseUrl,
          username: 'admin',
          apiToken: 'sandbox-token',
          timeoutMs: 2000,
          readRetries: 1,
        },
      ],
      vpcs: [
        { name: 'DEV', jenkins: 'sandbox', folder: 'DEV' },
        { name: 'STG', jenkins: 'sandbox', folder: 'STG' },
      ],
      // Complete answers: these tests read schedules and stats from the first one.
      cache: { ttlSeconds: 0, extrasWaitMs: 60_000 },
      ownership: [
        {
          entity: 'component:default/payments-settlement',
          jobs: ['payments-settlement'],
        },
      ],
    },
  };
}

async function start(
  baseUrl: string,
  result: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
  ttlSeconds = 0,
) {
  const data = configFor(baseUrl);
  data.batchJobs.cache.ttlSeconds = ttlSeconds;
  const { server } = await startTestBackend({
    features: [
      batchJobsPlugin,
      mockServices.rootConfig.factory({ data }),
      catalogServiceMock.factory({ entities: [entity] }),
      mockServices.permissions.factory({ result }),
    ],
  });
  return server;
}

describe('batch-jobs router', () => {
  let jenkins: Awaited<ReturnType<typeof startMiniJenkins>>;
  let server: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    jenkins = await startMiniJenkins();
    server = await start(jenkins.url);
  });
  afterAll(async () => {
    await jenkins.close();
  });
  beforeEach(() => {
    jenkins.state.brokenFolders.clear();
    jenkins.state.refuseBuilds = false;
  });

  it('answers health', async () => {
    const res = await request(server).get('/api/batch-jobs/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it("lists an entity's jobs per VPC; a broken VPC and a missing job show their own errors", async () => {
    jenkins.state.brokenFolders.add('STG');
    const res = await request(server)
      .get('/api/batch-jobs/entity/default/component/payments-settlement/jobs')
      .set('Authorization', JANE);
    expect(res.status).toBe(200);
    expect(res.body.entityRef).toBe('component:default/payments-settlement');
    const [dev, stg] = res.body.vpcs;
    expect(stg).toMatchObject({ vpc: 'STG', jenkins: 'sandbox', jobs: [] });
    expect(stg.error).toMatch(
      /Jenkins 'sandbox' at http:\/\/127\.0\.0\.1:\d+ failed .*HTTP 500/,
    );

    expect(dev.error).toBeUndefined();
    const byName = Object.fromEntries(
      dev.jobs.map((j: any) => [j.fullName.split('/').pop(), j]),
    );
    expect(byName.nope.error).toMatch(
      /'payments-settlement\/nope' selects no job bound to component:default\/payments-settlement in VPC 'DEV'/,
    );
    expect(byName['daily-settlement-report']).toMatchObject({
      fullName: 'DEV/payments-settlement/daily-settlement-report',
      kind: 'freestyle',
      schedule: { spec: 'H 2 * * *' },
      lastBuild: null,
      parameterized: false,
    });
    expect(byName['migrate-ledger']).toMatchObject({
      fullName: JOB,
      kind: 'pipeline',
      color: 'red',
      parameterized: true,
      schedule: { spec: null },
      lastBuild: {
        number: 150,
        status: 'failure',
        result: 'FAILURE',
        startedAt: new Date(Date.UTC(2026, 10, 1) + 150 * 60_000).toISOString(),
        causes: [{ kind: 'user', userId: 'jane.doe' }],
      },
    });
    expect(byName['migrate-ledger'].lastBuild.parameters).toContainEqual({
      name: 'DB_PASSWORD',
      value: null,
      secret: true,
    });
  });

  it('coalesces concurrent identical reads and caches them briefly', async () => {
    const cached = await start(jenkins.url, AuthorizeResult.ALLOW, 10);
    const count = () =>
      jenkins.requests.filter(r =>
        r.url.startsWith('/job/DEV/job/payments-settlement/api/json'),
      ).length;
    const before = count();
    const get = () =>
      request(cached)
        .get(
          '/api/batch-jobs/entity/default/component/payments-settlement/jobs',
        )
        .set('Authorization', JANE);
    const answers = await Promise.all(Array.from({ length: 8 }, get));
    expect(answers.every(a => a.status === 200)).toBe(true);
    expect((await get()).status).toBe(200);
    // The list, and the recent builds behind the stats column: once each.
    expect(count() - before).toBe(2);
  });

  it('answers 404 for an entity the caller cannot see', async () => {
    const res = await request(server)
      .get('/api/batch-jobs/entity/default/component/unknown/jobs')
      .set('Authorization', JANE);
    expect(res.status).toBe(404);
  });

  it('pages builds past the newest 100', async () => {
    const first = await request(server)
      .get('/api/batch-jobs/builds')
      .query({ vpc: 'DEV', job: JOB, limit: 100 })
      .set('Authorization', JANE);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(100);
    expect(first.body.items[0].number).toBe(150);
    expect(first.body.nextCursor).toBeTruthy();

    const second = await request(server)
      .get('/api/batch-jobs/builds')
      .query({
        vpc: 'DEV',
        job: JOB,
        limit: 100,
        cursor: first.body.nextCursor,
      })
      .set('Authorization', JANE);
    expect(second.status).toBe(200);
    expect(second.body.items.map((b: any) => b.number)).toEqual(
      Array.from({ length: 50 }, (_, i) => 50 - i),
    );
    expect(second.body.nextCursor).toBeUndefined();
    expect(second.body.items[0].status).toBe('success');
    expect(second.body.items.find((b: any) => b.number === 48).status).toBe(
      'failure',
    );
  });

  it('streams a log from an offset with Jenkins’ headers', async () => {
    const res = await request(server)
      .get('/api/batch-jobs/builds/log')
      .query({ vpc: 'DEV', job: JOB, number: 150, start: 21 })
      .set('Authorization', JANE);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['x-text-size']).toBe('46');
    expect(res.headers['access-control-expose-headers']).toContain(
      'X-More-Data',
    );
    expect(res.text).toBe('line 2\nFinished: FAILURE\n');
  });

  it.each([
    [{ vpc: 'PROD', job: 'PROD/x' }, /Unknown VPC 'PROD'/],
    [{ vpc: 'DEV', job: 'DEV/../STG/x' }, /not allowed/],
    [
      { vpc: 'DEV', job: 'STG/payments-settlement/migrate-ledger' },
      /not in VPC 'DEV'/,
    ],
    [
      { vpc: 'DEV', job: JOB, limit: 'lots' },
      /limit: must be a positive integer/,
    ],
    [{ vpc: 'DEV', job: JOB, cursor: 'garbage' }, /Invalid cursor/],
    [{ job: JOB }, /vpc/],
  ])('rejects builds query %o with 400', async (query, message) => {
    const res = await request(server)
      .get('/api/batch-jobs/builds')
      .query(query)
      .set('Authorization', JANE);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('reruns with the same parameters, audited, and links the resulting build', async () => {
    const before = jenkins.state.triggered.length;
    const res = await request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .send({ vpc: 'DEV', job: JOB, number: 48 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ vpc: 'DEV', job: JOB, state: 'queued' });
    const { queueItemId, auditId } = res.body;
    expect(jenkins.state.triggered).toHaveLength(before + 1);
    const sent = new URLSearchParams(jenkins.state.triggered[before].body);
    expect(Object.fromEntries(sent)).toEqual({
      MIGRATION_DATE: '2026-10-21',
      DRY_RUN: 'false',
    });

    const queue = await request(server)
      .get('/api/batch-jobs/queue')
      .query({ vpc: 'DEV', id: queueItemId })
      .set('Authorization', JANE);
    expect(queue.status).toBe(200);
    expect(queue.body).toMatchObject({
      state: 'started',
      build: { number: 151 },
    });

    const audit = await request(server)
      .get('/api/batch-jobs/audit')
      .query({ entityRef: 'component:default/payments-settlement' })
      .set('Authorization', JANE);
    expect(audit.status).toBe(200);
    const event = audit.body.items.find((e: any) => e.id === auditId);
    expect(event).toMatchObject({
      actor: 'user:default/jane',
      action: 'build.rerun',
      entityRef: 'component:default/payments-settlement',
      target: `${JOB}#48`,
      outcome: 'succeeded',
      parameters: {
        MIGRATION_DATE: '2026-10-21',
        DRY_RUN: false,
        DB_PASSWORD: null,
      },
      detail: { queueItemId, buildNumber: 151 },
    });
    expect(event.finishedAt).toBeTruthy();
  });

  it('honours Idempotency-Key: a repeat starts nothing, a different body conflicts', async () => {
    const send = (number: number) =>
      request(server)
        .post('/api/batch-jobs/builds/rerun')
        .set('Authorization', JANE)
        .set('Idempotency-Key', 'click-1')
        .send({ vpc: 'DEV', job: JOB, number });
    const before = jenkins.state.triggered.length;
    const first = await send(42);
    const again = await send(42);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(jenkins.state.triggered).toHaveLength(before + 1);

    const other = await send(43);
    expect(other.status).toBe(409);
    expect(jenkins.state.triggered).toHaveLength(before + 1);
  });

  it('reports Jenkins refusing as an error with its reason, and audits the failure', async () => {
    jenkins.state.refuseBuilds = true;
    const res = await request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .send({ vpc: 'DEV', job: JOB, number: 45 });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('is disabled');

    const audit = await request(server)
      .get('/api/batch-jobs/audit')
      .query({ vpc: 'DEV', job: JOB, limit: 1 })
      .set('Authorization', JANE);
    expect(audit.body.items[0]).toMatchObject({
      target: `${JOB}#45`,
      outcome: 'failed',
      detail: { error: expect.stringContaining('is disabled') },
    });
  });

  it('rejects a malformed rerun body with 400', async () => {
    const res = await request(server)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .send({ vpc: 'DEV', job: JOB, number: 'one' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/number/);
  });

  it('forbids a rerun the policy denies, and starts nothing', async () => {
    const denied = await start(jenkins.url, AuthorizeResult.DENY);
    const before = jenkins.state.triggered.length;
    const res = await request(denied)
      .post('/api/batch-jobs/builds/rerun')
      .set('Authorization', JANE)
      .send({ vpc: 'DEV', job: JOB, number: 48 });
    expect(res.status).toBe(403);
    expect(res.body.error.name).toBe('NotAllowedError');
    expect(jenkins.state.triggered).toHaveLength(before);
  });

  it('answers 503 naming the instance when Jenkins is down', async () => {
    const down = await start('http://127.0.0.1:1');
    const res = await request(down)
      .get('/api/batch-jobs/builds')
      .query({ vpc: 'DEV', job: JOB })
      .set('Authorization', JANE);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      /^Jenkins 'sandbox' at http:\/\/127\.0\.0\.1:1 is unreachable/,
    );
  });
});
