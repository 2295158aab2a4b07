import {
  PAYMENTS_SETTLEMENT,
  Sandbox,
  api,
  closeSandbox,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * The EC2 SDK is tens of megabytes of resident code. A backend whose VPCs
 * have no AWS configured (jobs only) never loads it; one that has AWS
 * loads it once, when it builds its clients.
 */

// Counts loads of the real SDK (the module itself is untouched) on a
// global: the factory may run while this file's imports are evaluated.
jest.mock('@aws-sdk/client-ec2', () => {
  const counter = globalThis as { ec2SdkLoads?: number };
  counter.ec2SdkLoads = (counter.ec2SdkLoads ?? 0) + 1;
  return jest.requireActual('@aws-sdk/client-ec2');
});
const ec2SdkLoads = () =>
  (globalThis as { ec2SdkLoads?: number }).ec2SdkLoads ?? 0;

jest.setTimeout(60_000);

describe('loading the EC2 SDK', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterAll(() => closeSandbox(sandbox));

  it('is left out by a backend without AWS, which lists jobs and its fleet of Jenkins nodes', async () => {
    const { server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
    });
    const jobs = await api(server).get(
      '/entity/default/component/payments-settlement/jobs',
    );
    expect(jobs.status).toBe(200);
    expect(jobs.body.vpcs.length).toBeGreaterThan(0);
    const awsBefore = sandbox.aws.requests.length;
    const fleet = await api(server).get('/fleet', { vpc: 'DEV' });
    expect(fleet.status).toBe(200);
    expect(sandbox.aws.requests.length).toBe(awsBefore);
    expect(ec2SdkLoads()).toBe(0);
  });

  it('is loaded once by a backend with AWS, whose fleet reads EC2', async () => {
    const { server } = await startSandboxBackend(sandbox, {
      entities: [PAYMENTS_SETTLEMENT],
      aws: {},
    });
    expect(ec2SdkLoads()).toBe(1);
    const awsBefore = sandbox.aws.requests.length;
    const fleet = await api(server).get('/fleet', { vpc: 'DEV' });
    expect(fleet.status).toBe(200);
    const describes = sandbox.aws.requests
      .slice(awsBefore)
      .filter(r => r.action === 'DescribeInstances');
    expect(describes.length).toBeGreaterThan(0);
    expect(ec2SdkLoads()).toBe(1);
  });
});
