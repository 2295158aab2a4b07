import { entityJobsChannel } from '@batch-jobs/plugin-batch-jobs-common';
import {
  api,
  closeSandbox,
  PAYMENTS_SETTLEMENT,
  Sandbox,
  startSandboxBackend,
  startTestSandbox,
  capturingSignals,
} from './__testUtils__/integration';
import { JobsView } from './services/jobs/JobsView';

/*
 * Job lists are read from Jenkins by one poller per named item while tabs
 * look at them, whatever the number of tabs: a few bytes per job each
 * interval, the whole listing only when it changed, and a signal to the
 * users watching the entity.
 */

const ENTITY = 'component:default/payments-settlement';
const JOBS_PATH = '/entity/default/component/payments-settlement/jobs';
const JOB = 'DEV/payments-settlement/daily-settlement-report';
const INTERVAL_MS = 150;

const tree = (path: string) =>
  decodeURIComponent(new URL(path, 'http://x').searchParams.get('tree') ?? '');
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * The entity's jobs as a tab sees them once the backend signalled it and the
 * parts loading in `jobs` arrived (or after 5 s, for the caller to assert).
 */
async function jobsOnceSignalled(
  backend: any,
  signals: unknown[],
  jobs: any[],
): Promise<any[]> {
  let shown = jobs;
  for (let i = 0; i < 100 && shown.some((j: any) => j.loading); i++) {
    await sleep(50);
    if (signals.length === 0) continue;
    shown = (await api(backend).get(JOBS_PATH)).body.vpcs.flatMap(
      (v: any) => v.jobs,
    );
  }
  return shown;
}

/** A backend that never waits for schedules (the default), its signals captured. */
async function startNoWaitBackend(
  sandbox: Sandbox,
  signals: Array<{ channel: string }>,
) {
  const { server } = await startSandboxBackend(sandbox, {
    entities: [PAYMENTS_SETTLEMENT],
    batchJobs: {
      cache: { ttlSeconds: 10, watchIntervalSeconds: 60, extrasWaitMs: 0 },
    },
    features: [capturingSignals(signals)],
  });
  return server;
}

/**
 * Waits until `state()` has not changed for `quietPolls` polls of 50 ms in
 * a row (reads and signals landing in batches), at most `maxPolls` polls.
 */
async function untilSteady(
  state: () => string,
  maxPolls: number,
  quietPolls: number,
) {
  let quiet = 0;
  let seen = '';
  for (let i = 0; i < maxPolls && quiet < quietPolls; i++) {
    await sleep(50);
    const now = state();
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
  }
}

