import { Sandbox } from '@internal/batch-jobs-sandbox';
import {
  component,
  jenkinsWrites,
  mark,
  PAYMENTS_SETTLEMENT,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';
import { ACTION_REFUSALS, expectRefused } from './__testUtils__/expectations';
import { startBuild } from './__testUtils__/jenkins';

/*
 * Attack 1: self-asserted ownership. Mallory registers, through the
 * catalog's locations API, entities she owns whose annotation claims every
 * job (`*`) or another team's folder (`payments-settlement/*`,
 * `payments-settlement`). No operator binding gives her those jobs, so she
 * can neither act on them nor read, through her claim, a job no confirmed
 * entity claims (data-platform's), and nothing reaches Jenkins. Jane, whose
 * entity an operator's binding confirms, does the same successfully: the
 * routes work, only the claim is refused.
 */

jest.setTimeout(120_000);

const JOB = 'DEV/payments-settlement/daily-settlement-report';
const RECONCILE = 'DEV/payments-settlement/settlement-reconcile';
/** A job no operator binding gives to anyone. */
const UNCLAIMED = 'DEV/data-platform/nightly-extract-orders';
const MALLORY_ENTITIES = [
  component('mallory-everything', 'group:default/team-mallory', {
    'batch-jobs.io/jobs': '*',
  }),
  component('mallory-payments-glob', 'group:default/team-mallory', {
    'batch-jobs.io/jobs': 'payments-settlement/*',
  }),
  component('mallory-payments', 'group:default/team-mallory', {
    'batch-jobs.io/jobs': 'payments-settlement',
  }),
];
const MALLORY_REFS = [
  undefined,
  ...MALLORY_ENTITIES.map(e => `component:default/${e.metadata.name}`),
];

describe('attack 1: an entity annotated * or another team’s folder gives its owner nothing', () => {
  let backend: SecurityBackend;
  let sandbox: Sandbox;

  beforeAll(async () => {
    backend = await startSecurityBackend();
    sandbox = backend.sandbox;
    await backend.register(USERS.jane, 'payments', [PAYMENTS_SETTLEMENT]);
    await backend.register(USERS.mallory, 'mallory', MALLORY_ENTITIES);
  });

  afterAll(() => backend?.close());

  const lastFinished = (fullName: string) =>
    (sandbox.world.item(fullName) as any).builds
      .filter((b: any) => b.result !== null)
      .at(-1);

  it('mallory’s entities are in the catalog, owned by her team', async () => {
    for (const entity of MALLORY_ENTITIES) {
      const res = await backend.catalogEntity(
        USERS.mallory,
        `component:default/${entity.metadata.name}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.relations).toContainEqual(
        expect.objectContaining({
          type: 'ownedBy',
          targetRef: 'group:default/team-mallory',
        }),
      );
    }
  });

  describe.each(MALLORY_REFS)('through entity %s', entityRef => {
    const withRef = (body: Record<string, unknown>) =>
      entityRef ? { ...body, entityRef } : body;

    it('no rerun', async () => {
      const before = mark(sandbox);
      const number = lastFinished(JOB).number;
      const res = await backend
        .as(USERS.mallory)
        .post('/builds/rerun', withRef({ vpc: 'DEV', job: JOB, number }));
      expectRefused(res, 'rerun', [], ACTION_REFUSALS);
      expect(jenkinsWrites(sandbox, before.jenkins)).toEqual([]);
    });

    it('no run', async () => {
      const before = mark(sandbox);
      const res = await backend
        .as(USERS.mallory)
        .post('/jobs/run', withRef({ vpc: 'DEV', job: JOB, parameters: {} }));
      expectRefused(res, 'run', [], ACTION_REFUSALS);
      expect(jenkinsWrites(sandbox, before.jenkins)).toEqual([]);
    });

    it('no pause, no resume', async () => {
      const before = mark(sandbox);
      const pause = await backend
        .as(USERS.mallory)
        .post(
          '/jobs/disable',
          withRef({ vpc: 'DEV', job: JOB, reason: 'mine now' }),
        );
      expectRefused(pause, 'pause', [], ACTION_REFUSALS);
      const resume = await backend
        .as(USERS.mallory)
        .post('/jobs/enable', withRef({ vpc: 'DEV', job: JOB }));
      expectRefused(resume, 'resume', [], ACTION_REFUSALS);
      expect(jenkinsWrites(sandbox, before.jenkins)).toEqual([]);
      expect((sandbox.world.item(JOB) as any).disabled).toBe(false);
    });

    it('no stop of a running build', async () => {
      const build = await startBuild(sandbox, RECONCILE);
      const before = mark(sandbox);
      const res = await backend
        .as(USERS.mallory)
        .post(
          '/builds/stop',
          withRef({ vpc: 'DEV', job: RECONCILE, number: build.number }),
        );
      expectRefused(res, 'stop', [], ACTION_REFUSALS);
      expect(jenkinsWrites(sandbox, before.jenkins)).toEqual([]);
      expect(build.result).toBeNull();
      expect(build.abortedBy).toBeNull();
      // Let it finish, so the next stop test starts its own build.
      await sandbox.advance(10 * 60_000);
    });

    it('no builds, no log of a job only her claim selects', async () => {
      // payments-settlement's own entity is visible to all, so its builds
      // are readable through it by design; data-platform's jobs are claimed
      // by no confirmed entity: only mallory's `*` selects them.
      const build = lastFinished(UNCLAIMED);
      const log = await backend.as(USERS.olga).get('/builds/log', {
        vpc: 'DEV',
        job: UNCLAIMED,
        number: build.number,
      });
      expect(log.status).toBe(200);
      const logLine = log.text.split('\n').find(l => l.trim().length > 20)!;
      expect(logLine).toBeDefined();

      const builds = await backend
        .as(USERS.mallory)
        .get('/builds', {
          vpc: 'DEV',
          job: UNCLAIMED,
          ...(entityRef && { entityRef }),
        });
      expectRefused(builds, 'builds');
      const mallorysLog = await backend.as(USERS.mallory).get('/builds/log', {
        vpc: 'DEV',
        job: UNCLAIMED,
        number: build.number,
        ...(entityRef && { entityRef }),
      });
      expectRefused(mallorysLog, 'log', [logLine]);
    });
  });

  it('her entities’ pages list no job (not payments-settlement’s, not data-platform’s)', async () => {
    for (const entity of MALLORY_ENTITIES) {
      const res = await backend
        .as(USERS.mallory)
        .get(`/entity/default/component/${entity.metadata.name}/jobs`);
      const listed =
        res.status === 200
          ? res.body.vpcs.flatMap((v: any) =>
              v.jobs.filter((j: any) => !j.error).map((j: any) => j.fullName),
            )
          : [];
      expect({ entity: entity.metadata.name, listed }).toEqual({
        entity: entity.metadata.name,
        listed: [],
      });
    }
  });

  describe('control: the owner of the bound entity', () => {
    it('reads builds and logs, and reruns', async () => {
      const jane = backend.as(USERS.jane);
      const builds = await jane.get('/builds', { vpc: 'DEV', job: JOB });
      expect(builds.status).toBe(200);
      expect(builds.body.items.length).toBeGreaterThan(0);

      const before = mark(sandbox);
      const rerun = await jane.post('/builds/rerun', {
        vpc: 'DEV',
        job: JOB,
        number: lastFinished(JOB).number,
      });
      expect(rerun.status).toBe(202);
      expect(jenkinsWrites(sandbox, before.jenkins)).toEqual([
        expect.stringMatching(/^POST .*daily-settlement-report\/build/),
      ]);
    });
  });
});
