import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  BatchJobsMissedRunAlert,
  batchJobsAlertChannelsExtensionPoint,
} from '@batch-jobs/plugin-batch-jobs-node';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { nextRunsOf } from '@batch-jobs/plugin-batch-jobs-common';
import { Knex } from 'knex';
import {
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  START,
  api,
  closeSandbox,
  component,
  startSandboxBackend,
  startTestSandbox,
  capturingNotifications,
} from './__testUtils__/integration';

/*
 * Issue 19's acceptance: a 3-hour controller outage in DEV on the sandbox
 * clock, seen by two replicas on one database. Every scheduled run inside
 * it is listed as missed (exactly the minutes Jenkins would have fired),
 * alerted once, caught up (latest per job, one build each with the
 * scheduled time, never more at once than the cap), a catch-up survives a
 * replica stopping in its middle, and a paused job's runs are "paused by".
 */

jest.setTimeout(240_000);

const MIN = 60_000;
const HOUR = 60 * MIN;
const OUTAGE_START = START + 10 * MIN;
const OUTAGE_END = OUTAGE_START + 3 * HOUR;
const RECONCILE = 'DEV/payments-settlement/settlement-reconcile';
const PUSH = 'DEV/push-notifier/push-dispatch';
const PARAM = 'SCHEDULED_TIME';

const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const databases = TestDatabases.create({
  ids: PG ? ['POSTGRES_15'] : ['SQLITE_3'],
});

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const iso = (t: number) => new Date(t).toISOString();

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(250);
  }
}

const REPORT_BUILDER = component('report-builder', {
  'batch-jobs.io/jobs': 'report-builder',
});