describe('job lists watched by one poller per item', () => {
  let sandbox: Sandbox;
  const published: Array<{ recipients: any; channel: string }> = [];
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      batchJobs: {
        cache: {
          ttlSeconds: 10,
          watchIntervalSeconds: INTERVAL_MS / 1000,
          extrasWaitMs: 60_000,
        },
      },
      features: [capturingSignals(published)],
    }));
  });
  afterAll(() => closeSandbox(sandbox));

  /** Jenkins reads since `mark`, by kind. */
  const readsSince = (mark: number) => {
    const reads = sandbox.requests
      .slice(mark)
      .filter(r => r.method === 'GET' && /\/api\/json/.test(r.path));
    return {
      all: reads.map(r => r.path.split('?')[0]),
      listings: reads.filter(r => tree(r.path).includes('parameterDefinitions'))
        .length,
      probes: reads
        .filter(
          r =>
            tree(r.path).startsWith('name,color,buildable') &&
            !tree(r.path).includes('parameterDefinitions'),
        )
        .map(r => r.path.split('?')[0]),
    };
  };

  it('reads only the items the entity names, and ten tabs cost what one costs', async () => {
    const mark = sandbox.requests.length;
    const first = await api(server).get(JOBS_PATH);
    expect(first.status).toBe(200);
    const jobs = first.body.vpcs.flatMap((v: any) => v.jobs);
    expect(jobs.length).toBeGreaterThan(3);
    expect(jobs.every((j: any) => !j.error && !j.loading)).toBe(true);
    expect(jobs.some((j: any) => j.schedule.spec)).toBe(true);
    expect(jobs.some((j: any) => j.stats?.sampleSize > 0)).toBe(true);
    // The three items the annotation names; never a whole VPC folder.
    const paths = new Set(readsSince(mark).all);
    expect(paths).toEqual(
      new Set([
        '/job/DEV/job/payments-settlement/api/json',
        '/job/STG/job/payments-settlement/api/json',
        '/job/PROD/job/payments-settlement/api/json',
      ]),
    );

    // Ten tabs over several intervals: probes only, no listing read again.
    const watching = sandbox.requests.length;
    const tenTabs = () =>
      Promise.all(Array.from({ length: 10 }, () => api(server).get(JOBS_PATH)));
    for (let round = 0; round < 4; round++) {
      const answers = await tenTabs();
      expect(answers.every(a => a.status === 200)).toBe(true);
      await sleep(INTERVAL_MS);
    }
    const idle = readsSince(watching);
    expect(idle.listings).toBe(0);
    // One probe per item per interval (about 4 in the window), not per tab.
    const perItem = new Map<string, number>();
    for (const path of idle.probes)
      perItem.set(path, (perItem.get(path) ?? 0) + 1);
    expect(perItem.size).toBe(3);
    for (const count of perItem.values()) {
      expect(count).toBeGreaterThanOrEqual(2);
      expect(count).toBeLessThanOrEqual(7);
    }
  });

  it("ten tabs' missed-runs polls share the controller's clock and queue within the cache interval", async () => {
    const poll = () =>
      api(server).get('/vpcs/DEV/missed-runs', { entityRef: ENTITY });
    const first = await poll();
    expect(first.status).toBe(200);
    const mark = sandbox.requests.length;
    const answers = await Promise.all(Array.from({ length: 10 }, poll));
    expect(answers.every(a => a.status === 200)).toBe(true);
    // Each answer still has the controller's time (the cached offset plus
    // our clock), not the time of the first poll frozen.
    for (const a of answers) {
      expect(Date.parse(a.body.now)).toBeGreaterThanOrEqual(
        Date.parse(first.body.now),
      );
    }
    const paths = sandbox.requests.slice(mark).map(r => r.path.split('?')[0]);
    expect(paths.filter(p => p === '/api/json')).toEqual([]);
    expect(paths.filter(p => p === '/queue/api/json')).toEqual([]);
  });

  it('notices a build in Jenkins within an interval and signals the users watching the entity', async () => {
    await api(server).get(JOBS_PATH);
    published.length = 0;
    const job = sandbox.world.item(JOB) as any;
    const before = job.builds[job.builds.length - 1].number;
    // Someone starts the job in Jenkins itself, not through the portal.
    sandbox.world.schedule(
      job,
      [{ kind: 'user', userId: 'bob', userName: 'Bob' }],
      null,
      0,
    );
    await sandbox.advance(10_000);
    expect(job.builds[job.builds.length - 1].number).toBe(before + 1);

    const mark = sandbox.requests.length;
    for (let i = 0; i < 40 && published.length === 0; i++) await sleep(50);
    expect(published).toContainEqual(
      expect.objectContaining({
        channel: entityJobsChannel(ENTITY),
        recipients: { type: 'user', entityRef: ['user:default/jane'] },
      }),
    );
    // The poller read DEV's listing again (once); the next view shows the build without a read.
    expect(readsSince(mark).listings).toBeLessThanOrEqual(1);
    const after = sandbox.requests.length;
    const view = await api(server).get(JOBS_PATH);
    const shown = view.body.vpcs
      .find((v: any) => v.vpc === 'DEV')
      .jobs.find((j: any) => j.fullName === JOB);
    expect(shown.lastBuild.number).toBe(before + 1);
    expect(readsSince(after).listings).toBe(0);
  });

  it('does not hold a list back for slow config.xml reads: schedules follow, with a signal', async () => {
    const slow = await startTestSandbox();
    const signals: Array<{ channel: string }> = [];
    try {
      const { server: backend } = await startSandboxBackend(slow, {
        entities: [PAYMENTS_SETTLEMENT],
        batchJobs: {
          cache: { ttlSeconds: 10, watchIntervalSeconds: 60, extrasWaitMs: 50 },
        },
        features: [capturingSignals(signals)],
      });
      slow.faults.set({ path: '/job/**/config.xml', latencyMs: 400 });
      const first = await api(backend).get(JOBS_PATH);
      expect(first.status).toBe(200);
      const cold = first.body.vpcs.flatMap((v: any) => v.jobs);
      expect(cold.length).toBeGreaterThan(3);
      expect(cold.every((j: any) => j.loading?.includes('schedule'))).toBe(
        true,
      );

      // Each part that arrives late is announced; the list then re-reads from the cache.
      const warm = await jobsOnceSignalled(backend, signals, cold);
      expect(signals).toContainEqual(
        expect.objectContaining({ channel: entityJobsChannel(ENTITY) }),
      );
      expect(warm.some((j: any) => j.loading)).toBe(false);
      expect(warm.some((j: any) => j.schedule.spec)).toBe(true);
    } finally {
      await closeSandbox(slow);
    }
  });

  it('with extrasWaitMs 0 (the default) answers after its listing reads and starts the other reads once the answer is sent', async () => {
    const cold = await startTestSandbox();
    const signals: Array<{ channel: string }> = [];
    try {
      const backend = await startNoWaitBackend(cold, signals);
      // How many Jenkins requests the sandbox had received when the answer left.
      let receivedWhenSent: number | undefined;
      backend.on('request', (req: any, res: any) => {
        if (String(req.url).includes('/jobs'))
          res.on('finish', () => {
            receivedWhenSent ??= cold.requests.length;
          });
      });
      const mark = cold.requests.length;
      const first = await api(backend).get(JOBS_PATH);
      expect(first.status).toBe(200);
      const jobs = first.body.vpcs.flatMap((v: any) => v.jobs);
      expect(jobs.length).toBeGreaterThan(3);
      expect(jobs.every((j: any) => j.loading?.includes('schedule'))).toBe(
        true,
      );
      expect(receivedWhenSent).toBeDefined();
      const before = cold.requests.slice(mark, receivedWhenSent);
      // Only the three listing reads went out before the answer: no
      // config.xml, no build history for the stats, no Stage View.
      expect(before.length).toBeGreaterThanOrEqual(3);
      expect(
        before.filter(r => tree(r.path).includes('parameterDefinitions')),
      ).toHaveLength(3);
      expect(before.filter(r => /config\.xml|wfapi/.test(r.path))).toEqual([]);
      expect(before.filter(r => /builds\[/.test(tree(r.path)))).toEqual([]);

      // Then they are read, and the entity's viewers are told.
      const warm = await jobsOnceSignalled(backend, signals, jobs);
      expect(
        cold.requests
          .slice(receivedWhenSent)
          .filter(r => r.path.includes('/config.xml')).length,
      ).toBeGreaterThanOrEqual(jobs.length);
      expect(warm.some((j: any) => j.loading)).toBe(false);
      expect(warm.some((j: any) => j.schedule.spec)).toBe(true);
      expect(warm.some((j: any) => j.stats?.sampleSize > 0)).toBe(true);
    } finally {
      await closeSandbox(cold);
    }
  });

  it('maps the list again when its schedules land, so the viewers the signal brings back get it complete from memory', async () => {
    const cold = await startTestSandbox();
    const signals: Array<{ channel: string }> = [];
    const mappings = jest.spyOn(JobsView.prototype as any, 'collectEntityJobs');
    try {
      const backend = await startNoWaitBackend(cold, signals);
      const first = await api(backend).get(JOBS_PATH);
      expect(first.status).toBe(200);
      const jobs = first.body.vpcs.flatMap((v: any) => v.jobs);
      expect(jobs.every((j: any) => j.loading?.includes('schedule'))).toBe(
        true,
      );
      expect(mappings).toHaveBeenCalledTimes(1);
      // Schedules, stats and stage notes land (in batches); nobody asks
      // meanwhile. Wait until Jenkins and the signals have been quiet.
      await untilSteady(
        () => `${cold.requests.length} ${signals.length}`,
        100,
        6,
      );
      expect(signals.length).toBeGreaterThan(0);
      const mappedBefore = mappings.mock.calls.length;
      // Mapped again on the backend's own, without a viewer asking.
      expect(mappedBefore).toBeGreaterThan(1);

      const back = await api(backend).get(JOBS_PATH);
      const shown = back.body.vpcs.flatMap((v: any) => v.jobs);
      expect(shown.some((j: any) => j.loading)).toBe(false);
      expect(shown.some((j: any) => j.schedule.spec)).toBe(true);
      expect(shown.some((j: any) => j.stats?.sampleSize > 0)).toBe(true);
      // Served from that mapping: this request mapped nothing.
      expect(mappings.mock.calls.length).toBe(mappedBefore);
    } finally {
      mappings.mockRestore();
      await closeSandbox(cold);
    }
  });

  it('shows a schedule it cannot read (config.xml refused) with the reason, and does not read it again at every mapping', async () => {
    const cold = await startTestSandbox();
    const signals: Array<{ channel: string }> = [];
    const mappings = jest.spyOn(JobsView.prototype as any, 'collectEntityJobs');
    try {
      const backend = await startNoWaitBackend(cold, signals);
      // A service account without Job/ExtendedRead.
      cold.faults.set({ path: '/job/**/config.xml', status: 403 });
      const configReads = () =>
        cold.requests.filter(r => r.path.includes('/config.xml')).length;
      const first = await api(backend).get(JOBS_PATH);
      expect(first.status).toBe(200);
      const jobs = first.body.vpcs.flatMap((v: any) => v.jobs);
      await untilSteady(() => `${configReads()} ${signals.length}`, 200, 10);
      // Each job's config.xml was asked once; the list was told once per
      // batch of reads that landed, and mapped again for it.
      const reads = configReads();
      expect(reads).toBe(jobs.length);
      const told = signals.length;
      expect(told).toBeGreaterThan(0);
      expect(told).toBeLessThanOrEqual(9);

      // A tab brought back by each signal: the answer is final, nothing is
      // read again, nothing more is signalled.
      for (let i = 0; i < told; i++) {
        const back = await api(backend).get(JOBS_PATH);
        const shown = back.body.vpcs.flatMap((v: any) => v.jobs);
        expect(shown.some((j: any) => j.loading?.includes('schedule'))).toBe(
          false,
        );
        for (const job of shown) {
          expect(job.schedule.spec).toBeNull();
          expect(job.schedule.error).toMatch(
            /^Could not read its schedule \(config\.xml\) from Jenkins: .*403/,
          );
        }
      }
      await sleep(500);
      expect(configReads()).toBe(reads);
      expect(signals.length).toBe(told);
      expect(mappings.mock.calls.length).toBeLessThanOrEqual(1 + told + told);
    } finally {
      mappings.mockRestore();
      await closeSandbox(cold);
    }
  });

  it('does not wait for reads that cannot arrive within extrasWaitMs: a slow Jenkins gets the list after one round trip', async () => {
    const slow = await startTestSandbox();
    try {
      const { server: backend } = await startSandboxBackend(slow, {
        entities: [PAYMENTS_SETTLEMENT],
        batchJobs: {
          cache: {
            ttlSeconds: 10,
            watchIntervalSeconds: 60,
            extrasWaitMs: 5_000,
          },
        },
      });
      // Every Jenkins read takes 3 s; schedules 10 s. Waiting until the
      // budget ends (5 s) could not bring them: nothing would be gained.
      slow.faults.set({ path: '/job/**/config.xml', latencyMs: 10_000 });
      slow.faults.set({ path: '/job/**', latencyMs: 3_000 });
      const t0 = Date.now();
      const first = await api(backend).get(JOBS_PATH);
      const elapsed = Date.now() - t0;
      expect(first.status).toBe(200);
      const jobs = first.body.vpcs.flatMap((v: any) => v.jobs);
      expect(jobs.length).toBeGreaterThan(3);
      expect(jobs.every((j: any) => j.loading?.includes('schedule'))).toBe(
        true,
      );
      // One 3 s round trip, not the 5 s budget.
      expect(elapsed).toBeGreaterThanOrEqual(3_000);
      expect(elapsed).toBeLessThan(4_500);
    } finally {
      await closeSandbox(slow);
    }
  });
});
