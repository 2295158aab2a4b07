import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AwsServer,
  AwsWorld,
  createAwsWorld,
  seedInstancesForNodes,
  startAwsServer,
} from './index';

/** The AWS CLI is optional on a developer machine; the suite does not depend on it. */
const cli = spawnSync('aws', ['--version'], { encoding: 'utf8' });
const hasCli = cli.status === 0;
if (!hasCli) {
  // eslint-disable-next-line no-console
  console.warn('Skipping the AWS CLI tests: no working `aws` binary on PATH');
}
const describeWithCli = hasCli ? describe : describe.skip;

describeWithCli('the AWS CLI against the endpoint', () => {
  let world: AwsWorld;
  let server: AwsServer;
  let home: string;

  beforeAll(async () => {
    world = createAwsWorld({
      seed: 3,
      clock: { now: () => Date.UTC(2026, 10, 2, 9) },
      vpcs: ['DEV', 'STG'],
    });
    seedInstancesForNodes(world, [
      {
        name: 'i-0aaaaaaaaaaaaaaa1-EC2-AGENT',
        labels: ['DEV-batch-agent'],
        offline: false,
      },
      {
        name: 'i-0aaaaaaaaaaaaaaa2-EC2-AGENT',
        labels: ['STG-worker-agent'],
        offline: false,
      },
    ]);
    server = await startAwsServer({ world, port: 0 });
    home = mkdtempSync(join(tmpdir(), 'aws-cli-'));
  });

  afterAll(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs `aws` asynchronously: the server answers from this same process. */
  function aws(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'aws',
        ['--endpoint-url', server.url, '--output', 'json', ...args],
        {
          env: {
            PATH: process.env.PATH,
            HOME: home,
            AWS_ACCESS_KEY_ID: 'whatever',
            AWS_SECRET_ACCESS_KEY: 'whatever',
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_CONFIG_FILE: join(home, 'config'),
            AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_PAGER: '',
          },
          timeout: 60_000,
        },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`${error.message}\n${stderr}`))
            : resolve(stdout),
      );
    });
  }

  it('describes instances with a tag filter', async () => {
    const out = JSON.parse(
      await aws(
        'ec2',
        'describe-instances',
        '--filters',
        'Name=tag:Name,Values=STG-BATCH-AGENT',
      ),
    );
    const instances = out.Reservations.flatMap((r: any) => r.Instances);
    expect(instances.map((i: any) => i.InstanceId)).toEqual([
      'i-0aaaaaaaaaaaaaaa2',
    ]);
    expect(instances[0].State).toEqual({ Code: 16, Name: 'running' });
    expect(instances[0].Tags).toEqual(
      expect.arrayContaining([{ Key: 'AgentType', Value: 'STG-worker-agent' }]),
    );
  }, 60_000);

  it('launches from a launch template and terminates', async () => {
    const run = JSON.parse(
      await aws(
        'ec2',
        'run-instances',
        '--launch-template',
        'LaunchTemplateName=DEV-BATCH-JENKINS-AGENT',
        '--count',
        '1',
        '--client-token',
        'cli-launch-1',
        '--tag-specifications',
        'ResourceType=instance,Tags=[{Key=LaunchedBy,Value=cli}]',
      ),
    );
    const id = run.Instances[0].InstanceId;
    expect(run.Instances[0].State.Name).toBe('pending');
    const out = JSON.parse(
      await aws('ec2', 'terminate-instances', '--instance-ids', id),
    );
    expect(out.TerminatingInstances[0].CurrentState.Name).toBe('shutting-down');

    const missing = await aws(
      'ec2',
      'describe-launch-templates',
      '--launch-template-names',
      'QA-BATCH-JENKINS-AGENT',
    ).catch(e => e.message);
    expect(missing).toContain('InvalidLaunchTemplateName.NotFoundException');
  }, 60_000);

  it('moves a launch template to a new AMI: images, versions, default, launches', async () => {
    const images = JSON.parse(
      await aws('ec2', 'describe-images', '--owners', 'self'),
    ).Images;
    expect(images).toHaveLength(2);
    const newest = [...images].sort((a: any, b: any) =>
      b.CreationDate.localeCompare(a.CreationDate),
    )[0];
    expect(newest.CreationDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    const created = JSON.parse(
      await aws(
        'ec2',
        'create-launch-template-version',
        '--launch-template-name',
        'DEV-BATCH-JENKINS-AGENT',
        '--source-version',
        '1',
        '--version-description',
        'new AMI',
        '--launch-template-data',
        JSON.stringify({ ImageId: newest.ImageId }),
      ),
    ).LaunchTemplateVersion;
    expect(created).toMatchObject({
      VersionNumber: 2,
      DefaultVersion: false,
      LaunchTemplateData: { ImageId: newest.ImageId, InstanceType: 'm5.large' },
    });
    const modified = JSON.parse(
      await aws(
        'ec2',
        'modify-launch-template',
        '--launch-template-name',
        'DEV-BATCH-JENKINS-AGENT',
        '--default-version',
        '2',
      ),
    ).LaunchTemplate;
    expect(modified).toMatchObject({
      DefaultVersionNumber: 2,
      LatestVersionNumber: 2,
    });
    const versions = JSON.parse(
      await aws(
        'ec2',
        'describe-launch-template-versions',
        '--launch-template-name',
        'DEV-BATCH-JENKINS-AGENT',
        '--versions',
        '$Default',
      ),
    ).LaunchTemplateVersions;
    expect(
      versions.map((v: any) => [v.VersionNumber, v.DefaultVersion]),
    ).toEqual([[2, true]]);
    const run = JSON.parse(
      await aws(
        'ec2',
        'run-instances',
        '--launch-template',
        'LaunchTemplateName=DEV-BATCH-JENKINS-AGENT',
        '--count',
        '1',
      ),
    );
    expect(run.Instances[0].ImageId).toBe(newest.ImageId);
    expect(run.Instances[0].Tags).toEqual(
      expect.arrayContaining([
        { Key: 'aws:ec2launchtemplate:version', Value: '2' },
      ]),
    );
  }, 60_000);

  it('copies a file to and from the backups bucket (multipart above 8 MB)', async () => {
    const file = join(home, 'backup.tar.gz');
    writeFileSync(file, Buffer.alloc(9_000_000, 7));
    await aws('s3', 'cp', file, 's3://jenkins-backups/cli/backup.tar.gz');
    expect(
      world.s3.getObject('jenkins-backups', 'cli/backup.tar.gz').body.length,
    ).toBe(9_000_000);
    expect(
      world.requests.filter(r => r.service === 's3').map(r => r.action),
    ).toEqual(
      expect.arrayContaining([
        'CreateMultipartUpload',
        'UploadPart',
        'CompleteMultipartUpload',
      ]),
    );

    const listed = JSON.parse(
      await aws(
        's3api',
        'list-objects-v2',
        '--bucket',
        'jenkins-backups',
        '--prefix',
        'cli/',
      ),
    );
    expect(listed.Contents.map((o: any) => [o.Key, o.Size])).toEqual([
      ['cli/backup.tar.gz', 9_000_000],
    ]);

    const back = join(home, 'back.tar.gz');
    await aws('s3', 'cp', 's3://jenkins-backups/cli/backup.tar.gz', back);
    expect(readFileSync(back).equals(Buffer.alloc(9_000_000, 7))).toBe(true);
  }, 60_000);
});
