import {
  Sandbox,
  TEST_OWNERSHIP,
  api,
  closeSandbox,
  component,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Multibranch branch jobs carry their branch's slash encoded in the name
 * (`feature%2FORD-214`, `/job/feature%252FORD-214/` in a URL). Every job
 * action must reach that job through the real backend and the sandbox.
 */

jest.setTimeout(60_000);

const BRANCH_JOB = 'DEV/orders/multibranch/feature%2FORD-214';
const ORDERS = component('orders', {
  'batch-jobs.io/jobs': 'orders/multibranch',
});
const ORDERS_REF = 'component:default/orders';

describe('a multibranch branch job with %2F in its name', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ({ server } = await startSandboxBackend(sandbox, {
      entities: [ORDERS],
      batchJobs: {
        stop: { escalateAfterSeconds: 0.3 },
        ownership: [
          ...TEST_OWNERSHIP,
          { entity: ORDERS_REF, jobs: ['orders/multibranch'] },
        ],
      },
    }));
  });

  afterAll(() => closeSandbox(sandbox));

  const branchJob = () => sandbox.world.item(BRANCH_JOB) as any;
  /** The Jenkins paths the sandbox was asked for since `mark`. */
  const jenkinsPaths = (mark: number) =>
    sandbox.requests.slice(mark).map(r => r.path);

  it('lists the branch job under its multibranch project', async () => {
    const res = await api(server).get('/entity/default/component/orders/jobs');
    expect(res.status).toBe(200);
    const dev = res.body.vpcs.find((v: any) => v.vpc === 'DEV');
    expect(dev.jobs.map((j: any) => j.fullName)).toEqual(
      expect.arrayContaining([BRANCH_JOB, 'DEV/orders/multibranch/main']),
    );
  });

  it('reads its builds and a log, asking Jenkins for the encoded name', async () => {
    const mark = sandbox.requests.length;
    const builds = await api(server).get('/builds', {
      vpc: 'DEV',
      job: BRANCH_JOB,
    });
    expect(builds.status).toBe(200);
    expect(builds.body.items.length).toBeGreaterThan(0);
    const number = builds.body.items[0].number;
    expect(number).toBe(branchJob().builds.at(-1).number);

    const log = await api(server)
      .get('/builds/log', { vpc: 'DEV', job: BRANCH_JOB, number })
      .buffer(true)
      .parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => cb(null, text));
      });
    expect(log.status).toBe(200);
    expect(log.body).toContain('Started by');
    expect(jenkinsPaths(mark)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/job/multibranch/job/feature%252FORD-214/'),
      ]),
    );
  });

  it('runs, reruns, stops, pauses and resumes it', async () => {
    const run = await api(server).post(
      '/jobs/run',
      { vpc: 'DEV', job: BRANCH_JOB, entityRef: ORDERS_REF, parameters: {} },
      'mb-run-1',
    );
    expect(run.status).toBe(202);
    await sandbox.advance(10_000);
    const started = branchJob().builds.at(-1);
    expect(started.result).toBeNull();

    const stop = await api(server).post('/builds/stop', {
      vpc: 'DEV',
      job: BRANCH_JOB,
      number: started.number,
      entityRef: ORDERS_REF,
    });
    expect(stop.status).toBe(200);
    expect(stop.body.outcome).toBe('stopped');
    expect(started.result).toBe('ABORTED');

    const rerun = await api(server).post(
      '/builds/rerun',
      {
        vpc: 'DEV',
        job: BRANCH_JOB,
        number: started.number,
        entityRef: ORDERS_REF,
      },
      'mb-rerun-1',
    );
    expect(rerun.status).toBe(202);
    expect(sandbox.world.queueItemOfJob(branchJob())).toBeDefined();

    const pause = await api(server).post('/jobs/disable', {
      vpc: 'DEV',
      job: BRANCH_JOB,
      reason: 'branch under review',
      entityRef: ORDERS_REF,
    });
    expect(pause.status).toBe(200);
    expect(branchJob().disabled).toBe(true);

    const resume = await api(server).post('/jobs/enable', {
      vpc: 'DEV',
      job: BRANCH_JOB,
      entityRef: ORDERS_REF,
    });
    expect(resume.status).toBe(200);
    expect(branchJob().disabled).toBe(false);
  });

  it.each(['DEV/orders/multibranch/feature%252FORD-214', 'DEV/orders/%2e%2e'])(
    'still refuses any other escape: %s',
    async job => {
      const res = await api(server).get('/builds', { vpc: 'DEV', job });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(
        /character Jenkins does not allow/,
      );
    },
  );
});
