import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * VPCs in different AWS accounts, reached through roles assumed with
 * Backstage's AWS integration (aws.mainAccount + aws.accounts[].roleName),
 * against the sandbox's STS and EC2: the sandbox hands out credentials
 * scoped to the role's account and lets them see that account's VPCs only,
 * so each call shows which credentials the backend used.
 */

jest.setTimeout(120_000);

const DEV_ACCOUNT = '111111111111';
const PROD_ACCOUNT = '222222222222';
const MAIN_KEY = 'AKIAMAINACCOUNTKEY';

describe('VPCs in two AWS accounts through assumed roles', () => {
  let sandbox: Sandbox;
  const stsEndpoint = process.env.AWS_ENDPOINT_URL_STS;

  beforeAll(async () => {
    sandbox = await startTestSandbox({
      awsAccounts: { DEV: DEV_ACCOUNT, PROD: PROD_ACCOUNT },
    });
    // The AWS integration's STS client, pointed at the sandbox as an SDK
    // setting (the integration has no endpoint option).
    process.env.AWS_ENDPOINT_URL_STS = sandbox.awsUrl;
  });

  afterAll(async () => {
    if (stsEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
    else process.env.AWS_ENDPOINT_URL_STS = stsEndpoint;
    await closeSandbox(sandbox);
  });

  const start = (
    accounts: { DEV: string; PROD: string },
    extra: Record<string, unknown> = {},
  ) => {
    const vpc = (name: string, aws: Record<string, unknown>) => ({
      name,
      jenkins: 'sandbox',
      folder: name,
      aws: {
        region: 'us-east-1',
        endpoint: sandbox.awsUrl,
        maxAttempts: 1,
        ...aws,
      },
    });
    return startSandboxBackend(sandbox, {
      root: {
        aws: {
          mainAccount: {
            accessKeyId: MAIN_KEY,
            secretAccessKey: 'main-secret',
          },
          accounts: [
            { accountId: DEV_ACCOUNT, roleName: 'batch-jobs' },
            { accountId: PROD_ACCOUNT, roleName: 'batch-jobs' },
          ],
        },
      },
      batchJobs: {
        vpcs: [
          vpc('DEV', { accountId: accounts.DEV }),
          // STG stays in the main account with its own static keys.
          vpc('STG', {
            credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
          }),
          vpc('PROD', { accountId: accounts.PROD }),
        ],
        fleet: { connectTimeoutSeconds: 3, pollIntervalSeconds: 0.2 },
        ...extra,
      },
    });
  };

  const ec2StatesOf = (fleet: any, vpc: string) =>
    fleet.vpcs
      .find((v: any) => v.vpc === vpc)
      .agents.filter((a: any) => a.ec2State)
      .map((a: any) => a.ec2State);

  it('reads each VPC with its own account’s role, never with the main keys', async () => {
    const { server } = await start({ DEV: DEV_ACCOUNT, PROD: PROD_ACCOUNT });
    const mark = sandbox.aws.requests.length;
    const res = await apiOf(server).get('/fleet');
    expect(res.status).toBe(200);
    for (const vpc of ['DEV', 'STG', 'PROD']) {
      expect(
        res.body.vpcs.find((v: any) => v.vpc === vpc).ec2Error,
      ).toBeUndefined();
      expect(ec2StatesOf(res.body, vpc)).toContain('running');
    }
    const calls = sandbox.aws.requests.slice(mark);
    const assumed = calls.filter(
      r => r.service === 'sts' && r.action === 'AssumeRole',
    );
    expect(assumed.map(r => [r.status, r.accessKeyId])).toEqual([
      [200, MAIN_KEY],
      [200, MAIN_KEY],
    ]);
    const ec2 = calls.filter(r => r.service === 'ec2');
    expect(ec2.length).toBeGreaterThanOrEqual(3);
    // The main keys only ever assume roles; EC2 sees the roles' keys (and STG's own).
    expect(ec2.filter(r => r.accessKeyId === MAIN_KEY)).toEqual([]);
    expect(new Set(ec2.map(r => r.account ?? r.accessKeyId))).toEqual(
      new Set([DEV_ACCOUNT, PROD_ACCOUNT, 'sandbox']),
    );
  });

  it('launches a PROD agent through PROD’s role', async () => {
    const { server } = await start({ DEV: DEV_ACCOUNT, PROD: PROD_ACCOUNT });
    const mark = sandbox.aws.requests.length;
    const res = await apiOf(server).post('/fleet/agents', {
      vpc: 'PROD',
      type: 'batch',
    });
    expect(res.status).toBe(202);
    await sandbox.advance(30_000);
    let op: any;
    for (let i = 0; i < 50; i++) {
      op = (await apiOf(server).get(`/fleet/operations/${res.body.id}`)).body;
      if (op.state !== 'running') break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect(op.state).toBe('succeeded');
    const run = sandbox.aws.requests
      .slice(mark)
      .filter(r => r.action === 'RunInstances' && r.status === 200);
    expect(run.map(r => r.account)).toEqual([PROD_ACCOUNT]);
    expect(sandbox.aws.instances.get(op.instanceId)!.vpc).toBe('PROD');
  });

  it('sees none of DEV’s instances when DEV is configured with the wrong account', async () => {
    const { server } = await start({ DEV: PROD_ACCOUNT, PROD: PROD_ACCOUNT });
    const res = await apiOf(server).get('/fleet', { vpc: 'DEV' });
    expect(res.status).toBe(200);
    // PROD's role reaches no DEV instance: DEV's Jenkins nodes show no EC2 side.
    expect(ec2StatesOf(res.body, 'DEV')).toEqual([]);
  });

  it('backs Jenkins up into a bucket of another account through that account’s role', async () => {
    const { server } = await start(
      { DEV: DEV_ACCOUNT, PROD: PROD_ACCOUNT },
      {
        routines: {
          'jenkins-backup': {
            frequency: { trigger: 'manual' },
            job: 'jenkins-backup',
            pollInterval: { milliseconds: 50 },
            waitTimeout: { seconds: 60 },
            s3: {
              bucket: 'jenkins-backups',
              prefix: 'jenkins/',
              region: 'us-east-1',
              endpoint: sandbox.awsUrl,
              accountId: DEV_ACCOUNT,
            },
          },
        },
      },
    );
    const mark = sandbox.aws.requests.length;
    const started = await apiOf(server).post('/routines/jenkins-backup/run', {
      dryRun: false,
    });
    expect(started.status).toBe(202);
    let run: any;
    for (const end = Date.now() + 60_000; Date.now() < end; ) {
      run = (await apiOf(server).get(`/routines/runs/${started.body.runId}`))
        .body;
      if (run.outcome !== 'running') break;
      await sandbox.advance(20_000);
    }
    expect(run).toMatchObject({
      outcome: 'succeeded',
      summary: expect.stringMatching(/verified/),
    });
    const s3 = sandbox.aws.requests.slice(mark).filter(r => r.service === 's3');
    expect(s3.length).toBeGreaterThan(0);
    // Every S3 call the backend made was signed with DEV's assumed role.
    expect(
      new Set(s3.map(r => sandbox.aws.sessionAccount(r.accessKeyId))),
    ).toEqual(new Set([DEV_ACCOUNT]));
  });
});
