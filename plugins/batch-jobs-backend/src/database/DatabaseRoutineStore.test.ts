import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  DatabaseBackupStore,
  DatabaseNodeSightingStore,
  DatabaseRoutineRunStore,
} from './DatabaseRoutineStore';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath('@batch-jobs/plugin-batch-jobs-backend', 'migrations');
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

describe.each(databases.eachSupportedId())('routine stores on %p', databaseId => {
  it('one run per routine at a time; an expired lock is taken over and its run abandoned', async () => {
    const db = await databases.init(databaseId);
    await db.migrate.latest({ directory: migrationsDir });
    let now = new Date('2026-11-02T09:00:00Z');
    const runs = DatabaseRoutineRunStore.create({ db, now: () => now });
    const run = (n: number) => ({ id: id(n), routine: 'orphan-reaper' as const, trigger: 'user' as const, actor: 'user:default/jane', dryRun: n % 2 === 0 });

    expect(await runs.start(run(1), 60_000)).toEqual({ started: true });
    expect(await runs.start(run(2), 60_000)).toEqual({ started: false, heldBy: id(1) });
    // Another routine is not blocked.
    expect(await runs.start({ ...run(3), routine: 'jenkins-backup' }, 60_000)).toEqual({ started: true });
    await runs.appendItems(id(1), [{ action: 'spare', target: 'i-1', vpc: 'DEV', status: 'skipped', message: 'young', at: now.toISOString() }]);
    await runs.appendItems(id(1), [{ action: 'terminate-instance', target: 'i-2', vpc: 'DEV', status: 'done', message: 'ok', at: now.toISOString() }]);
    await runs.finish(id(1), 'succeeded', 'terminated 1');
    expect(await runs.get(id(1))).toMatchObject({ outcome: 'succeeded', summary: 'terminated 1', dryRun: false, items: [{ target: 'i-1' }, { target: 'i-2' }] });

    // Released: the next run starts; then its replica dies and the lock expires.
    expect(await runs.start(run(4), 60_000)).toEqual({ started: true });
    now = new Date(now.getTime() + 61_000);
    expect(await runs.start(run(5), 60_000)).toEqual({ started: true });
    expect(await runs.get(id(4))).toMatchObject({ outcome: 'abandoned', finishedAt: now.toISOString() });
    const list = await runs.list('orphan-reaper', { limit: 10 });
    expect(list.map(r => [r.id, r.outcome])).toEqual(
      expect.arrayContaining([[id(5), 'running'], [id(4), 'abandoned'], [id(1), 'succeeded']]),
    );
    expect(list[0].items).toEqual([]);
  });

  it('remembers first-seen-offline times, forgets nodes back online, records backups', async () => {
    const db = await databases.init(databaseId);
    await db.migrate.latest({ directory: migrationsDir });
    const sightings = DatabaseNodeSightingStore.create({ db });
    const t1 = new Date('2026-11-02T09:00:00Z');
    const t2 = new Date('2026-11-02T10:00:00Z');
    expect([...(await sightings.observe('sandbox', ['a', 'b'], t1))].sort()).toEqual([['a', t1], ['b', t1]]);
    const second = await sightings.observe('sandbox', ['b', 'c'], t2);
    expect(second.get('b')).toEqual(t1);
    expect(second.get('c')).toEqual(t2);
    expect(second.has('a')).toBe(false);
    expect((await sightings.observe('other', [], t2)).size).toBe(0);
    expect((await sightings.observe('sandbox', [], t2)).size).toBe(0);

    const backups = DatabaseBackupStore.create({ db });
    const backup = { bucket: 'b', key: 'k1.tar.gz', sizeBytes: 5_000_000_000, createdAt: t1.toISOString(), verified: true, runId: id(1), build: { number: 3, url: 'u' } };
    await backups.record(backup);
    await backups.record({ ...backup, key: 'k2.tar.gz', createdAt: t2.toISOString(), verified: false, sizeBytes: 0, build: null });
    await backups.markDeleted('b', 'k1.tar.gz', t2);
    expect(await backups.list({ limit: 10 })).toEqual([
      { ...backup, key: 'k2.tar.gz', createdAt: t2.toISOString(), verified: false, sizeBytes: 0, build: null, deletedAt: null },
      { ...backup, deletedAt: t2.toISOString() },
    ]);

    // Retention's view: verified, live, this bucket and exactly this prefix.
    const t3 = new Date('2026-11-02T11:00:00Z');
    const under = { ...backup, prefix: 'jenkins/', runId: id(2) };
    await backups.record({ ...under, key: 'jenkins/a.tar.gz' });
    await backups.record({ ...under, key: 'jenkins/b.tar.gz', createdAt: t3.toISOString() });
    await backups.record({ ...under, key: 'jenkins/bad.tar.gz', createdAt: t3.toISOString(), verified: false, failure: 'is empty (0 bytes)' });
    await backups.record({ ...under, key: 'jenkins-old/c.tar.gz', prefix: 'jenkins-old/' });
    await backups.record({ ...under, bucket: 'other', key: 'jenkins/d.tar.gz' });
    expect((await backups.listVerified({ bucket: 'b', prefix: 'jenkins/' })).map(b => b.key)).toEqual([
      'jenkins/b.tar.gz',
      'jenkins/a.tar.gz',
    ]);
    await backups.markDeleted('b', 'jenkins/a.tar.gz', t3);
    expect((await backups.listVerified({ bucket: 'b', prefix: 'jenkins/' })).map(b => b.key)).toEqual(['jenkins/b.tar.gz']);
    expect((await backups.list({ limit: 10 })).find(b => b.key === 'jenkins/bad.tar.gz')).toMatchObject({
      verified: false,
      prefix: 'jenkins/',
      failure: 'is empty (0 bytes)',
    });

    await db.migrate.rollback({ directory: migrationsDir }, true);
    expect(await db.schema.hasTable('routine_runs')).toBe(false);
  });
});
