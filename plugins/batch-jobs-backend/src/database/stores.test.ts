import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { DatabaseAuditStore } from './DatabaseAuditStore';
import { DatabaseIdempotencyStore } from './DatabaseIdempotencyStore';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);

// PostgreSQL joins when the lead enables it; SQLite always runs.
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

async function migrated(databaseId: Parameters<typeof databases.init>[0]) {
  const db = await databases.init(databaseId);
  await db.migrate.latest({ directory: migrationsDir });
  return db;
}

function clock(start = Date.UTC(2026, 10, 2, 9, 0)) {
  let t = start;
  return { now: () => new Date(t), tick: (ms = 1000) => (t += ms) };
}

describe.each(databases.eachSupportedId())('stores on %p', databaseId => {
  let db: Knex;
  beforeEach(async () => {
    db = await migrated(databaseId);
  });

  it('migrates up and down', async () => {
    expect(await db.schema.hasTable('audit_events')).toBe(true);
    expect(await db.schema.hasTable('idempotency_keys')).toBe(true);
    await db.migrate.rollback({ directory: migrationsDir }, true);
    expect(await db.schema.hasTable('audit_events')).toBe(false);
    expect(await db.schema.hasTable('idempotency_keys')).toBe(false);
    await db.migrate.latest({ directory: migrationsDir });
    expect(await db.schema.hasTable('audit_events')).toBe(true);
  });

  it('writes a pending audit row, then its outcome and build', async () => {
    const c = clock();
    const store = DatabaseAuditStore.create({ db, now: c.now });
    const id = await store.create({
      actor: 'user:default/jane',
      action: 'build.rerun',
      entityRef: 'component:default/payments-settlement',
      vpc: 'DEV',
      job: 'DEV/payments-settlement/migrate-ledger',
      target: 'DEV/payments-settlement/migrate-ledger#41',
      parameters: {},
      detail: { sourceBuild: 41 },
    });
    expect(await store.get(id)).toMatchObject({
      outcome: 'pending',
      createdAt: '2026-11-02T09:00:00.000Z',
      finishedAt: null,
      queueItemId: null,
    });

    c.tick(1500);
    await store.finish(id, 'succeeded', {
      queueItemId: 1234,
      parameters: { DRY_RUN: true, DB_PASSWORD: null },
      detail: { queueItemId: 1234 },
    });
    await store.recordBuild(id, { number: 42, url: 'http://j/job/x/42/' });
    // Recording twice keeps the first link.
    await store.recordBuild(id, { number: 99, url: 'http://j/job/x/99/' });

    const row = await store.get(id);
    expect(row).toMatchObject({
      actor: 'user:default/jane',
      outcome: 'succeeded',
      parameters: { DRY_RUN: true, DB_PASSWORD: null },
      detail: {
        sourceBuild: 41,
        queueItemId: 1234,
        buildNumber: 42,
        buildUrl: 'http://j/job/x/42/',
      },
      queueItemId: 1234,
      buildNumber: 42,
      finishedAt: '2026-11-02T09:00:01.500Z',
    });
    expect(await store.findByQueueItem('DEV', 1234)).toMatchObject({ id });
    expect(await store.findByQueueItem('STG', 1234)).toBeUndefined();
    expect(
      await store.listQueued({
        vpc: 'DEV',
        jobs: ['DEV/payments-settlement/migrate-ledger'],
        limit: 10,
      }),
    ).toHaveLength(1);
  });

  it('lists newest first, filtered by entity, VPC and job', async () => {
    const c = clock();
    const store = DatabaseAuditStore.create({ db, now: c.now });
    const make = async (entityRef: string, vpc: string, job: string) => {
      c.tick();
      return store.create({
        actor: 'user:default/a',
        action: 'build.rerun',
        entityRef,
        vpc,
        job,
        target: `${job}#1`,
        parameters: {},
      });
    };
    const a = await make('component:default/a', 'DEV', 'DEV/a/x');
    const b = await make('component:default/a', 'STG', 'STG/a/x');
    const c2 = await make('component:default/b', 'DEV', 'DEV/b/y');
    const d = await make('component:default/a', 'DEV', 'DEV/a/z');

    const ids = async (f: Parameters<typeof store.list>[0]) =>
      (await store.list(f)).map(r => r.id);
    expect(await ids({ limit: 10 })).toEqual([d, c2, b, a]);
    expect(await ids({ entityRef: 'component:default/a', limit: 10 })).toEqual([
      d,
      b,
      a,
    ]);
    expect(
      await ids({ entityRef: 'component:default/a', vpc: 'DEV', limit: 10 }),
    ).toEqual([d, a]);
    expect(await ids({ vpc: 'DEV', job: 'DEV/a/x', limit: 10 })).toEqual([a]);
    expect(await ids({ limit: 2 })).toEqual([d, c2]);
  });

  it('lists only the rows of the given actions', async () => {
    const c = clock();
    const store = DatabaseAuditStore.create({ db, now: c.now });
    const make = async (action: string) => {
      c.tick();
      return store.create({
        actor: 'user:default/a',
        action,
        entityRef: null,
        vpc: 'DEV',
        job: 'DEV/a/x',
        target: 'DEV/a/x',
        parameters: {},
      });
    };
    const pause = await make('job.pause');
    await make('build.rerun');
    const resume = await make('job.resume');
    const ids = async (actions: string[]) =>
      (
        await store.list({ vpc: 'DEV', job: 'DEV/a/x', actions, limit: 10 })
      ).map(r => r.id);
    expect(await ids(['job.pause', 'job.resume'])).toEqual([resume, pause]);
    expect(await ids([])).toEqual([]);
  });

  it('claims an idempotency key once per actor', async () => {
    const store = DatabaseIdempotencyStore.create({ db });
    expect(await store.claim('user:default/a', 'k1', 'h1')).toEqual({
      state: 'new',
    });
    expect(await store.claim('user:default/a', 'k1', 'h1')).toEqual({
      state: 'in-flight',
    });
    expect(await store.claim('user:default/a', 'k1', 'h2')).toEqual({
      state: 'mismatch',
    });
    // Keys are per actor.
    expect(await store.claim('user:default/b', 'k1', 'h1')).toEqual({
      state: 'new',
    });

    await store.complete('user:default/a', 'k1', {
      auditId: 'x',
      queueItemId: 5,
    });
    expect(await store.claim('user:default/a', 'k1', 'h1')).toEqual({
      state: 'replay',
      response: { auditId: 'x', queueItemId: 5 },
    });
    // A completed key is never released.
    await store.release('user:default/a', 'k1');
    expect((await store.claim('user:default/a', 'k1', 'h1')).state).toBe(
      'replay',
    );

    await store.release('user:default/b', 'k1');
    expect(await store.claim('user:default/b', 'k1', 'h1')).toEqual({
      state: 'new',
    });
  });
});