describe('missed runs: a 3-hour controller outage in DEV, two replicas', () => {
  let sandbox: Sandbox;
  let knex: Knex;
  const notifications: any[] = [];
  // A module's alert channel, on each replica: gets the same alerts once.
  const channelAlerts: BatchJobsMissedRunAlert[] = [];
  const pagerModule = createBackendModule({
    pluginId: 'batch-jobs',
    moduleId: 'test-pager',
    register(env) {
      env.registerInit({
        deps: { alerts: batchJobsAlertChannelsExtensionPoint },
        async init({ alerts }) {
          alerts.addAlertChannel({
            id: 'pager',
            deliver: async () => undefined,
            deliverMissedRun: async alert => {
              channelAlerts.push(alert);
            },
          });
        },
      });
    },
  });
  const replicas: Array<{ server: any; stop: () => Promise<void> }> = [];

  async function replica() {
    const backend = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER, REPORT_BUILDER],
      batchJobs: {
        cache: { ttlSeconds: 0 },
        ownership: [
          {
            entity: 'component:default/payments-settlement',
            jobs: ['payments-settlement'],
          },
          {
            entity: 'component:default/push-notifier',
            jobs: ['push-notifier'],
          },
          {
            entity: 'component:default/report-builder',
            jobs: ['report-builder'],
          },
        ],
        alerts: { timezone: 'UTC', intervalSeconds: 3600 },
        missedRuns: {
          pollIntervalSeconds: 1,
          graceMinutes: 10,
          lookbackHours: 12,
        },
      },
      features: [
        pagerModule,
        schedulerServiceFactory,
        mockServices.database.factory({ knex }),
        capturingNotifications(notifications),
      ],
    });
    const started = { server: backend.server, stop: () => backend.stop() };
    replicas.push(started);
    return started;
  }

  const jobOf = (fullName: string) => sandbox.world.item(fullName) as any;
  /** What the sandbox's own timers fire for DEV's enabled timer jobs in [from, to). */
  const firesIn = (from: number, to: number) => {
    const out: Array<{ job: string; expected: string }> = [];
    for (const job of sandbox.world.jobs()) {
      if (!job.fullName.startsWith('DEV/') || !job.timerSpec || job.disabled)
        continue;
      for (const run of nextRunsOf(job.timerSpec, {
        jobFullName: job.fullName,
        after: new Date(from - 1),
        count: 500,
        timezone: 'UTC',
      })) {
        if (run.getTime() >= to) break;
        out.push({ job: job.fullName, expected: run.toISOString() });
      }
    }
    return out.sort(
      (a, b) =>
        a.expected.localeCompare(b.expected) || a.job.localeCompare(b.job),
    );
  };
  const catchUpBuilds = (fullName: string) =>
    (jobOf(fullName).builds as any[]).filter(b =>
      (b.params ?? []).some((p: any) => p.name === PARAM && p.value),
    );

  let a: { server: any; stop: () => Promise<void> };
  let b: { server: any; stop: () => Promise<void> };

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    // The jobs a catch-up tells the scheduled time: they declare the parameter.
    for (const name of [RECONCILE, PUSH]) {
      jobOf(name).params.push({
        type: 'string',
        name: PARAM,
        description: 'Scheduled time',
        defaultValue: '',
      });
    }
    knex = await databases.init(PG ? 'POSTGRES_15' : 'SQLITE_3');
    // One after the other: the first creates the tables.
    a = await replica();
    b = await replica();
  });

  afterAll(async () => {
    await Promise.all(replicas.map(r => r.stop().catch(() => undefined)));
    await closeSandbox(sandbox);
  });

  it('lists every run inside the outage as missed, alerts each once, then catches up the latest per job', async () => {
    // The watcher has seen the controller up at the outage's start.
    await sandbox.advance(10 * MIN);
    await until('a probe at the outage start', async () => {
      const row = await knex('jenkins_reachability')
        .where({ jenkins: 'sandbox' })
        .first();
      return (
        row?.last_ok_at && new Date(row.last_ok_at).getTime() >= OUTAGE_START
      );
    });
    await until('the watcher baseline of DEV', async () =>
      knex('alert_baselines').where({ vpc: 'DEV', job: 'missed-runs' }).first(),
    );
    sandbox.world.addOutage(OUTAGE_START, OUTAGE_END);
    await until('the outage recorded', async () =>
      knex('jenkins_outages')
        .where({ jenkins: 'sandbox' })
        .whereNull('until')
        .first(),
    );
    // Unreachable: the report lists the runs since the last answer from the jobs last seen.
    for (let t = 0; t < 3 * HOUR + 20 * MIN; t += 20 * MIN) {
      await sandbox.advance(20 * MIN);
      await sleep(1500);
    }
    await until('the outage closed', async () =>
      knex('jenkins_outages')
        .where({ jenkins: 'sandbox' })
        .whereNotNull('until')
        .first(),
    );

    const expected = firesIn(OUTAGE_START, OUTAGE_END);
    expect(expected.length).toBeGreaterThan(10);
    const report = await api(a.server).get('/vpcs/DEV/missed-runs', {
      from: iso(START),
      to: iso(OUTAGE_END + 20 * MIN),
    });
    expect(report.status).toBe(200);
    const missed = report.body.runs.filter((r: any) => r.state === 'missed');
    expect(
      missed.map((r: any) => ({ job: r.job, expected: r.expected })),
    ).toEqual(expected);
    expect(new Set(missed.map((r: any) => r.reason.kind))).toEqual(
      new Set(['controller-unreachable']),
    );
    expect(report.body.outages).toEqual([
      expect.objectContaining({
        jenkins: 'sandbox',
        until: expect.any(String),
      }),
    ]);

    // Alerts: once per missed run across both replicas, and one recovery note.
    await until('every missed run alerted', async () => {
      const rows = await knex('alert_deliveries').where({
        vpc: 'DEV',
        event: 'missed',
      });
      return rows.length >= expected.length;
    });
    await sleep(2500);
    const rows = await knex('alert_deliveries').where({
      vpc: 'DEV',
      event: 'missed',
    });
    expect(rows.length).toBe(expected.length);
    const devAlerts = notifications.filter(
      n =>
        n.payload.topic === 'batch-jobs.missed-runs' &&
        n.payload.description.startsWith('DEV '),
    );
    expect(devAlerts.length).toBe(expected.length);
    expect(new Set(devAlerts.map(n => n.payload.title)).size).toBe(
      expected.length,
    );
    const paged = channelAlerts.filter(
      row => row.vpc === 'DEV' && row.event === 'missed',
    );
    expect(paged.map(row => row.expected!.toISOString()).sort()).toEqual(
      expected.map(e => e.expected).sort(),
    );
    const recoveries = await knex('alert_deliveries').where({
      vpc: 'DEV',
      event: 'outage-over',
    });
    expect(recoveries.length).toBe(1);
    expect(
      notifications.filter(
        n =>
          n.payload.title.startsWith('Jenkins sandbox is back') &&
          n.payload.title.endsWith(' DEV'),
      ),
    ).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({
          title: `Jenkins sandbox is back: ${expected.length} runs to catch up in DEV`,
        }),
      }),
    ]);

    // Catch-up, latest per job, one at a time.
    const before = {
      reconcile: catchUpBuilds(RECONCILE).length,
      push: catchUpBuilds(PUSH).length,
    };
    const started = await api(a.server).post('/vpcs/DEV/catch-up', {
      choice: 'latest',
      from: iso(START),
      to: iso(OUTAGE_END + 20 * MIN),
      concurrency: 1,
    });
    expect(started.status).toBe(202);
    expect(started.body.concurrency).toBe(1);
    const jobs = [...new Set(expected.map(e => e.job))];
    expect(started.body.runs.map((r: any) => r.job).sort()).toEqual(
      [...jobs].sort(),
    );
    let maxRunning = 0;
    const op = await until(
      'the catch-up to finish',
      async () => {
        const running = [RECONCILE, PUSH]
          .flatMap(catchUpBuilds)
          .filter(build => build.result === null).length;
        const queued = sandbox.world
          .queuedItems()
          .filter(i =>
            (i.params ?? []).some((p: any) => p.name === PARAM && p.value),
          ).length;
        maxRunning = Math.max(maxRunning, running + queued);
        await sandbox.advance(MIN);
        const res = await api(a.server).get(
          `/vpcs/DEV/catch-up/${started.body.id}`,
        );
        return res.body.state === 'succeeded' && res.body;
      },
      90_000,
    );
    expect(maxRunning).toBeLessThanOrEqual(1);
    expect(op.runs.every((r: any) => r.state === 'finished')).toBe(true);
    const latest = (job: string) =>
      expected.filter(e => e.job === job).pop()!.expected;
    for (const [job, count] of [
      [RECONCILE, before.reconcile],
      [PUSH, before.push],
    ] as const) {
      const builds = catchUpBuilds(job).slice(count);
      expect(
        builds.map(
          build => build.params.find((p: any) => p.name === PARAM).value,
        ),
      ).toEqual([latest(job)]);
    }
    // Audited, as the person who asked.
    const audit = await knex('audit_events').where({
      action: 'job.run',
      vpc: 'DEV',
    });
    expect(
      audit.filter((r: any) => String(r.detail).includes(started.body.id))
        .length,
    ).toBe(jobs.length);
  });

  it('finishes a catch-up on the other replica when the one running it stops, without running anything twice', async () => {
    const res = await api(a.server).post('/vpcs/DEV/catch-up', {
      choice: 'none',
      choices: { [RECONCILE]: 'all' },
      from: iso(OUTAGE_START),
      to: iso(OUTAGE_END),
      concurrency: 1,
    });
    expect(res.status).toBe(202);
    const runs: string[] = res.body.runs.map((r: any) => r.expected);
    expect(runs.length).toBeGreaterThanOrEqual(5);
    const before = catchUpBuilds(RECONCILE).length;
    await until(
      'the first run started',
      async () =>
        catchUpBuilds(RECONCILE).length > before ||
        sandbox.world.queuedItems().length > 0,
    );
    await a.stop();
    const op = await until(
      'the other replica to finish it',
      async () => {
        await sandbox.advance(MIN);
        const r = await api(b.server).get(`/vpcs/DEV/catch-up/${res.body.id}`);
        return r.body.state === 'succeeded' && r.body;
      },
      120_000,
    );
    expect(op.runs.every((r: any) => r.state === 'finished')).toBe(true);
    const values = catchUpBuilds(RECONCILE)
      .slice(before)
      .map(build => build.params.find((p: any) => p.name === PARAM).value);
    expect(values).toEqual(runs);
  });

  it("after a crash between marking a run and Jenkins' answer, starts it only when Jenkins does not have it", async () => {
    const valueOf = (build: any) =>
      build.params.find((p: any) => p.name === PARAM).value;
    const had = valueOf(catchUpBuilds(RECONCILE).slice(-1)[0]);
    const lost = '2026-11-02T08:47:00.000Z';
    const count = (value: string) =>
      catchUpBuilds(RECONCILE).filter(x => valueOf(x) === value).length;
    const before = { had: count(had), lost: count(lost) };
    const now = new Date();
    // What a replica killed mid-start leaves: both runs marked, no lease.
    await knex('catch_up_operations').insert({
      id: '6f1c2c1e-0000-4000-8000-000000000001',
      vpc: 'DEV',
      state: 'running',
      requested_by: 'user:default/jane',
      concurrency: 1,
      runs: JSON.stringify([
        { job: RECONCILE, expected: had, state: 'pending', phase: 'starting' },
        { job: RECONCILE, expected: lost, state: 'pending', phase: 'starting' },
      ]),
      active_vpc: 'DEV',
      created_at: now,
      updated_at: now,
    });
    const op = await until(
      'the other replica to take it over',
      async () => {
        await sandbox.advance(MIN);
        const r = await api(b.server).get(
          '/vpcs/DEV/catch-up/6f1c2c1e-0000-4000-8000-000000000001',
        );
        return r.body.state === 'succeeded' && r.body;
      },
      60_000,
    );
    expect(op.runs.map((r: any) => r.state)).toEqual(['finished', 'finished']);
    expect(count(had)).toBe(before.had);
    expect(count(lost)).toBe(before.lost + 1);
  });

  it('shows the runs of a job a person paused as "paused by", not as missed alarms', async () => {
    const pause = await api(b.server).post('/jobs/disable', {
      vpc: 'DEV',
      job: PUSH,
      reason: 'bank holiday',
    });
    expect(pause.status).toBe(200);
    const pausedAt = sandbox.world.now();
    await sandbox.advance(HOUR);
    await sleep(2500);
    const report = await api(b.server).get('/vpcs/DEV/missed-runs', {
      job: PUSH,
      from: iso(pausedAt),
    });
    expect(report.status).toBe(200);
    expect(report.body.runs.length).toBeGreaterThanOrEqual(3);
    for (const run of report.body.runs) {
      expect(run).toEqual(
        expect.objectContaining({
          state: 'skipped',
          reason: {
            kind: 'paused',
            by: 'user:default/jane',
            reason: 'bank holiday',
          },
        }),
      );
    }
    const alarms = await knex('alert_deliveries')
      .where({ vpc: 'DEV', event: 'missed', job: PUSH })
      .andWhere('build_number', '>', Math.floor(pausedAt / MIN));
    expect(alarms).toEqual([]);
  });

  it("runs one missed run at a click with its scheduled time, audited, and lists an entity's jobs only", async () => {
    const report = await api(b.server).get('/vpcs/DEV/missed-runs', {
      entityRef: 'component:default/payments-settlement',
      from: iso(START),
      to: iso(OUTAGE_END),
    });
    expect(report.status).toBe(200);
    expect(report.body.runs.length).toBeGreaterThan(0);
    expect(
      report.body.runs.every((r: any) =>
        r.job.startsWith('DEV/payments-settlement/'),
      ),
    ).toBe(true);
    const first = report.body.runs.find(
      (r: any) => r.job === RECONCILE && r.state === 'missed',
    );
    const before = catchUpBuilds(RECONCILE).length;
    const run = await api(b.server).post(
      '/missed-runs/run',
      { vpc: 'DEV', job: RECONCILE, expected: first.expected },
      'catch-up-one-1',
    );
    expect(run.status).toBe(202);
    expect(run.body).toEqual(
      expect.objectContaining({
        state: 'queued',
        queueItemId: expect.any(Number),
      }),
    );
    await sandbox.advance(MIN);
    const builds = catchUpBuilds(RECONCILE).slice(before);
    expect(
      builds.map(x => x.params.find((p: any) => p.name === PARAM).value),
    ).toEqual([first.expected]);
    const audit = await knex('audit_events')
      .where({ id: run.body.auditId })
      .first();
    expect(audit).toEqual(
      expect.objectContaining({
        action: 'job.run',
        actor: 'user:default/jane',
      }),
    );
  });

  it('calls a timer run waiting for an executor late, for want of one with its label', async () => {
    const REPORT = 'DEV/report-builder/daily-report';
    const spec = jobOf(REPORT).timerSpec;
    const [next] = nextRunsOf(spec, {
      jobFullName: REPORT,
      after: new Date(sandbox.world.now()),
      count: 1,
      timezone: 'UTC',
    });
    sandbox.world.withholdLabel('DEV-batch-agent', true);
    try {
      await sandbox.advance(next.getTime() + 15 * MIN - sandbox.world.now());
      const report = await api(b.server).get('/vpcs/DEV/missed-runs', {
        job: REPORT,
        from: iso(next.getTime() - MIN),
      });
      expect(report.status).toBe(200);
      expect(report.body.runs).toEqual([
        expect.objectContaining({
          job: REPORT,
          expected: next.toISOString(),
          state: 'late',
          lateByMs: 15 * MIN,
          reason: {
            kind: 'no-executor',
            why: 'There are no nodes with the label \u2018DEV-batch-agent\u2019',
          },
        }),
      ]);
    } finally {
      sandbox.world.withholdLabel('DEV-batch-agent', false);
    }
  });

  it('answers a bad catch-up request with a 400 that says what is wrong', async () => {
    const bad = await api(b.server).post('/vpcs/DEV/catch-up', {
      choice: 'some',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/choice/);
    const range = await api(b.server).get('/vpcs/DEV/missed-runs', {
      from: iso(START),
      to: iso(START - HOUR),
    });
    expect(range.status).toBe(400);
  });
});

