import request from 'supertest';
import { strings } from './__testUtils__/expectations';
import {
  component,
  PAYMENTS_SETTLEMENT,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';

/*
 * Attack 5: one annotation to hang the backend. Selectors used to compile
 * to backtracking regular expressions; 30 `*` then `X` froze the Node
 * process (every plugin) on each page view and each alert watcher tick.
 * Mallory registers such selectors at the top level and inside a folder
 * segment: each is refused with an error within a second (a backtracking
 * match of 30 `*` takes hours; a second leaves room for a loaded CI
 * machine, where 50 ms did not), and the backend
 * keeps answering everyone else (including the requests that match every
 * annotated entity: actions without an entityRef, the alert watcher).
 *
 * If matching backtracks again, this suite hangs instead of failing (the
 * regex runs on the test's own event loop): the CI job's timeout catches it.
 */

jest.setTimeout(120_000);

const STARS = '*'.repeat(30);
const EVIL = [
  component('redos-top', 'group:default/team-mallory', {
    'batch-jobs.io/jobs': `${STARS}X`,
  }),
  component('redos-folder-segment', 'group:default/team-mallory', {
    'batch-jobs.io/jobs': `${STARS}X/daily-settlement-report`,
  }),
  component('redos-job-segment', 'group:default/team-mallory', {
    'batch-jobs.io/jobs': `payments-settlement/${STARS}X`,
  }),
];

/** Milliseconds `send` takes, and its answer. */
async function timed(send: () => Promise<request.Response>) {
  const start = process.hrtime.bigint();
  const res = await send();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, res };
}

describe('attack 5: pathological selectors are refused fast and hang nothing', () => {
  let backend: SecurityBackend;

  beforeAll(async () => {
    backend = await startSecurityBackend({
      batchJobs: { alerts: { intervalSeconds: 60 } },
    });
    await backend.register(USERS.jane, 'payments', [PAYMENTS_SETTLEMENT]);
    await backend.register(USERS.mallory, 'redos', EVIL);
    // Warm the code paths (catalog, permission backend) on a legit entity.
    for (let i = 0; i < 3; i++) {
      await backend
        .as(USERS.jane)
        .get('/entity/default/component/payments-settlement/jobs');
    }
  });

  afterAll(() => backend?.close());

  it.each(
    EVIL.map(e => [
      e.metadata.name,
      e.metadata.annotations!['batch-jobs.io/jobs'],
    ]),
  )('%s (%s) answers within a second with an error', async (name, selector) => {
    const page = () =>
      backend.as(USERS.mallory).get(`/entity/default/component/${name}/jobs`);
    // The median of three: one slow answer from a busy machine is not a hang.
    const runs = [await timed(page), await timed(page), await timed(page)];
    const median = runs.map(r => r.ms).sort((a, b) => a - b)[1];
    const { res } = runs[0];
    const errors =
      res.status >= 400
        ? [res.body.error?.message]
        : strings(
            res.body.vpcs?.flatMap((v: any) => v.jobs.map((j: any) => j.error)),
          );
    expect(errors.length).toBeGreaterThan(0);
    // The error says which selector and why.
    expect(errors.join('\n')).toMatch(/\*|wildcard|selector/i);
    // No job is listed through it.
    const listed =
      res.status === 200
        ? res.body.vpcs.flatMap((v: any) =>
            v.jobs.filter((j: any) => !j.error).map((j: any) => j.fullName),
          )
        : [];
    expect(listed).toEqual([]);
    const ms = Math.round(median);
    expect({ selector, medianMs: ms < 1000 ? 'under 1000' : ms }).toEqual({
      selector,
      medianMs: 'under 1000',
    });
  });

  it('requests that match every annotated entity stay responsive', async () => {
    // A rerun without entityRef looks for the job's entity among all of them.
    const job = 'DEV/payments-settlement/daily-settlement-report';
    const number = (backend.sandbox.world.item(job) as any).builds
      .filter((b: any) => b.result !== null)
      .at(-1).number;
    const rerun = await timed(() =>
      backend.as(USERS.jane).post('/builds/rerun', { vpc: 'DEV', job, number }),
    );
    expect(rerun.res.status).toBe(202);
    expect(rerun.ms).toBeLessThan(2000);
    const builds = await timed(() =>
      backend.as(USERS.jane).get('/builds', { vpc: 'DEV', job }),
    );
    expect(builds.res.status).toBe(200);
    expect(builds.ms).toBeLessThan(2000);
  });

  it('the alert watcher’s tick over every annotated entity finishes', async () => {
    const start = Date.now();
    await backend.scheduler.triggerTask('batch-jobs-build-alerts');
    expect(Date.now() - start).toBeLessThan(5000);
    const health = await timed(() => backend.as(USERS.victor).get('/health'));
    expect(health.res.status).toBe(200);
    expect(health.ms).toBeLessThan(500);
  });
});
