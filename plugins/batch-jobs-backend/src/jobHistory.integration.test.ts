import {
  TestDatabases,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api as apiOf,
  catalogVisibleTo,
  closeSandbox,
  permissionsPerUser,
  startSandboxBackend,
  startTestSandbox,
  fourEyesVpcs,
} from './__testUtils__/integration';

/*
 * Issue 15, a way back for job changes, through the real backend against
 * the sandbox's Jenkins: every config.xml a portal write replaces is kept
 * first (update, create with update, promotion, restore), listed per job and
 * restorable byte for byte, audited and held in PROD; a hand-written job is
 * replaced only with an explicit force.
 */

jest.setTimeout(180_000);

const JANE = 'user:default/jane';
const BOB = 'user:default/bob';
/** Holds no batch-jobs permission and sees no entity. */
const DAVE = 'user:default/dave';
const as = (user: string) => mockCredentials.user.header(user);

const SPEC = {
  folder: 'payments-settlement',
  name: 'history-import',
  schedule: 'H 2 * * *',
  agentType: 'batch',
  parameters: [{ name: 'RUN_DATE', type: 'string', defaultValue: 'yesterday' }],
  application: 'payments-batch',
  batchName: 'import-settlements',
};
const TEMPLATE_JOB = 'DEV/payments-settlement/history-import';
/** Seeded in every VPC, written by hand: no template marker. */
const HAND_WRITTEN = 'payments-settlement/daily-settlement-report';

const sha256 = (text: string) =>
  createHash('sha256').update(text, 'utf8').digest('hex');

