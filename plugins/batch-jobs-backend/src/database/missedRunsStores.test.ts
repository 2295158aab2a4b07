import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { DatabaseCatchUpStore } from './DatabaseCatchUpStore';
import { DatabaseReachabilityStore } from './DatabaseReachabilityStore';
import { rollBackTo } from '../__testUtils__/migrations';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const t = (hhmm: string) => new Date(`2026-11-02T${hhmm}:00.000Z`);

describe.each(databases.eachSupportedId())(
  'missed-runs stores on %p',
  databaseId => {
    it('records one outage per Jenkins from its last answer, closed by exactly one answer', async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest({ directory: migrationsDir });
      const store = DatabaseReachabilityStore.create({ db });

      expect(
        await store.recordAnswer('dev', t('09:00'), -5000),
      ).toBeUndefined();
      expect(await store.clockOffset('dev')).toBe(-5000);
      // Two replicas notice the outage: one row, from the last answer.
      await store.recordFailure('dev', 'ECONNREFUSED', new Date());
      await store.recordFailure('dev', 'ECONNREFUSED', new Date());
      await store.recordFailure('prod', 'timeout', t('09:05'));
      const open = await store.outages('dev', t('08:00'), t('12:00'));
      expect(open).toEqual([
        expect.objectContaining({
          jenkins: 'dev',
          since: t('09:00'),
          until: null,
        }),
      ]);

      // The first answer closes it and gets it; the next finds none.
      const closed = await store.recordAnswer('dev', t('12:10'), -4000);
      expect(closed).toEqual(
        expect.objectContaining({ since: t('09:00'), until: t('12:10') }),
      );
      expect(
        await store.recordAnswer('dev', t('12:11'), -4000),
      ).toBeUndefined();
      expect(await store.outages('dev', t('12:20'), t('13:00'))).toEqual([]);
      expect(
        (await store.outages('dev', t('11:00'), t('13:00'))).map(o => o.id),
      ).toEqual([closed!.id]);
      // Another Jenkins keeps its own.
      expect(await store.outages('prod', t('08:00'), t('13:00'))).toHaveLength(
        1,
      );
    });

    it('runs one catch-up per VPC, held by one replica at a time, and migrates down', async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest({ directory: migrationsDir });
      const store = DatabaseCatchUpStore.create({ db });
      const runs = [
        {
          job: 'DEV/a/x',
          expected: '2026-11-02T09:17:00.000Z',
          state: 'pending' as const,
        },
      ];
      const op = await store.create({
        vpc: 'DEV',
        requestedBy: 'user:default/jane',
        concurrency: 2,
        runs,
      });
      await expect(
        store.create({
          vpc: 'DEV',
          requestedBy: 'user:default/joe',
          concurrency: 1,
          runs,
        }),
      ).rejects.toThrow(ConflictError);
      await store.create({
        vpc: 'STG',
        requestedBy: 'user:default/joe',
        concurrency: 1,
        runs,
      });

      expect(await store.claim(op.id, 'replica-a', 60_000)).toBe(true);
      expect(await store.claim(op.id, 'replica-b', 60_000)).toBe(false);
      expect(await store.listUnheld(new Date())).not.toContain(op.id);
      // Only the holder saves progress.
      const started = [
        { ...runs[0], state: 'started' as const, queueItemId: 7 },
      ];
      expect(await store.saveRuns(op.id, 'replica-b', started)).toBe(false);
      expect(await store.saveRuns(op.id, 'replica-a', started)).toBe(true);
      expect((await store.get(op.id)).runs).toEqual(started);
      // An expired lease is taken over.
      expect(await store.claim(op.id, 'replica-a', -1)).toBe(true);
      expect(await store.listUnheld(new Date())).toContain(op.id);
      expect(await store.claim(op.id, 'replica-b', 60_000)).toBe(true);

      expect(await store.end(op.id, 'stopped')).toBe(true);
      expect(await store.end(op.id, 'succeeded')).toBe(false);
      // The VPC is free again.
      await store.create({
        vpc: 'DEV',
        requestedBy: 'user:default/joe',
        concurrency: 1,
        runs,
      });
      expect((await store.list('DEV')).map(o => o.state).sort()).toEqual([
        'running',
        'stopped',
      ]);

      await rollBackTo(db, '20261222090000_missed_runs.js');
      expect(await db.schema.hasTable('catch_up_operations')).toBe(false);
      expect(await db.schema.hasTable('jenkins_outages')).toBe(false);
    });
  },
);
