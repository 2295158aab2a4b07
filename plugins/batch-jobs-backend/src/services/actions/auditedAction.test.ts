import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { DatabaseAuditStore } from '../../database/DatabaseAuditStore';
import { DatabaseIdempotencyStore } from '../../database/DatabaseIdempotencyStore';
import { AuditStore, NewAuditEvent } from '../../database/types';
import { holdUnderKey, recordFailure, runAuditedAction } from './auditedAction';
import { claimIdempotencyKey } from './entityAccess';

jest.setTimeout(60_000);

// The stores run on every database in stores.test.ts; here only the order matters.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const ACTOR = 'user:default/jane';
const EVENT: NewAuditEvent = {
  actor: ACTOR,
  action: 'job.run',
  entityRef: 'component:default/payments-settlement',
  vpc: 'DEV',
  job: 'payments-settlement/migrate-ledger',
  target: 'payments-settlement/migrate-ledger',
  parameters: { DB_PASSWORD: '****' },
  detail: { jenkins: 'dev' },
};
const LOGS = {
  succeeded: 'Run queued',
  failed: 'Run failed',
  unrecorded: 'Could not record failed run',
};

async function setup() {
  const db = await databases.init('SQLITE_3');
  await db.migrate.latest({
    directory: resolvePackagePath(
      '@batch-jobs/plugin-batch-jobs-backend',
      'migrations',
    ),
  });
  const logger = mockServices.logger.mock();
  return {
    audit: DatabaseAuditStore.create({ db }),
    idempotency: DatabaseIdempotencyStore.create({ db }),
    logger,
  };
}

const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

describe('runAuditedAction', () => {
  it('records the row pending and linked to the key before acting, and finishes it before storing the answer', async () => {
    const deps = await setup();
    await deps.idempotency.claim(ACTOR, 'k1', 'h1');
    const outcomeWhenStored: string[] = [];
    const idempotency = Object.assign(Object.create(deps.idempotency), {
      complete: async (actor: string, key: string, response: any) => {
        const row = await deps.audit.get(response.auditId);
        outcomeWhenStored.push(row!.outcome);
        return deps.idempotency.complete(actor, key, response);
      },
    });
    const answer = await runAuditedAction(
      { ...deps, idempotency },
      {
        event: EVENT,
        key: 'k1',
        logs: LOGS,
        act: async auditId => {
          expect((await deps.audit.get(auditId))?.outcome).toBe('pending');
          // What the reconciler would find after a crash here.
          expect(await deps.idempotency.listStale(FAR_FUTURE)).toEqual([
            { actor: ACTOR, key: 'k1', auditId },
          ]);
          return {
            finish: { queueItemId: 7, detail: { queueItemId: 7 } },
            response: { auditId, queueItemId: 7 },
            fields: { queueItemId: 7 },
          };
        },
      },
    );

    expect(outcomeWhenStored).toEqual(['succeeded']);
    expect(await deps.audit.get(answer.auditId)).toMatchObject({
      outcome: 'succeeded',
      queueItemId: 7,
      detail: { jenkins: 'dev', queueItemId: 7 },
    });
    expect(await deps.idempotency.claim(ACTOR, 'k1', 'h1')).toEqual({
      state: 'replay',
      response: answer,
    });
    expect(deps.logger.info).toHaveBeenCalledWith('Run queued', {
      actor: ACTOR,
      target: EVENT.target,
      vpc: 'DEV',
      queueItemId: 7,
      auditId: answer.auditId,
    });
  });

  it('records a failure on the row, frees the key and reports the redacted error everywhere', async () => {
    const deps = await setup();
    await deps.idempotency.claim(ACTOR, 'k2', 'h2');
    let rowId = '';
    const run = runAuditedAction(deps, {
      event: EVENT,
      key: 'k2',
      logs: LOGS,
      act: async auditId => {
        rowId = auditId;
        throw new Error("Jenkins 'dev' answered 500: bad value hunter2");
      },
      redact: message => message.split('hunter2').join('****'),
    });

    await expect(run).rejects.toThrow(
      "Jenkins 'dev' answered 500: bad value ****",
    );
    expect(await deps.audit.get(rowId)).toMatchObject({
      outcome: 'failed',
      detail: {
        jenkins: 'dev',
        error: "Jenkins 'dev' answered 500: bad value ****",
      },
    });
    // Released: the client may retry with the same key.
    expect(await deps.idempotency.claim(ACTOR, 'k2', 'h2')).toEqual({
      state: 'new',
    });
    expect(deps.logger.warn).toHaveBeenCalledWith('Run failed', {
      actor: ACTOR,
      target: EVENT.target,
      error: "Jenkins 'dev' answered 500: bad value ****",
    });
  });

  it('does not act when the row cannot be written, and frees the key', async () => {
    const deps = await setup();
    await deps.idempotency.claim(ACTOR, 'k3', 'h3');
    const audit: AuditStore = Object.assign(Object.create(deps.audit), {
      create: () => Promise.reject(new Error('database is read-only')),
    });
    const act = jest.fn();

    await expect(
      runAuditedAction(
        { ...deps, audit },
        {
          event: EVENT,
          key: 'k3',
          logs: LOGS,
          act,
        },
      ),
    ).rejects.toThrow('database is read-only');
    expect(act).not.toHaveBeenCalled();
    expect(await deps.idempotency.claim(ACTOR, 'k3', 'h3')).toEqual({
      state: 'new',
    });
    expect(deps.logger.error).not.toHaveBeenCalled();
  });
});

