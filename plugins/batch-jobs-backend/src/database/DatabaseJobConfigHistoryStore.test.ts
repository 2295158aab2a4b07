import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createHash } from 'node:crypto';
import {
  DatabaseJobConfigHistoryStore,
  NewJobConfigVersion,
} from './DatabaseJobConfigHistoryStore';
import { rollBackTo } from '../__testUtils__/migrations';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);
const MIGRATION = '20261221090000_job_config_history.js';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const JOB = 'PROD/payments-settlement/nightly-import';
const version = (n: number, over: Partial<NewJobConfigVersion> = {}) => ({
  vpc: 'PROD',
  job: JOB,
  // Multi-byte characters: size counts bytes, and they survive the round trip.
  configXml: `<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition><description>v${n} – €</description></flow-definition>\n`,
  actor: 'user:default/jane',
  action: 'job.update' as const,
  auditId: null,
  approvalId: null,
  entityRef: null,
  ...over,
});

describe.each(databases.eachSupportedId())(
  'DatabaseJobConfigHistoryStore on %p',
  databaseId => {
    it('keeps versions newest first, bounded per job, with their XML by id; migrates down', async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest({ directory: migrationsDir });
      let t = Date.UTC(2026, 10, 2, 9, 0);
      const store = DatabaseJobConfigHistoryStore.create({
        db,
        keep: 3,
        now: () => new Date((t += 1000)),
      });

      const first = await store.record(
        version(1, {
          auditId: '6f1c4a1e-0000-4000-8000-000000000001',
          approvalId: 'a-1',
          entityRef: 'component:default/payments-settlement',
        }),
      );
      const xml1 = version(1).configXml;
      expect(first).toMatchObject({
        vpc: 'PROD',
        job: JOB,
        action: 'job.update',
        actor: 'user:default/jane',
        auditId: '6f1c4a1e-0000-4000-8000-000000000001',
        approvalId: 'a-1',
        entityRef: 'component:default/payments-settlement',
        restoredVersionId: null,
        sha256: createHash('sha256').update(xml1).digest('hex'),
        size: Buffer.byteLength(xml1),
        createdAt: '2026-11-02T09:00:01.000Z',
      });
      // '–' and '€': one UTF-16 unit each, three bytes each.
      expect(first.size).toBe(xml1.length + 4);
      expect(await store.get(first.id)).toEqual({
        ...first,
        configXml: xml1,
      });

      // Another job's versions are never dropped for this one's.
      const other = await store.record(
        version(0, { job: 'PROD/payments-settlement/other' }),
      );
      for (const n of [2, 3, 4]) {
        await store.record(
          version(n, {
            action: n === 4 ? 'job.restore' : 'job.promote',
            restoredVersionId: n === 4 ? first.id : null,
          }),
        );
      }
      const listed = await store.list('PROD', JOB);
      // keep: 3 → v1 went; newest first; no XML in the list.
      expect(listed.map(v => v.createdAt)).toEqual([
        '2026-11-02T09:00:05.000Z', // v4 (v1 at :01, the other job at :02)
        '2026-11-02T09:00:04.000Z',
        '2026-11-02T09:00:03.000Z',
      ]);
      expect(listed[0]).toMatchObject({
        action: 'job.restore',
        restoredVersionId: first.id,
      });
      expect(listed[0]).not.toHaveProperty('configXml');
      expect(await store.get(first.id)).toBeUndefined();
      expect((await store.get(listed[2].id))?.configXml).toBe(
        version(2).configXml,
      );
      expect(
        await store.list('PROD', 'PROD/payments-settlement/other'),
      ).toEqual([other]);
      expect(await store.list('STG', JOB)).toEqual([]);
      // A malformed id is unknown, not a database error (PostgreSQL's uuid).
      expect(await store.get('not-a-uuid')).toBeUndefined();

      expect(await db.schema.hasTable('job_config_history')).toBe(true);
      await rollBackTo(db, MIGRATION);
      expect(await db.schema.hasTable('job_config_history')).toBe(false);
      await db.migrate.latest({ directory: migrationsDir });
      expect(await db.schema.hasTable('job_config_history')).toBe(true);
    });

    it('refuses a keep that is not a positive integer', async () => {
      const db = await databases.init(databaseId);
      expect(() =>
        DatabaseJobConfigHistoryStore.create({ db, keep: 0 }),
      ).toThrow('Job config history: keep must be a positive integer, got 0');
    });
  },
);
