import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { entityJobsChannel } from '@batch-jobs/plugin-batch-jobs-common';
import {
  api,
  capturingSignals,
  catalogVisibleTo,
  closeSandbox,
  component,
  PAYMENTS_SETTLEMENT,
  Sandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Job-list change signals go to each entity's own viewers only, and only
 * for listings in which that entity validly claims a job. A listing read
 * for a claim alone (an annotation anyone can write on their own entity)
 * is not watched: otherwise Mallory, annotating her entity with another
 * team's folder, would be told when that folder's jobs change, on her own
 * channel and on the other team's entity channel.
 */

jest.setTimeout(120_000);

const MALLORY = 'user:default/mallory';
const as = (user: string) => mockCredentials.user.header(user);
const PAYMENTS = 'component:default/payments-settlement';
const PAYMENTS_JOB = 'DEV/payments-settlement/daily-settlement-report';
const REPORT_JOB = 'DEV/report-builder/daily-report';

/** Mallory's service: claims another team's folders; no binding gives them to it. */
const MALLORY_SVC: Entity = component(
  'mallory-svc',
  { 'batch-jobs.io/jobs': 'payments-settlement, report-builder' },
  'team-mallory',
);
const MALLORY_REF = 'component:default/mallory-svc';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Watches polled every 150 ms; lists wait for their schedules (no extras signals). */
const FAST_WATCH = {
  ttlSeconds: 10,
  watchIntervalSeconds: 0.15,
  extrasWaitMs: 60_000,
};

/** Opens an entity's jobs tab as `auth` (Jane by default): a 200, and a watch. */
async function viewList(server: any, name: string, auth?: string) {
  const res = await api(server, auth).get(
    `/entity/default/component/${name}/jobs`,
  );
  expect(res.status).toBe(200);
  return res;
}

/** Starts a build of `fullName` in Jenkins itself and waits for a signal. */
async function buildInJenkins(
  sandbox: Sandbox,
  published: unknown[],
  fullName: string,
) {
  const job = sandbox.world.item(fullName) as any;
  sandbox.world.schedule(
    job,
    [{ kind: 'user', userId: 'bob', userName: 'Bob' }],
    null,
    0,
  );
  await sandbox.advance(10_000);
  for (let i = 0; i < 60 && published.length === 0; i++) await sleep(50);
  // Let the other watches of the tick land too.
  await sleep(500);
}

describe('job-list change signals reach only those who may read the list', () => {
  let sandbox: Sandbox;
  let server: any;
  const published: Array<{ recipients: any; channel: string }> = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      catalog: catalogVisibleTo(
        [PAYMENTS_SETTLEMENT, MALLORY_SVC],
        // Mallory sees only her own entity.
        (user, entity) =>
          user !== MALLORY || entity.metadata.name === 'mallory-svc',
      ),
      batchJobs: {
        cache: FAST_WATCH,
      },
      features: [capturingSignals(published)],
    }));
  });
  afterAll(() => closeSandbox(sandbox));

  const toMallory = () =>
    published.filter(s =>
      ([] as string[]).concat(s.recipients?.entityRef ?? []).includes(MALLORY),
    );

  it('Mallory cannot see payments-settlement, and her own list shows no job of it', async () => {
    const hidden = await api(server, as(MALLORY)).get(
      '/entity/default/component/payments-settlement/jobs',
    );
    expect(hidden.status).toBe(404);
    const own = await viewList(server, 'mallory-svc', as(MALLORY));
    const jobs = own.body.vpcs.flatMap((v: any) => v.jobs);
    // Only "selects no job bound to ..." placeholders: no data.
    expect(jobs.every((j: any) => j.error && !j.lastBuild)).toBe(true);
  });

  it("does not tell Mallory when another team's folder changes while its owner watches it", async () => {
    // Jane (owner side) and Mallory both look at their lists.
    await viewList(server, 'payments-settlement');
    await viewList(server, 'mallory-svc', as(MALLORY));
    published.length = 0;

    await buildInJenkins(sandbox, published, PAYMENTS_JOB);
    // The legitimate signal is sent to Jane ...
    expect(published.map(s => s.channel)).toContain(
      entityJobsChannel(PAYMENTS),
    );
    // ... but Mallory must get nothing: not on the payments-settlement
    // channel (an entity she cannot see), not on her own.
    const leaked = toMallory().map(s => s.channel);
    expect(leaked).toEqual([]);
  });

  it("does not signal Mallory's own channel for activity in a folder only her unbound claim names", async () => {
    // Only Mallory watches report-builder's folder (through her claim).
    await viewList(server, 'mallory-svc', as(MALLORY));
    published.length = 0;

    await buildInJenkins(sandbox, published, REPORT_JOB);
    // Her list did not change (it shows no job of report-builder), yet a
    // signal on her channel would tell her the folder exists and when its
    // jobs run.
    expect(published).not.toContainEqual(
      expect.objectContaining({ channel: entityJobsChannel(MALLORY_REF) }),
    );
  });
});

describe("a folder shared by two entities: each entity's viewers are told of its own jobs only", () => {
  let sandbox: Sandbox;
  let server: any;
  const published: Array<{ recipients: any; channel: string }> = [];
  const REPORTS_REF = 'component:default/settlement-reports';
  const LEDGER_JOB = 'DEV/payments-settlement/migrate-ledger';

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [
        // Claims the whole folder; the operators bound only the report to it.
        component('settlement-reports', {
          'batch-jobs.io/jobs': 'payments-settlement',
        }),
        component('ledger', {
          'batch-jobs.io/jobs': 'payments-settlement/migrate-ledger',
        }),
      ],
      batchJobs: {
        ownership: [
          {
            entity: REPORTS_REF,
            jobs: ['payments-settlement/daily-settlement-report'],
          },
          {
            entity: 'component:default/ledger',
            jobs: ['payments-settlement/migrate-ledger'],
          },
        ],
        cache: FAST_WATCH,
      },
      features: [capturingSignals(published)],
    }));
  });
  afterAll(() => closeSandbox(sandbox));

  it("is not told when the other entity's job in the folder builds, and is told when its own does", async () => {
    const list = await viewList(server, 'settlement-reports');
    const shown = list.body.vpcs
      .flatMap((v: any) => v.jobs)
      .filter((j: any) => !j.error)
      .map((j: any) => j.fullName);
    expect(shown).toContain(PAYMENTS_JOB);
    expect(shown).not.toContain(LEDGER_JOB);

    published.length = 0;
    await buildInJenkins(sandbox, published, LEDGER_JOB);
    expect(published.map(s => s.channel)).not.toContain(
      entityJobsChannel(REPORTS_REF),
    );

    published.length = 0;
    await buildInJenkins(sandbox, published, PAYMENTS_JOB);
    expect(published).toContainEqual(
      expect.objectContaining({ channel: entityJobsChannel(REPORTS_REF) }),
    );
  });
});
