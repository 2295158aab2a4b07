import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { DatabasePauseStore } from './DatabasePauseStore';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('pause store on %p', databaseId => {
  it('keeps one pause per job, lists them per VPC, finds the due ones, migrates down', async () => {
    const db = await databases.init(databaseId);
    await db.migrate.latest({ directory: migrationsDir });
    const store = DatabasePauseStore.create({ db });
    const pause = {
      vpc: 'DEV',
      job: 'DEV/a/x',
      by: 'user:default/jane',
      reason: 'DB migration',
      entityRef: 'component:default/a',
      at: '2026-11-02T09:00:00.000Z',
      until: '2026-11-02T11:00:00.000Z',
    };
    await store.set(pause);
    await store.set({ ...pause, reason: 'longer migration' });
    await store.set({ ...pause, job: 'DEV/a/y', until: null });
    await store.set({
      ...pause,
      vpc: 'STG',
      job: 'STG/a/x',
      until: '2026-11-02T10:00:00.000Z',
    });

    expect(await store.get('DEV', 'DEV/a/x')).toEqual({
      ...pause,
      reason: 'longer migration',
    });
    expect(
      (await store.list('DEV', ['DEV/a/x', 'DEV/a/y', 'DEV/a/z']))
        .map(p => p.job)
        .sort(),
    ).toEqual(['DEV/a/x', 'DEV/a/y']);
    expect(await store.list('DEV', [])).toEqual([]);
    expect(
      (await store.listDue(new Date('2026-11-02T10:30:00Z'), 10)).map(
        p => p.job,
      ),
    ).toEqual(['STG/a/x']);
    expect(
      (await store.listDue(new Date('2026-11-02T12:00:00Z'), 10)).map(
        p => p.job,
      ),
    ).toEqual(['STG/a/x', 'DEV/a/x']);
    await store.delete('STG', 'STG/a/x');
    expect(await store.get('STG', 'STG/a/x')).toBeUndefined();

    // Conditional delete: only the very pause read, not one set since.
    const read = (await store.get('DEV', 'DEV/a/x'))!;
    const again = { ...read, by: 'user:default/joe', at: '2026-11-02T10:30:00.000Z', until: null };
    await store.set(again);
    expect(await store.deleteIf(read)).toBe(false);
    await store.restore(read);
    expect(await store.get('DEV', 'DEV/a/x')).toEqual(again);
    expect(await store.deleteIf(again)).toBe(true);
    expect(await store.get('DEV', 'DEV/a/x')).toBeUndefined();
    await store.restore(read);
    expect(await store.get('DEV', 'DEV/a/x')).toEqual(read);

    await db.migrate.rollback({ directory: migrationsDir }, true);
    expect(await db.schema.hasTable('job_pauses')).toBe(false);
    await db.migrate.latest({ directory: migrationsDir });
    expect(await db.schema.hasTable('job_pauses')).toBe(true);
  });
});