describe('missed runs: a controller back before the watcher noticed', () => {
  it("shows an outage the watcher has not closed yet as over once the report's own call is answered", async () => {
    const sandbox = await startTestSandbox();
    const knex = await databases.init(PG ? 'POSTGRES_15' : 'SQLITE_3');
    const backend = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      batchJobs: {
        cache: { ttlSeconds: 0 },
        // One probe soon after the start, the next an hour later.
        missedRuns: { pollIntervalSeconds: 3600, lookbackHours: 12 },
      },
      features: [
        schedulerServiceFactory,
        mockServices.database.factory({ knex }),
      ],
    });
    try {
      await until('the first probe', async () =>
        knex('jenkins_reachability')
          .where({ jenkins: 'sandbox' })
          .whereNotNull('last_ok_at')
          .first(),
      );
      // A probe found the controller down; it is back, and no probe has seen it yet.
      await knex('jenkins_outages').insert({
        jenkins: 'sandbox',
        since: new Date(START - 5 * MIN),
        until: null,
        error: 'connect ECONNREFUSED',
        open_jenkins: 'sandbox',
      });
      const report = await api(backend.server).get('/vpcs/DEV/missed-runs');
      expect(report.status).toBe(200);
      expect(report.body.outages).toEqual([
        {
          jenkins: 'sandbox',
          since: iso(START - 5 * MIN),
          until: report.body.now,
        },
      ]);
    } finally {
      await backend.stop();
      await closeSandbox(sandbox);
    }
  });
});
