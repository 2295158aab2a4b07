import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  DatabaseFleetRefreshStore,
  NewFleetRefresh,
} from './DatabaseFleetRefreshStore';
import { rollBackTo } from '../__testUtils__/migrations';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);
const MIGRATION = '20261223120000_fleet_refreshes.js';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const refresh = (vpc: string): NewFleetRefresh => ({
  kind: 'fleet.refresh',
  vpc,
  state: 'running',
  actor: 'user:default/jane',
  approvedBy: null,
  reason: null,
  batchSize: 2,
  minHealthyExecutors: 4,
  drainTimeoutSeconds: 600,
  targets: [
    { type: 'batch', launchTemplateId: 'lt-0a', version: 2, imageId: 'ami-0b' },
  ],
  agents: [],
  message: null,
  auditId: '0b6f5d1e-2c3a-4f4b-9a8e-1d2c3b4a5f60',
});

describe.each(databases.eachSupportedId())(
  'DatabaseFleetRefreshStore on %p',
  databaseId => {
    it('holds one unfinished refresh per VPC, leases passes, and migrates down', async () => {
      const db = await databases.init(databaseId);
      await db.migrate.latest({ directory: migrationsDir });
      let t = Date.UTC(2026, 10, 2, 9, 0);
      const store = DatabaseFleetRefreshStore.create({
        db,
        now: () => new Date(t),
      });

      const dev = await store.create(refresh('DEV'));
      expect(dev).toMatchObject({ vpc: 'DEV', state: 'running', batchSize: 2 });
      await expect(store.create(refresh('DEV'))).rejects.toThrow(
        `VPC DEV already has a refresh in progress (${dev.id}, running)`,
      );
      const stg = await store.create(refresh('STG'));
      expect((await store.listUnfinished()).map(r => r.vpc)).toEqual([
        'DEV',
        'STG',
      ]);

      // One pass at a time, even by its own holder; an expired lease is free.
      expect(await store.claim(dev.id, 'a', 60_000)).toBe(true);
      expect(await store.claim(dev.id, 'a', 60_000)).toBe(false);
      expect(await store.claim(dev.id, 'b', 60_000)).toBe(false);
      t += 61_000;
      expect(await store.claim(dev.id, 'b', 60_000)).toBe(true);
      await store.release(dev.id, 'a'); // not a's any more: no effect
      expect(await store.claim(dev.id, 'a', 60_000)).toBe(false);
      await store.release(dev.id, 'b');
      expect(await store.claim(dev.id, 'a', 60_000)).toBe(true);

      // Finished: the VPC is free for the next one.
      await store.save({ ...dev, state: 'succeeded' });
      expect((await store.listUnfinished()).map(r => r.id)).toEqual([stg.id]);
      const next = await store.create(refresh('DEV'));
      t += 1000;
      expect((await store.listByVpc('DEV', 5)).map(r => r.id)).toEqual([
        next.id,
        dev.id,
      ]);
      expect((await store.get(dev.id))!.state).toBe('succeeded');

      await rollBackTo(db, MIGRATION);
      expect(await db.schema.hasTable('fleet_refreshes')).toBe(false);
      await db.migrate.latest({ directory: migrationsDir });
      expect(await db.schema.hasTable('fleet_refreshes')).toBe(true);
    });
  },
);
