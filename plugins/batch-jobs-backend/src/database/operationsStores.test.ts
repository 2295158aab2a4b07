import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { DatabaseAlertStore } from './DatabaseAlertStore';
import { DatabaseApprovalStore } from './DatabaseApprovalStore';
import { DatabaseOperationStore } from './DatabaseOperationStore';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@internal/plugin-batch-jobs-backend',
  'migrations',
);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function clock(start = Date.UTC(2026, 10, 2, 9, 0)) {
  let t = start;
  return { now: () => new Date(t), tick: (ms = 1000) => (t += ms) };
}

describe.each(databases.eachSupportedId())(
  'operation, approval and alert stores on %p',
  databaseId => {
    let db: Knex;
    beforeEach(async () => {
      db = await databases.init(databaseId);
      await db.migrate.latest({ directory: migrationsDir });
    });

    it('migrates up and down', async () => {
      for (const t of [
        'batch_operations',
        'alert_baselines',
        'alert_deliveries',
        'approval_requests',
      ]) {
        expect(await db.schema.hasTable(t)).toBe(true);
      }
      expect(await db.schema.hasColumn('idempotency_keys', 'audit_id')).toBe(true);
      // The latest migration first (idempotency_keys.audit_id), then these tables.
      await db.migrate.down({ directory: migrationsDir });
      expect(await db.schema.hasColumn('idempotency_keys', 'audit_id')).toBe(false);
      expect(await db.schema.hasTable('approval_requests')).toBe(true);
      await db.migrate.down({ directory: migrationsDir });
      expect(await db.schema.hasTable('approval_requests')).toBe(false);
      expect(await db.schema.hasTable('batch_operations')).toBe(false);
    });

    it('keeps per-job progress of a redeploy', async () => {
      const c = clock();
      const store = DatabaseOperationStore.create({ db, now: c.now });
      const pending = (job: string) => ({
        job,
        state: 'pending' as const,
        stoppedBuild: null,
        newBuild: null,
        newBuildUrl: null,
        queueItemId: null,
        parameters: {},
        steps: [],
        error: null,
      });
      const op = await store.create({
        vpc: 'STG',
        actor: 'user:default/jane',
        approvedBy: null,
        jobs: [pending('STG/a/STG-worker'), pending('STG/b/STG-worker-2')],
      });
      expect(op).toMatchObject({ state: 'running', kind: 'workers.redeploy' });
      c.tick();
      await store.updateJob(op.id, {
        ...pending('STG/b/STG-worker-2'),
        state: 'failed',
        error: 'boom',
      });
      await store.updateJob(op.id, {
        ...pending('STG/a/STG-worker'),
        state: 'succeeded',
        newBuild: 7,
      });
      const done = await store.finish(op.id, 'failed');
      expect(done.state).toBe('failed');
      expect(done.jobs.map(j => [j.job, j.state])).toEqual([
        ['STG/a/STG-worker', 'succeeded'],
        ['STG/b/STG-worker-2', 'failed'],
      ]);
      expect(done.updatedAt).toBe('2026-11-02T09:00:01.000Z');
      expect(
        await store.get('00000000-0000-4000-8000-000000000000'),
      ).toBeUndefined();
    });

    it('lets exactly one decision win, and expires old requests', async () => {
      const c = clock();
      const store = DatabaseApprovalStore.create({ db, now: c.now });
      const base = {
        action: 'build.rerun' as const,
        vpc: 'PROD',
        target: 'PROD/x/y#3',
        summary: 'Rerun PROD/x/y #3',
        entityRef: 'component:default/x',
        payload: { vpc: 'PROD', job: 'PROD/x/y', number: 3 },
        requestedBy: 'user:default/jane',
        auditId: '00000000-0000-4000-8000-000000000001',
      };
      const a = await store.create({
        ...base,
        expiresAt: new Date(c.now().getTime() + 3600_000),
      });
      const b = await store.create({
        ...base,
        expiresAt: new Date(c.now().getTime() + 60_000),
      });
      expect(a).toMatchObject({ status: 'pending', payload: base.payload });

      const [first, second] = await Promise.all([
        store.decide(a.id, {
          status: 'approved',
          decidedBy: 'user:default/bob',
        }),
        store.decide(a.id, {
          status: 'rejected',
          decidedBy: 'user:default/eve',
        }),
      ]);
      expect([first, second].filter(Boolean)).toHaveLength(1);
      await store.complete(a.id, { result: { queueItemId: 5 } });

      c.tick(120_000);
      // b expired: nobody can decide it any more.
      expect(
        await store.decide(b.id, {
          status: 'approved',
          decidedBy: 'user:default/bob',
        }),
      ).toBe(false);
      expect(await store.expire()).toBe(1);
      expect((await store.get(b.id))!.status).toBe('expired');
      expect((await store.list({ status: 'pending', limit: 10 })).length).toBe(
        0,
      );
      const decided = (await store.get(a.id))!;
      expect(decided.result).toEqual({ queueItemId: 5 });
      expect(decided.decidedAt).toBe('2026-11-02T09:00:00.000Z');

      await store.complete(b.id, { error: 'nope' });
      expect((await store.get(b.id))!).toMatchObject({
        status: 'failed',
        error: 'nope',
      });
    });

    it('claims each build event once, across store instances', async () => {
      const one = DatabaseAlertStore.create({ db });
      const two = DatabaseAlertStore.create({ db });
      const key = {
        vpc: 'DEV',
        job: 'DEV/payments-settlement/daily-settlement-report',
        buildNumber: 42,
        event: 'failure' as const,
      };
      const claims = await Promise.all([one.claim(key), two.claim(key)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await one.claim(key)).toBe(false);
      expect(await two.claim({ ...key, event: 'start' })).toBe(true);
      await one.record(key, { state: 'sent', attempts: 2 });
      const row = await db('alert_deliveries')
        .where({ build_number: 42, event: 'failure' })
        .first();
      expect(row).toMatchObject({ state: 'sent', attempts: 2 });

      // The first baseline stored wins, whoever asks later.
      expect(await one.baseline('DEV', key.job, 40)).toBe(40);
      expect(await two.baseline('DEV', key.job, 45)).toBe(40);
    });
  },
);
