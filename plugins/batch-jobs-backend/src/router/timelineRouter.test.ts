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

const JANE = mockCredentials.user.header('user:default/jane');
const DAILY = 'DEV/payments-settlement/daily-settlement-report';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-settlement',
    namespace: 'default',
    annotations: { 'batch-jobs.io/jobs': 'payments-settlement' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

describe('schedules over HTTP', () => {
  let jenkins: Awaited<ReturnType<typeof startMiniJenkins>>;
  let server: any;

  beforeAll(async () => {
    jenkins = await startMiniJenkins();
    const started = await startTestBackend({
      features: [
        batchJobsPlugin,
        mockServices.rootConfig.factory({
          data: {
            batchJobs: {
              jenkins: [
                {
                  name: 'paris',
                  baseUrl: jenkins.url,
                  username: 'admin',
                  apiToken: 'sandbox-token',
                  timeoutMs: 2000,
                  readRetries: 0,
                  timezone: 'Europe/Paris',
                },
              ],
              vpcs: [{ name: 'DEV', jenkins: 'paris', folder: 'DEV' }],
              // Nothing cached: each test changes the mini Jenkins.
              cache: {
                ttlSeconds: 0,
                scheduleTtlSeconds: 0,
                // Complete answers: each test reads the schedule from the first one.
                extrasWaitMs: 60_000,
              },
              ownership: [
                {
                  entity: 'component:default/payments-settlement',
                  jobs: ['payments-settlement'],
                },
              ],
            },
          },
        }),
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
      ],
    });
    server = started.server;
  });
  afterAll(() => jenkins.close());
  beforeEach(() => {
    jenkins.state.dailySpec = 'H 2 * * *';
    jenkins.state.dailyLabel = 'DEV-batch-agent';
  });

  const timeline = (query: Record<string, string>) =>
    request(server)
      .get('/api/batch-jobs/vpcs/DEV/timeline')
      .query(query)
      .set('Authorization', JANE);

  const jobs = async () => {
    const res = await request(server)
      .get('/api/batch-jobs/entity/default/component/payments-settlement/jobs')
      .set('Authorization', JANE);
    expect(res.status).toBe(200);
    return Object.fromEntries(
      res.body.vpcs[0].jobs.map((j: any) => [j.fullName, j]),
    );
  };

  it("gives each job its schedule in the controller's time zone and its stats", async () => {
    const byName = await jobs();
    const daily = byName[DAILY].schedule;
    // H 2 * * * is 02:59 for this job, Paris time (UTC+1 in winter).
    expect(daily).toMatchObject({
      spec: 'H 2 * * *',
      timezone: 'Europe/Paris',
      description: 'daily at 02:59',
    });
    expect(daily.nextRuns).toHaveLength(5);
    const parisClock = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(
      daily.nextRuns.map((run: string) => parisClock.format(new Date(run))),
    ).toEqual(['02:59', '02:59', '02:59', '02:59', '02:59']);
    expect(Date.parse(daily.nextRuns[0])).toBeGreaterThan(Date.now());
    const migrate = byName['DEV/payments-settlement/migrate-ledger'];
    expect(migrate.schedule).toEqual({ spec: null });
    // Builds 150..121; every third failed.
    expect(migrate.stats).toMatchObject({
      sampleSize: 30,
      medianDurationMs: 1000,
    });
    expect(migrate.stats.successRate).toBeCloseTo(20 / 30);
    expect(migrate.stats.recentDurationsMs).toHaveLength(30);
  });

  it('shows an invalid spec as an error, not a failure', async () => {
    jenkins.state.dailySpec = 'H 2 * * MON-XYZ';
    const byName = await jobs();
    expect(byName[DAILY].schedule.spec).toBe('H 2 * * MON-XYZ');
    expect(byName[DAILY].schedule.error).toMatch(/^Invalid schedule at line 1/);
    expect(byName[DAILY].schedule.nextRuns).toBeUndefined();
  });

  it('lays out the runs of a range by agent label with its online executors', async () => {
    const res = await timeline({
      from: '2026-11-02T00:00:00Z',
      to: '2026-11-04T00:00:00Z',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      vpc: 'DEV',
      from: '2026-11-02T00:00:00.000Z',
      to: '2026-11-04T00:00:00.000Z',
    });
    expect(res.body.labels).toEqual([
      {
        label: 'DEV-batch-agent',
        // Two online agents of two executors; the offline one does not count.
        executors: 4,
        runs: ['2026-11-02', '2026-11-03'].map(day => ({
          job: 'daily-settlement-report',
          fullName: DAILY,
          start: `${day}T01:59:00.000Z`,
          end: `${day}T02:04:00.000Z`,
          // The job has no builds: no estimate, no median.
          expectedDurationMs: 300_000,
          durationSource: 'default',
        })),
        overlaps: [],
        jobs: [
          {
            name: 'daily-settlement-report',
            fullName: DAILY,
            spec: 'H 2 * * *',
            timezone: 'Europe/Paris',
            description: 'daily at 02:59',
            expectedDurationMs: 300_000,
            durationSource: 'default',
          },
        ],
      },
    ]);
  });

  it('flags every run of a label without online executors', async () => {
    jenkins.state.dailyLabel = 'nowhere';
    const res = await timeline({
      from: '2026-11-02T00:00:00Z',
      to: '2026-11-03T00:00:00Z',
    });
    expect(res.status).toBe(200);
    expect(res.body.labels[0]).toMatchObject({
      label: 'nowhere',
      executors: 0,
      overlaps: [
        {
          start: '2026-11-02T01:59:00.000Z',
          end: '2026-11-02T02:04:00.000Z',
          concurrent: 1,
          executors: 0,
        },
      ],
    });
  });

  it('defaults to the next 24 hours', async () => {
    const before = Date.now();
    const res = await timeline({});
    expect(res.status).toBe(200);
    const from = Date.parse(res.body.from);
    expect(from).toBeGreaterThanOrEqual(before - 1000);
    expect(from).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(res.body.to) - from).toBe(24 * 3_600_000);
  });

  it.each([
    [{ from: 'yesterday' }, /from: must be an ISO-8601 date-time/],
    [
      { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' },
      /'to' \(2026-11-01T00:00:00.000Z\) must be after 'from'/,
    ],
    [
      { from: '2026-11-02T00:00:00Z', to: '2026-11-09T00:00:01Z' },
      /longer than the maximum of 7 days/,
    ],
  ])('refuses a bad range %#', async (query, message) => {
    const res = await timeline(query);
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(message);
  });

  it('refuses an unknown VPC', async () => {
    const res = await request(server)
      .get('/api/batch-jobs/vpcs/QA/timeline')
      .set('Authorization', JANE);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/Unknown VPC 'QA'/);
  });

  it('serves a full week', async () => {
    const res = await timeline({
      from: '2026-11-02T00:00:00Z',
      to: '2026-11-09T00:00:00Z',
    });
    expect(res.status).toBe(200);
    expect(res.body.labels[0].runs).toHaveLength(7);
  });
});
