import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { AwsServer, AwsWorld, createAwsWorld, startAwsServer } from './index';

/*
 * Cross-account access with the real AWS SDK: STS AssumeRole into each
 * account's role, and EC2 calls whose reach is the role's account only
 * (another account's instances, templates and subnets do not exist for it),
 * while the main credentials see every account.
 */

const START = Date.UTC(2026, 10, 2, 9, 0);
const MAIN = { accessKeyId: 'AKIAMAINACCOUNT', secretAccessKey: 'main' };
const DEV_ACCOUNT = '111111111111';
const PROD_ACCOUNT = '222222222222';

describe('STS AssumeRole and account-scoped EC2', () => {
  let world: AwsWorld;
  let server: AwsServer;
  const clock = { now: () => START };

  beforeEach(async () => {
    world = createAwsWorld({
      seed: 42,
      clock,
      vpcs: ['DEV', 'STG', 'PROD'],
      vpcAccounts: { DEV: DEV_ACCOUNT, PROD: PROD_ACCOUNT },
    });
    for (const vpc of ['DEV', 'PROD']) {
      world.runInstances({
        launchTemplate: { name: `${vpc}-BATCH-JENKINS-AGENT` },
        minCount: 1,
        maxCount: 1,
        tags: [],
      } as any);
    }
    server = await startAwsServer({ world, port: 0 });
  });
  afterEach(() => server.close());

  const sts = (credentials = MAIN) =>
    new STSClient({ endpoint: server.url, region: 'us-east-1', credentials });
  const ec2 = (credentials: any) =>
    new EC2Client({
      endpoint: server.url,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });

  async function assume(account: string) {
    const res = await sts().send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/batch-jobs`,
        RoleSessionName: 'backstage',
      }),
    );
    expect(res.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${account}:assumed-role/batch-jobs/backstage`,
    );
    return {
      accessKeyId: res.Credentials!.AccessKeyId!,
      secretAccessKey: res.Credentials!.SecretAccessKey!,
      sessionToken: res.Credentials!.SessionToken!,
    };
  }

  const vpcsSeen = async (credentials: any) => {
    const res = await ec2(credentials).send(new DescribeInstancesCommand({}));
    const vpcIds = new Set(
      (res.Reservations ?? []).flatMap(r =>
        (r.Instances ?? []).map(i => i.VpcId),
      ),
    );
    return [...world.vpcs.values()]
      .filter(v => vpcIds.has(v.vpcId))
      .map(v => v.name);
  };

  it('hands out temporary credentials whose identity is the role’s account', async () => {
    const dev = await assume(DEV_ACCOUNT);
    expect(dev.accessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    const who = await sts(dev).send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe(DEV_ACCOUNT);
    expect(
      world.requests
        .filter(r => r.service === 'sts')
        .map(r => [r.action, r.status]),
    ).toEqual([
      ['AssumeRole', 200],
      ['GetCallerIdentity', 200],
    ]);
  });

  it('lets a role see and change its own account’s VPCs only', async () => {
    const dev = await assume(DEV_ACCOUNT);
    const prod = await assume(PROD_ACCOUNT);
    expect(await vpcsSeen(dev)).toEqual(['DEV']);
    expect(await vpcsSeen(prod)).toEqual(['PROD']);
    expect((await vpcsSeen(MAIN)).sort()).toEqual(['DEV', 'PROD']);

    const prodInstance = [...world.instances.values()].find(
      i => i.vpc === 'PROD',
    )!;
    await expect(
      ec2(dev).send(
        new TerminateInstancesCommand({
          InstanceIds: [prodInstance.instanceId],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
    expect(world.instances.get(prodInstance.instanceId)!.state).not.toBe(
      'shutting-down',
    );

    await expect(
      ec2(dev).send(
        new RunInstancesCommand({
          MinCount: 1,
          MaxCount: 1,
          LaunchTemplate: { LaunchTemplateName: 'PROD-BATCH-JENKINS-AGENT' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidLaunchTemplateName.NotFoundException',
    });

    const templates = await ec2(dev).send(
      new DescribeLaunchTemplatesCommand({}),
    );
    expect(
      templates.LaunchTemplates!.map(t => t.LaunchTemplateName).sort(),
    ).toEqual(['DEV-BATCH-JENKINS-AGENT', 'DEV-WORKER-JENKINS-AGENT']);

    // Each EC2 call is recorded with the account its credentials reached.
    const accounts = world.requests
      .filter(r => r.service === 'ec2' && r.accessKeyId === dev.accessKeyId)
      .map(r => r.account);
    expect(new Set(accounts)).toEqual(new Set([DEV_ACCOUNT]));
  });

  it('refuses a role in an account it does not know, and a bad ARN', async () => {
    await expect(
      sts().send(
        new AssumeRoleCommand({
          RoleArn: 'arn:aws:iam::999999999999:role/batch-jobs',
          RoleSessionName: 'backstage',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      sts().send(
        new AssumeRoleCommand({
          RoleArn: 'not-an-arn',
          RoleSessionName: 'backstage',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