describe('recordFailure', () => {
  it('adds the action detail beside the error, and logs a row it could not write', async () => {
    const deps = await setup();
    const auditId = await deps.audit.create({
      ...EVENT,
      action: 'agent.launch',
    });
    await recordFailure(deps, {
      auditId,
      actor: ACTOR,
      key: undefined,
      message: 'InsufficientInstanceCapacity',
      detail: { awsError: 'InsufficientInstanceCapacity' },
      unrecorded: 'Could not record failed launch',
      failed: 'Agent launch failed',
      fields: { actor: ACTOR, vpc: 'DEV' },
    });
    expect((await deps.audit.get(auditId))?.detail).toEqual({
      jenkins: 'dev',
      error: 'InsufficientInstanceCapacity',
      awsError: 'InsufficientInstanceCapacity',
    });

    const audit: AuditStore = Object.assign(Object.create(deps.audit), {
      finish: () => Promise.reject(new Error('database is read-only')),
    });
    await recordFailure(
      { ...deps, audit },
      {
        auditId,
        actor: ACTOR,
        key: undefined,
        message: 'boom',
        unrecorded: 'Could not record failed launch',
        failed: 'Agent launch failed',
        fields: { actor: ACTOR, vpc: 'DEV' },
      },
    );
    expect(deps.logger.error).toHaveBeenCalledWith(
      'Could not record failed launch: Error: database is read-only',
    );
    expect(deps.logger.warn).toHaveBeenLastCalledWith('Agent launch failed', {
      actor: ACTOR,
      vpc: 'DEV',
      error: 'boom',
    });
  });
});

describe('holdUnderKey', () => {
  it('stores the held answer for a retry, and frees the key when the hold fails', async () => {
    const { idempotency } = await setup();
    await idempotency.claim(ACTOR, 'held', 'h');
    const held = { approvalRequired: true, approvalId: 'a1' };
    expect(
      await holdUnderKey(idempotency, ACTOR, 'held', async () => held),
    ).toBe(held);
    expect(await idempotency.claim(ACTOR, 'held', 'h')).toEqual({
      state: 'replay',
      response: held,
    });

    await idempotency.claim(ACTOR, 'lost', 'h');
    await expect(
      holdUnderKey(idempotency, ACTOR, 'lost', () =>
        Promise.reject(new Error('approvals table missing')),
      ),
    ).rejects.toThrow('approvals table missing');
    expect(await idempotency.claim(ACTOR, 'lost', 'h')).toEqual({
      state: 'new',
    });
  });
});

describe('claimIdempotencyKey', () => {
  it('names the request in its conflicts', async () => {
    const { idempotency } = await setup();
    const launch = { request: 'launch', inFlight: 'is still being started' };
    expect(
      await claimIdempotencyKey(
        idempotency,
        ACTOR,
        'k',
        ['PROD', 'batch'],
        launch,
      ),
    ).toBeUndefined();
    await expect(
      claimIdempotencyKey(idempotency, ACTOR, 'k', ['PROD', 'batch'], launch),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: "A launch with Idempotency-Key 'k' is still being started",
    });
    await expect(
      claimIdempotencyKey(idempotency, ACTOR, 'k', ['PROD', 'worker']),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: "Idempotency-Key 'k' was already used for a different request",
    });
  });
});
