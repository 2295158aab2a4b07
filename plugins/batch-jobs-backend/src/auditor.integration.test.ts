import { mockServices } from '@backstage/backend-test-utils';
import {
  PAYMENTS_SETTLEMENT,
  PUSH_NOTIFIER,
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Every audited mutation also reaches Backstage's auditor service (what a
 * security team collects), through the real backend against the sandbox:
 * each row of the plugin's audit table has its auditor event, opened with
 * who did what where, and closed with the row's outcome. Secrets stay out.
 */

jest.setTimeout(120_000);

const MIGRATE = 'DEV/payments-settlement/migrate-ledger';
const RECONCILE = 'DEV/payments-settlement/settlement-reconcile';
const REPORT = 'DEV/payments-settlement/daily-settlement-report';
const PASSWORD = 'auditor-must-not-see-this';

interface Captured {
  options: any;
  success: jest.Mock;
  fail: jest.Mock;
}

describe('auditor events for every mutation', () => {
  let sandbox: Sandbox;
  let server: any;
  const events: Captured[] = [];
  const auditor = mockServices.auditor.mock({
    createEvent: async (options: any) => {
      const e: Captured = {
        options,
        success: jest.fn(async () => {}),
        fail: jest.fn(async () => {}),
      };
      events.push(e);
      return { success: e.success, fail: e.fail };
    },
  });

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    server = (
      await startSandboxBackend(sandbox, {
        aws: {},
        batchJobs: {
          fleet: { connectTimeoutSeconds: 3, pollIntervalSeconds: 0.2 },
        },
        entities: [PAYMENTS_SETTLEMENT, PUSH_NOTIFIER],
        features: [auditor.factory],
      })
    ).server;
  });

  afterAll(() => closeSandbox(sandbox));

  const api = () => apiOf(server);
  const eventOf = (auditId: string) =>
    events.filter(e => e.options.meta?.auditId === auditId);

  async function untilSettled(vpc: string, timeoutMs = 15_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const res = await api().get('/audit', { vpc, limit: 100 });
      expect(res.status).toBe(200);
      const pending = res.body.items.filter(
        (r: any) => r.outcome === 'pending',
      );
      if (pending.length === 0 || Date.now() > end) return res.body.items;
      await sandbox.advance(5_000);
      await new Promise(r => setTimeout(r, 200));
    }
  }

  it('opens and closes one auditor event per audit row: run, pause, resume, rerun, stop, launch, terminate', async () => {
    const run = await api().post(
      '/jobs/run',
      {
        vpc: 'DEV',
        job: MIGRATE,
        entityRef: 'component:default/payments-settlement',
        parameters: {
          MIGRATION_DATE: '2026-11-05',
          DRY_RUN: true,
          TARGET: 'ledger',
          DB_PASSWORD: PASSWORD,
        },
      },
      'auditor-run-1',
    );
    expect(run.status).toBe(202);
    const stop = await api().post('/builds/stop', {
      vpc: 'DEV',
      job: MIGRATE,
      queueItemId: run.body.queueItemId,
    });
    expect(stop.status).toBe(200);

    expect(
      (
        await api().post('/jobs/disable', {
          vpc: 'DEV',
          job: RECONCILE,
          reason: 'DB migration',
        })
      ).status,
    ).toBe(200);
    expect(
      (await api().post('/jobs/enable', { vpc: 'DEV', job: RECONCILE })).status,
    ).toBe(200);

    const finished = (sandbox.world.item(REPORT) as any).builds
      .filter((b: any) => b.result !== null)
      .at(-1).number;
    const rerun = await api().post('/builds/rerun', {
      vpc: 'DEV',
      job: REPORT,
      number: finished,
    });
    expect(rerun.status).toBe(202);

    const launch = await api().post('/fleet/agents', {
      vpc: 'DEV',
      type: 'batch',
      reason: 'auditor test',
    });
    expect(launch.status).toBe(202);
    await sandbox.advance(30_000);
    let op: any;
    for (let i = 0; i < 50; i++) {
      op = (await api().get(`/fleet/operations/${launch.body.id}`)).body;
      if (op.state !== 'running') break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect(op.state).toBe('succeeded');
    const terminate = await api().del(`/fleet/agents/${op.node}`, {
      vpc: 'DEV',
      reason: 'auditor test',
    });
    expect(terminate.status).toBeLessThan(300);

    const rows: any[] = await untilSettled('DEV');
    const actions = new Set(rows.map(r => r.action));
    for (const action of [
      'job.run',
      'build.stop',
      'job.pause',
      'job.resume',
      'build.rerun',
      'agent.launch',
      'agent.terminate',
    ]) {
      expect(actions).toContain(action);
    }

    for (const row of rows) {
      const matching = eventOf(row.id);
      // One event per row, named after the action, saying who did what where.
      expect({ action: row.action, events: matching.length }).toEqual({
        action: row.action,
        events: 1,
      });
      const [event] = matching;
      expect(event.options).toMatchObject({
        eventId: row.action.replace(/\./g, '-'),
        severityLevel: expect.stringMatching(/^(medium|high)$/),
        meta: {
          auditId: row.id,
          action: row.action,
          actor: 'user:default/jane',
          vpc: 'DEV',
          target: row.target,
        },
      });
    }
    // Each settled row's event is closed with the row's outcome, once (a row
    // still pending may yet settle: its event is not checked).
    const settled = rows.filter(
      row => row.outcome === 'succeeded' || row.outcome === 'failed',
    );
    for (const row of settled) {
      const [event] = eventOf(row.id);
      expect(event.success).toHaveBeenCalledTimes(
        row.outcome === 'succeeded' ? 1 : 0,
      );
      expect(event.fail).toHaveBeenCalledTimes(
        row.outcome === 'failed' ? 1 : 0,
      );
    }
    expect(
      events.find(e => e.options.meta?.action === 'agent.terminate')!.options
        .severityLevel,
    ).toBe('high');

    // The password typed into the run form reaches neither the table nor the auditor.
    const everything = JSON.stringify(
      events.map(e => [
        e.options.meta,
        e.success.mock.calls,
        e.fail.mock.calls,
      ]),
    );
    expect(everything).toContain('MIGRATION_DATE');
    expect(everything).not.toContain(PASSWORD);
  });

  it('reports a failed action as a failure with its error', async () => {
    // The sandbox's Jenkins refuses the build: the row fails, and so does the event.
    sandbox.faults.set({
      path: '/job/DEV/**/build*',
      method: 'POST',
      status: 500,
    });
    const before = events.length;
    const res = await api().post('/jobs/run', {
      vpc: 'DEV',
      job: REPORT,
      entityRef: 'component:default/payments-settlement',
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const opened = events
      .slice(before)
      .filter(e => e.options.meta?.action === 'job.run');
    expect(opened).toHaveLength(1);
    expect(opened[0].success).not.toHaveBeenCalled();
    expect(opened[0].fail).toHaveBeenCalledTimes(1);
    expect(opened[0].fail.mock.calls[0][0].error).toBeInstanceOf(Error);
    sandbox.faults.clear();
  });
});
