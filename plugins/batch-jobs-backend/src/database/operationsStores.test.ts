import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { DatabaseAlertStore } from './DatabaseAlertStore';
import { DatabaseApprovalStore } from './DatabaseApprovalStore';
import { DatabaseOperationStore } from './DatabaseOperationStore';
import { rollBackTo } from '../__testUtils__/migrations';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
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
      expect(await db.schema.hasColumn('idempotency_keys', 'audit_id')).toBe(
        true,
      );
      for (const c of ['review', 'pin_hash', 'executed_at']) {
        expect(await db.schema.hasColumn('approval_requests', c)).toBe(true);
      }
      // Newest first: later migrations, then the approvals' pins, then
      // idempotency_keys.audit_id, then these tables.
      const downTo = (migration: string) => rollBackTo(db, migration);
      for (const c of [
        'progress',
        'lease_owner',
        'lease_expires_at',
        'lease_epoch',
        'active_vpc',
      ]) {
        expect(await db.schema.hasColumn('batch_operations', c)).toBe(true);
      }
      await downTo('20261220090000_operation_leases.js');
      expect(await db.schema.hasColumn('batch_operations', 'active_vpc')).toBe(
        false,
      );
      expect(await db.schema.hasColumn('approval_requests', 'pin_hash')).toBe(
        true,
      );
      // Redeploys a restart interrupted before the leases: the newest per VPC
      // is resumed, an older one of the same VPC (it could not be unique) fails.
      const row = (id: string, vpc: string, minute: number) => ({
        id,
        kind: 'workers.redeploy',
        state: 'running',
        vpc,
        actor: 'user:default/jane',
        approved_by: null,
        jobs: '[]',
        created_at: new Date(Date.UTC(2026, 10, 2, 9, minute)),
        updated_at: new Date(Date.UTC(2026, 10, 2, 9, minute)),
      });
      const [older, newer, other] = [
        '00000000-0000-4000-8000-00000000000a',
        '00000000-0000-4000-8000-00000000000b',
        '00000000-0000-4000-8000-00000000000c',
      ];
      await db('batch_operations').insert([
        row(older, 'STG', 1),
        row(newer, 'STG', 2),
        row(other, 'PROD', 1),
      ]);
      await db.migrate.up({ directory: migrationsDir });
      const after = await db('batch_operations')
        .whereIn('id', [older, newer, other])
        .orderBy('id')
        .select('id', 'state', 'active_vpc', 'lease_owner');
      expect(after).toEqual([
        { id: older, state: 'failed', active_vpc: null, lease_owner: null },
        { id: newer, state: 'running', active_vpc: 'STG', lease_owner: null },
        { id: other, state: 'running', active_vpc: 'PROD', lease_owner: null },
      ]);
      await db('batch_operations')
        .whereIn('id', [older, newer, other])
        .delete();
      await downTo('20261220090000_operation_leases.js');
      await downTo('20261218090000_approval_pins.js');
      expect(await db.schema.hasColumn('approval_requests', 'pin_hash')).toBe(
        false,
      );
      expect(await db.schema.hasColumn('idempotency_keys', 'audit_id')).toBe(
        true,
      );
      await downTo('20261215090000_idempotency_audit.js');
      expect(await db.schema.hasColumn('idempotency_keys', 'audit_id')).toBe(
        false,
      );
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

    it('keeps one running redeploy per VPC and gives an abandoned one to exactly one replica', async () => {
      const c = clock();
      const store = DatabaseOperationStore.create({ db, now: c.now });
      const op = (vpc: string) => ({
        vpc,
        actor: 'user:default/jane',
        approvedBy: null,
        jobs: [],
      });
      const lease = { owner: 'replica-a', ttlMs: 10_000 };
      const first = await store.create(op('STG'), lease);
      // A second one of the VPC, from any replica: 409 naming the first.
      await expect(
        store.create(op('STG'), { owner: 'replica-b', ttlMs: 10_000 }),
      ).rejects.toThrow(new RegExp(`already running: operation ${first.id}`));
      const prod = await store.create(op('PROD'), lease);
      const held = (await store.claimed(first.id))!;
      expect(held.lease).toEqual({ owner: 'replica-a', epoch: 0 });

      // While A renews its leases nobody takes its operations.
      const renew = async () => {
        expect(await store.heartbeat(first.id, held.lease, 10_000)).toBe(true);
        expect(await store.heartbeat(prod.id, held.lease, 10_000)).toBe(true);
      };
      c.tick(9_000);
      await renew();
      c.tick(9_000);
      expect(await store.claimAbandoned('replica-b', 10_000)).toEqual([]);

      // A died: once its lease expired, two replicas asking get it once.
      c.tick(2_000);
      const [b, cc] = await Promise.all([
        store.claimAbandoned('replica-b', 10_000),
        store.claimAbandoned('replica-c', 10_000),
      ]);
      const claims = [...b, ...cc];
      expect(claims.map(x => x.operation.id).sort()).toEqual(
        [first.id, prod.id].sort(),
      );
      expect(new Set(claims.map(x => x.operation.id)).size).toBe(2);
      // A's late heartbeat fails: it must stop working on it.
      expect(await store.heartbeat(first.id, held.lease, 10_000)).toBe(false);

      // Progress per job survives, beside the public entry.
      const mine = claims.find(x => x.operation.id === first.id)!;
      await store.updateJob(
        first.id,
        {
          job: 'STG/a/STG-worker',
          state: 'stopping',
          stoppedBuild: 4,
          newBuild: null,
          newBuildUrl: null,
          queueItemId: null,
          parameters: { ENV: 'STG' },
          steps: [],
          error: null,
        },
        { auditId: 'audit-1', send: { ENV: 'STG' } },
      );
      // Released at shutdown: the next replica takes it at once.
      await store.release(first.id, mine.lease);
      const next = await store.claimAbandoned('replica-d', 10_000);
      expect(next.map(x => x.operation.id)).toEqual([first.id]);
      expect(next[0].progress).toEqual({
        'STG/a/STG-worker': { auditId: 'audit-1', send: { ENV: 'STG' } },
      });

      // Finished: the VPC is free again.
      await store.finish(first.id, 'succeeded');
      const again = await store.create(op('STG'), lease);
      expect(again.state).toBe('running');
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
        review: {
          parameters: { ENV: 'PROD' },
          hash: 'a'.repeat(64),
          hashOf: 'the parameters of PROD/x/y #3',
        },
      };
      const a = await store.create({
        ...base,
        expiresAt: new Date(c.now().getTime() + 3600_000),
      });
      const b = await store.create({
        ...base,
        expiresAt: new Date(c.now().getTime() + 60_000),
      });
      expect(a).toMatchObject({
        status: 'pending',
        payload: base.payload,
        review: base.review,
        executedAt: null,
      });

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
      expect(decided.decidedAt).toBe('2026-11-02T09:00:00.000Z');

      await store.complete(b.id, { error: 'nope' });
      expect((await store.get(b.id))!).toMatchObject({
        status: 'failed',
        error: 'nope',
      });
    });

    it('executes an approved request once, before it expires, and settles it once', async () => {
      const c = clock();
      const store = DatabaseApprovalStore.create({ db, now: c.now });
      const base = {
        action: 'job.promote' as const,
        vpc: 'PROD',
        target: 'PROD/x/y',
        summary: 'Promote x/y from DEV to PROD',
        entityRef: null,
        payload: { job: 'x/y', from: 'DEV', to: 'PROD' },
        requestedBy: 'user:default/jane',
        auditId: '00000000-0000-4000-8000-000000000001',
        expiresAt: new Date(c.now().getTime() + 60_000),
        review: { hash: 'b'.repeat(64), hashOf: 'the source config.xml' },
      };
      const a = await store.create(base);
      // Not approved yet: nothing to execute.
      expect(await store.startExecution(a.id)).toBe(false);
      expect(
        await store.decide(a.id, {
          status: 'approved',
          decidedBy: 'user:default/bob',
          executeBefore: new Date(c.now().getTime() + 3600_000),
        }),
      ).toBe(true);
      // The approval gave the requester a fresh window.
      c.tick(120_000);
      expect(await store.expire()).toBe(0);
      const [one, two] = await Promise.all([
        store.startExecution(a.id),
        store.startExecution(a.id),
      ]);
      expect([one, two].filter(Boolean)).toHaveLength(1);
      expect((await store.get(a.id))!).toMatchObject({
        status: 'executing',
        executedAt: '2026-11-02T09:02:00.000Z',
      });
      c.tick(1000);
      expect(
        (await store.listExecutingSince(c.now(), 10)).map(r => r.id),
      ).toEqual([a.id]);
      expect(
        await store.settleExecution(a.id, { result: { auditId: 'x' } }),
      ).toBe(true);
      expect(await store.settleExecution(a.id, { error: 'late' })).toBe(false);
      expect((await store.get(a.id))!).toMatchObject({
        status: 'completed',
        result: { auditId: 'x' },
        error: null,
      });

      // Approved and never executed: it expires like a pending one.
      const b = await store.create({
        ...base,
        expiresAt: new Date(c.now().getTime() + 60_000),
      });
      await store.decide(b.id, {
        status: 'approved',
        decidedBy: 'user:default/bob',
        executeBefore: new Date(c.now().getTime() + 60_000),
      });
      c.tick(61_000);
      expect(await store.startExecution(b.id)).toBe(false);
      expect(await store.expire()).toBe(1);
      expect((await store.get(b.id))!.status).toBe('expired');
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