const jobUrlPath = (fullName: string) =>
  fullName
    .split('/')
    .map(s => `/job/${encodeURIComponent(s)}`)
    .join('');

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('a way back for job changes', () => {
  let sandbox: Sandbox;
  let knex: Knex;
  let server: any;

  const api = (user = JANE) => apiOf(server, as(user));
  /** The job's config.xml as Jenkins serves it. */
  const jenkinsConfig = async (fullName: string) => {
    const { username, apiToken } = sandbox.credentials;
    const res = await fetch(
      `${sandbox.jenkinsUrl}${jobUrlPath(fullName)}/config.xml`,
      {
        headers: {
          Authorization: `Basic ${Buffer.from(
            `${username}:${apiToken}`,
          ).toString('base64')}`,
        },
      },
    );
    if (res.status !== 200) {
      throw new Error(`Reading ${fullName}/config.xml: ${res.status}`);
    }
    return res.text();
  };
  /** Jenkins requests that write something. */
  const writes = (mark: number) =>
    sandbox.requests
      .slice(mark)
      .filter(r => r.method === 'POST' || r.method === 'DELETE')
      .filter(r => !/\/crumbIssuer\//.test(r.path));
  const historyOf = async (vpc: string, job: string, user = JANE) =>
    api(user).get('/jobs/history', { vpc, job });
  const auditOf = async (vpc: string, job: string) =>
    (await api().get('/audit', { vpc, job })).body.items as any[];
  /** Approved by Bob, then executed by Jane (who asked). */
  const approveAndExecute = async (requestId: string) => {
    expect(
      (await api(BOB).post(`/approvals/${requestId}/approve`)).status,
    ).toBe(200);
    return api(JANE).post(`/approvals/${requestId}/execute`);
  };

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    knex = await databases.init('SQLITE_3');
    const scheduler = mockServices.scheduler() as any;
    ({ server } = await startSandboxBackend(sandbox, {
      batchJobs: {
        vpcs: fourEyesVpcs(),
        cache: { ttlSeconds: 0 },
      },
      catalog: catalogVisibleTo([PAYMENTS_SETTLEMENT], user => user !== DAVE),
      permissions: permissionsPerUser(user => user !== DAVE),
      features: [
        mockServices.database.factory({ knex }),
        scheduler.factory({ skipTaskRunOnStartup: true }),
      ],
    }));
    const created = await api().post('/jobs/create', {
      ...SPEC,
      vpcs: ['DEV', 'STG'],
    });
    if (created.status !== 201) {
      throw new Error(
        `Creating ${TEMPLATE_JOB}: ${created.status} ${created.text}`,
      );
    }
  });

  afterAll(async () => {
    await closeSandbox(sandbox);
  });

  describe('an update keeps the config it replaces', () => {
    let original: string;
    let versionId: string;
    let updated: string;

    it('lists who, when and why; the version holds the old config.xml byte for byte, with its diff', async () => {
      original = await jenkinsConfig(TEMPLATE_JOB);
      expect((await historyOf('DEV', TEMPLATE_JOB)).body).toEqual({
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        items: [],
        keep: 50,
      });

      const update = await api().post('/jobs/update', {
        ...SPEC,
        vpcs: ['DEV'],
        schedule: 'H 4 * * *',
        entityRef: 'component:default/payments-settlement',
      });
      expect(update.status).toBe(200);
      updated = await jenkinsConfig(TEMPLATE_JOB);
      expect(updated).toContain('H 4 * * *');

      const history = await historyOf('DEV', TEMPLATE_JOB);
      expect(history.status).toBe(200);
      expect(history.body.items).toHaveLength(1);
      const [version] = history.body.items;
      expect(version).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        sha256: sha256(original),
        size: Buffer.byteLength(original),
        createdAt: expect.any(String),
        actor: JANE,
        action: 'job.update',
        auditId: update.body.jobs[0].auditId,
        approvalId: null,
        entityRef: 'component:default/payments-settlement',
        restoredVersionId: null,
      });
      // The list carries no XML.
      expect(JSON.stringify(history.body)).not.toContain('<flow-definition');
      versionId = version.id;

      const one = await api().get(`/jobs/history/${versionId}`);
      expect(one.status).toBe(200);
      expect(one.body.configXml).toBe(original);
      expect(one.body.jobExists).toBe(true);
      expect(one.body.version).toEqual(version);
      // From the current config (H 4) to the version (H 2): what a restore changes.
      expect(one.body.diff).toMatch(
        new RegExp(`^--- ${TEMPLATE_JOB}/config\\.xml \\(now\\)\\n`),
      );
      expect(one.body.diff).toMatch(/\n-.*H 4 \* \* \*/);
      expect(one.body.diff).toMatch(/\n\+.*H 2 \* \* \*/);

      const audit = await auditOf('DEV', TEMPLATE_JOB);
      expect(audit.find(e => e.id === version.auditId)).toMatchObject({
        action: 'job.update',
        outcome: 'succeeded',
        detail: { replacedVersionId: versionId },
      });
    });

    it('restore brings it back byte for byte, audited, and keeps what it replaced', async () => {
      const restore = await api().post('/jobs/restore', {
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        versionId,
      });
      expect(restore.status).toBe(200);
      expect(restore.body).toEqual({
        auditId: expect.any(String),
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        versionId,
        action: 'restored',
        sha256: sha256(original),
        replacedVersionId: expect.any(String),
      });
      expect(await jenkinsConfig(TEMPLATE_JOB)).toBe(original);
      expect((sandbox.world.item(TEMPLATE_JOB) as any).timerSpec).toBe(
        'H 2 * * *',
      );

      const audit = await auditOf('DEV', TEMPLATE_JOB);
      expect(audit.find(e => e.id === restore.body.auditId)).toMatchObject({
        actor: JANE,
        action: 'job.restore',
        outcome: 'succeeded',
        parameters: { versionId },
        detail: {
          result: 'restored',
          replacedVersionId: restore.body.replacedVersionId,
          version: { replacedBy: JANE, replacedThrough: 'job.update' },
        },
      });

      // The restore kept the config it replaced: it can be undone.
      const history = (await historyOf('DEV', TEMPLATE_JOB)).body.items;
      expect(history.map((v: any) => [v.action, v.sha256])).toEqual([
        ['job.restore', sha256(updated)],
        ['job.update', sha256(original)],
      ]);
      expect(history[0]).toMatchObject({
        id: restore.body.replacedVersionId,
        restoredVersionId: versionId,
        auditId: restore.body.auditId,
      });
      const undo = await api().post('/jobs/restore', {
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        versionId: history[0].id,
      });
      expect(undo.status).toBe(200);
      expect(await jenkinsConfig(TEMPLATE_JOB)).toBe(updated);
    });

    it('restoring the config the job already has writes nothing', async () => {
      const history = (await historyOf('DEV', TEMPLATE_JOB)).body.items;
      const current = await jenkinsConfig(TEMPLATE_JOB);
      const same = history.find((v: any) => v.sha256 === sha256(current));
      const mark = sandbox.requests.length;
      const res = await api().post('/jobs/restore', {
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        versionId: same.id,
      });
      expect(res.status).toBe(200);
      expect(res.body.action).toBe('unchanged');
      expect(writes(mark)).toEqual([]);
      expect((await historyOf('DEV', TEMPLATE_JOB)).body.items).toHaveLength(
        history.length,
      );
    });

    it('refuses a version of another job, a caller without the update permission, and hides the history from who may not read the job', async () => {
      const history = (await historyOf('DEV', TEMPLATE_JOB)).body.items;
      const mark = sandbox.requests.length;

      const elsewhere = await api().post('/jobs/restore', {
        vpc: 'STG',
        job: 'STG/payments-settlement/history-import',
        versionId: history[0].id,
      });
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.body.error.message).toBe(
        `No kept config version '${history[0].id}' of job 'STG/payments-settlement/history-import' in VPC 'STG'`,
      );

      const denied = await api(DAVE).post('/jobs/restore', {
        vpc: 'DEV',
        job: TEMPLATE_JOB,
        versionId: history[0].id,
      });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toMatch(/restore job configurations/);

      const hidden = await historyOf('DEV', TEMPLATE_JOB, DAVE);
      expect(hidden.status).toBe(404);
      const hiddenVersion = await api(DAVE).get(
        `/jobs/history/${history[0].id}`,
      );
      expect(hiddenVersion.status).toBe(404);
      expect(JSON.stringify(hiddenVersion.body)).not.toContain(
        'flow-definition',
      );

      const malformed = await api().get('/jobs/history/not-an-id');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toMatch(/must be a version id/);

      expect(writes(mark)).toEqual([]);
    });
  });

  it('refuses a kept version whose XML no longer matches its sha256, and writes nothing', async () => {
    const [version] = (await historyOf('DEV', TEMPLATE_JOB)).body.items;
    const before = await jenkinsConfig(TEMPLATE_JOB);
    await knex('job_config_history')
      .where({ id: version.id })
      .update({ config_xml: '<flow-definition>tampered</flow-definition>' });
    const mark = sandbox.requests.length;
    const res = await api().post('/jobs/restore', {
      vpc: 'DEV',
      job: TEMPLATE_JOB,
      versionId: version.id,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      `Kept config version '${
        version.id
      }' of '${TEMPLATE_JOB}' does not match its sha256 ${version.sha256.slice(
        0,
        12,
      )}…; it is not restored`,
    );
    expect(writes(mark)).toEqual([]);
    expect(await jenkinsConfig(TEMPLATE_JOB)).toBe(before);
  });

  it('writes no config.xml whose predecessor could not be kept', async () => {
    const before = await jenkinsConfig(TEMPLATE_JOB);
    await knex.schema.renameTable(
      'job_config_history',
      'job_config_history_away',
    );
    try {
      const mark = sandbox.requests.length;
      const res = await api().post('/jobs/update', {
        ...SPEC,
        vpcs: ['DEV'],
        schedule: 'H 7 * * *',
      });
      expect(res.status).toBe(500);
      expect(writes(mark)).toEqual([]);
      expect(await jenkinsConfig(TEMPLATE_JOB)).toBe(before);
      const [row] = await auditOf('DEV', TEMPLATE_JOB);
      expect(row).toMatchObject({ action: 'job.update', outcome: 'failed' });
    } finally {
      await knex.schema.renameTable(
        'job_config_history_away',
        'job_config_history',
      );
    }
  });

  it('a promotion keeps the target config it replaces', async () => {
    const target = 'STG/payments-settlement/history-import';
    const before = await jenkinsConfig(target);
    // DEV differs from STG after the update above was undone to H 4.
    const promoted = await api().post('/jobs/promote', {
      job: 'payments-settlement/history-import',
      from: 'DEV',
      to: 'STG',
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body.action).toBe('updated');
    const [version] = (await historyOf('STG', target)).body.items;
    expect(version).toMatchObject({
      action: 'job.promote',
      actor: JANE,
      auditId: promoted.body.auditId,
      sha256: sha256(before),
    });
    expect(
      (await api().get(`/jobs/history/${version.id}`)).body.configXml,
    ).toBe(before);
  });

  describe('a job the template did not create is replaced only with force', () => {
    const job = `DEV/${HAND_WRITTEN}`;
    const body = {
      ...SPEC,
      name: 'daily-settlement-report',
      vpcs: ['DEV'],
    };
    const refusal = `job ${job} was not created by the Batch Jobs template; pass force: true to replace it (its config is kept in the history)`;

    it('update, create with update and their dry runs answer 409 and leave Jenkins unchanged', async () => {
      const before = await jenkinsConfig(job);
      const mark = sandbox.requests.length;
      for (const [path, request] of [
        ['/jobs/update', body],
        ['/jobs/update', { ...body, dryRun: true }],
        ['/jobs/create', { ...body, update: true }],
      ] as const) {
        const res = await api().post(path, request);
        expect(res.status).toBe(409);
        expect(res.body.error.message).toBe(refusal);
      }
      expect(writes(mark)).toEqual([]);
      expect(await jenkinsConfig(job)).toBe(before);
      expect((await historyOf('DEV', job)).body.items).toEqual([]);
    });

    it('with force: replaced, and the hand-written config is in the history', async () => {
      const before = await jenkinsConfig(job);
      const res = await api().post('/jobs/create', {
        ...body,
        update: true,
        force: true,
      });
      expect(res.status).toBe(201);
      expect(res.body.jobs[0].action).toBe('updated');
      expect(await jenkinsConfig(job)).not.toBe(before);

      const [version] = (await historyOf('DEV', job)).body.items;
      expect(version).toMatchObject({
        action: 'job.update',
        sha256: sha256(before),
        auditId: res.body.jobs[0].auditId,
      });
      expect(
        (await api().get(`/jobs/history/${version.id}`)).body.configXml,
      ).toBe(before);
      const audit = await auditOf('DEV', job);
      expect(audit.find(e => e.id === version.auditId)).toMatchObject({
        action: 'job.update',
        parameters: { force: true },
      });

      // And the way back works for it too.
      const restore = await api().post('/jobs/restore', {
        vpc: 'DEV',
        job,
        versionId: version.id,
      });
      expect(restore.status).toBe(200);
      expect(await jenkinsConfig(job)).toBe(before);
    });
  });

  describe('in PROD (four eyes)', () => {
    const job = `PROD/${HAND_WRITTEN}`;
    const held = (res: any) => {
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        approvalRequired: true,
        approval: { status: 'pending' },
      });
      return res.body.requestId as string;
    };

    it('a forced update is held, executes after approval and keeps the config it replaced; a restore is held too, then executes', async () => {
      const original = await jenkinsConfig(job);
      // Without force the request is refused before anyone is asked.
      const refused = await api().post('/jobs/update', {
        ...SPEC,
        name: 'daily-settlement-report',
        vpcs: ['PROD'],
      });
      expect(refused.status).toBe(409);

      const updateId = held(
        await api().post('/jobs/update', {
          ...SPEC,
          name: 'daily-settlement-report',
          vpcs: ['PROD'],
          force: true,
        }),
      );
      const updated = await approveAndExecute(updateId);
      expect(updated.status).toBe(200);
      expect(updated.body.status).toBe('completed');
      const replaced = await jenkinsConfig(job);
      expect(replaced).not.toBe(original);

      const [version] = (await historyOf('PROD', job)).body.items;
      expect(version).toMatchObject({
        action: 'job.update',
        approvalId: updateId,
        sha256: sha256(original),
      });

      // The restore: held, nothing written until approved and executed.
      const mark = sandbox.requests.length;
      const restoreId = held(
        await api().post('/jobs/restore', {
          vpc: 'PROD',
          job,
          versionId: version.id,
          entityRef: 'component:default/payments-settlement',
        }),
      );
      expect(writes(mark)).toEqual([]);
      expect(await jenkinsConfig(job)).toBe(replaced);
      const request = (await api(BOB).get(`/approvals/${restoreId}`)).body;
      expect(request).toMatchObject({
        action: 'job.restore',
        vpc: 'PROD',
        target: job,
        entityRef: 'component:default/payments-settlement',
        review: {
          hash: sha256(original),
          targetHash: sha256(replaced),
          configs: [{ fullName: job, exists: true, configXml: original }],
        },
      });
      expect(request.review.configs[0].diff).toMatch(
        new RegExp(`^--- ${job}/config\\.xml \\(now\\)\\n`),
      );

      // Only the requester executes, after another person approved.
      expect(
        (await api(JANE).post(`/approvals/${restoreId}/execute`)).status,
      ).toBe(409);
      expect(writes(mark)).toEqual([]);
      const executed = await approveAndExecute(restoreId);
      expect(executed.status).toBe(200);
      expect(executed.body).toMatchObject({
        status: 'completed',
        result: { action: 'restored', versionId: version.id },
      });
      expect(await jenkinsConfig(job)).toBe(original);

      const audit = await auditOf('PROD', job);
      expect(
        audit.find(e => e.id === executed.body.result.auditId),
      ).toMatchObject({
        actor: JANE,
        action: 'job.restore',
        outcome: 'succeeded',
        entityRef: 'component:default/payments-settlement',
        detail: { approvalId: restoreId, approvedBy: BOB },
      });
      const [newest] = (await historyOf('PROD', job)).body.items;
      expect(newest).toMatchObject({
        action: 'job.restore',
        approvalId: restoreId,
        restoredVersionId: version.id,
        sha256: sha256(replaced),
      });
    });

    it('refuses an approved restore whose target changed since the request, and writes nothing', async () => {
      const [version] = (await historyOf('PROD', job)).body.items;
      const restoreId = held(
        await api().post('/jobs/restore', {
          vpc: 'PROD',
          job,
          versionId: version.id,
        }),
      );
      expect(
        (await api(BOB).post(`/approvals/${restoreId}/approve`)).status,
      ).toBe(200);
      // Someone edits the job in Jenkins after the request.
      const item = sandbox.world.item(job) as any;
      item.configXml = item.configXml.replace('H 2 * * *', 'H 6 * * *');
      const edited = await jenkinsConfig(job);
      const mark = sandbox.requests.length;
      const res = await api(JANE).post(`/approvals/${restoreId}/execute`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(
        new RegExp(`The target ${job} changed since the request`),
      );
      expect(writes(mark)).toEqual([]);
      expect(await jenkinsConfig(job)).toBe(edited);
    });
  });
});
