import {
  CreateLaunchTemplateVersionCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  DescribeTagsCommand,
  EC2Client,
  Instance,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import {
  AwsServer,
  AwsWorld,
  Ec2Instance,
  InstanceStateName,
  createAwsWorld,
  jenkinsAgentOf,
  seedInstancesForNodes,
  startAwsServer,
} from './index';

const START = Date.UTC(2026, 10, 2, 9, 0);
const SECOND = 1000;
const HOUR = 3_600_000;

class TestClock {
  constructor(public time: number) {}
  now() {
    return this.time;
  }
}

describe('EC2 Query API', () => {
  let clock: TestClock;
  let world: AwsWorld;
  let server: AwsServer;
  let ec2: EC2Client;

  beforeEach(async () => {
    clock = new TestClock(START);
    world = createAwsWorld({ seed: 42, clock, vpcs: ['DEV', 'STG', 'PROD'] });
    server = await startAwsServer({ world, port: 0 });
    ec2 = client(server.url);
  });

  afterEach(async () => {
    ec2.destroy();
    await server.close();
  });

  function client(endpoint: string, maxAttempts = 1) {
    return new EC2Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAANYKEY', secretAccessKey: 'anything' },
      maxAttempts,
    });
  }

  /** Moves the clock, applying state changes at their own times. */
  function advance(ms: number) {
    clock.time += ms;
    world.advance(clock.time);
  }

  function launchWorker(
    clientToken: string,
    extraTags: Array<{ Key: string; Value: string }> = [],
  ) {
    return ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: {
          LaunchTemplateName: 'STG-WORKER-JENKINS-AGENT',
          Version: '$Default',
        },
        MinCount: 1,
        MaxCount: 1,
        ClientToken: clientToken,
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Name', Value: 'STG-BATCH-AGENT' },
              { Key: 'AgentType', Value: 'STG-worker-agent' },
              { Key: 'LaunchedBy', Value: 'user:default/jane.doe' },
              ...extraTags,
            ],
          },
        ],
      }),
    );
  }

  function tagsOf(instance: Instance | undefined): Record<string, string> {
    return Object.fromEntries(
      (instance?.Tags ?? []).map(t => [t.Key!, t.Value!]),
    );
  }

  it('launches from a launch template with tags, idempotently on ClientToken', async () => {
    const first = await launchWorker('launch-1');
    const again = await launchWorker('launch-1');

    expect(first.Instances).toHaveLength(1);
    const instance = first.Instances![0];
    expect(again.ReservationId).toBe(first.ReservationId);
    expect(again.Instances!.map(i => i.InstanceId)).toEqual([
      instance.InstanceId,
    ]);
    expect(world.instances.size).toBe(1);

    const stg = world.vpcs.get('STG')!;
    expect(instance.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(first.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    expect(first.OwnerId).toBe('123456789012');
    expect(instance.State).toEqual({ Code: 0, Name: 'pending' });
    expect(instance.InstanceType).toBe('m5.xlarge');
    expect(instance.ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    expect(instance.VpcId).toBe(stg.vpcId);
    expect(instance.SubnetId).toBe(stg.subnetId);
    expect(instance.PrivateIpAddress).toMatch(/^10\.20\.1\.\d+$/);
    expect(instance.PrivateDnsName).toBe(
      `ip-${instance.PrivateIpAddress!.replace(/\./g, '-')}.ec2.internal`,
    );
    expect(instance.LaunchTime).toEqual(new Date(START));
    expect(instance.ClientToken).toBe('launch-1');
    expect(instance.Placement?.AvailabilityZone).toBe(stg.availabilityZone);
    const template = world.launchTemplates.find(
      t => t.launchTemplateName === 'STG-WORKER-JENKINS-AGENT',
    )!;
    expect(tagsOf(instance)).toEqual({
      Name: 'STG-BATCH-AGENT',
      AgentType: 'STG-worker-agent',
      LaunchedBy: 'user:default/jane.doe',
      'aws:ec2launchtemplate:id': template.launchTemplateId,
      'aws:ec2launchtemplate:version': '1',
    });
    expect(jenkinsAgentOf(world.instances.get(instance.InstanceId!)!)).toEqual({
      nodeName: `${instance.InstanceId}-EC2-AGENT`,
      label: 'STG-worker-agent',
      executors: 1,
      vpc: 'STG',
      type: 'worker',
    });
  });

  it('rejects a reused ClientToken with different parameters', async () => {
    await launchWorker('launch-2');
    const error = await launchWorker('launch-2', [
      { Key: 'Reason', Value: 'other' },
    ]).catch(e => e);
    expect(error.name).toBe('IdempotentParameterMismatch');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(world.instances.size).toBe(1);
  });

  it('lets the SDK fill in a ClientToken: two calls without one start two instances', async () => {
    const send = () =>
      ec2.send(
        new RunInstancesCommand({
          LaunchTemplate: { LaunchTemplateName: 'DEV-BATCH-JENKINS-AGENT' },
          MinCount: 1,
          MaxCount: 1,
        }),
      );
    const [a, b] = [await send(), await send()];
    expect(a.Instances![0].ClientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.Instances![0].InstanceId).not.toBe(b.Instances![0].InstanceId);
    // The batch template tags its instances itself; batch agents carry no AgentType.
    expect(tagsOf(a.Instances![0])).toMatchObject({ Name: 'DEV-BATCH-AGENT' });
    expect(tagsOf(a.Instances![0]).AgentType).toBeUndefined();
    expect(a.Instances![0].InstanceType).toBe('m5.large');
  });

  it('boots pending instances on the clock and terminates them through shutting-down', async () => {
    const changes: Array<
      [string, InstanceStateName | null, InstanceStateName, number]
    > = [];
    world.onInstanceStateChange((instance: Ec2Instance, previous, at) =>
      changes.push([instance.instanceId, previous, instance.state, at]),
    );
    const id = (await launchWorker('launch-3')).Instances![0].InstanceId!;
    expect(changes).toEqual([[id, null, 'pending', START]]);

    advance(4 * SECOND);
    expect(world.instances.get(id)!.state).toBe('pending');
    advance(20 * SECOND);
    expect(changes).toHaveLength(2);
    const [, previous, state, at] = changes[1];
    expect([previous, state]).toEqual(['pending', 'running']);
    expect(at).toBeGreaterThanOrEqual(START + 5 * SECOND);
    expect(at).toBeLessThanOrEqual(START + 20 * SECOND);

    const described = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [id] }),
    );
    expect(described.Reservations![0].Instances![0].State).toEqual({
      Code: 16,
      Name: 'running',
    });

    const terminated = await ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [id] }),
    );
    expect(terminated.TerminatingInstances).toEqual([
      {
        InstanceId: id,
        CurrentState: { Code: 32, Name: 'shutting-down' },
        PreviousState: { Code: 16, Name: 'running' },
      },
    ]);
    advance(30 * SECOND);
    expect(changes.slice(2).map(c => [c[1], c[2]])).toEqual([
      ['running', 'shutting-down'],
      ['shutting-down', 'terminated'],
    ]);
    const after = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [id] }),
    );
    const instance = after.Reservations![0].Instances![0];
    expect(instance.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(instance.PrivateIpAddress).toBeUndefined();
    expect(instance.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    expect(instance.StateTransitionReason).toMatch(
      /^User initiated \(2026-11-02 09:00:\d\d GMT\)$/,
    );

    // Terminating again reports terminated → terminated, as EC2 does.
    const twice = await ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [id] }),
    );
    expect(twice.TerminatingInstances![0].PreviousState?.Name).toBe(
      'terminated',
    );

    // About an hour later EC2 forgets the instance.
    advance(HOUR);
    const gone = await ec2
      .send(new DescribeInstancesCommand({ InstanceIds: [id] }))
      .catch(e => e);
    expect(gone.name).toBe('InvalidInstanceID.NotFound');
    expect(gone.message).toBe(`The instance ID '${id}' does not exist`);
  });

  describe('with the seeded fleet', () => {
    const nodes = ['DEV', 'STG', 'PROD'].flatMap((vpc, v) => [
      node(`i-0${v}aaaaaaaaaaaaaa1`, `${vpc}-batch-agent`),
      node(`i-0${v}aaaaaaaaaaaaaa2`, `${vpc}-batch-agent`),
      node(`i-0${v}aaaaaaaaaaaaaa3`, `${vpc}-worker-agent`),
    ]);
    const gone = {
      ...node('i-0ffffffffffffffff', 'DEV-batch-agent'),
      offline: true,
      offlineCause: { timestamp: START - 26 * HOUR },
    };
    const paused = {
      ...node('i-0eeeeeeeeeeeeeeee', 'STG-batch-agent'),
      offline: true,
      temporarilyOffline: true,
    };

    function node(id: string, label: string) {
      return {
        name: `${id}-EC2-AGENT`,
        labels: [label],
        offline: false,
        connectedSince: START - 5 * HOUR,
      };
    }

    let orphanId: string;
    beforeEach(() => {
      const seeded = seedInstancesForNodes(world, [...nodes, gone, paused]);
      orphanId = seeded.orphan!.instanceId;
    });

    it('seeds running instances for agents, none visible for a gone agent, and an orphan', async () => {
      const ids: string[] = [];
      for await (const page of paginateDescribeInstances(
        { client: ec2, pageSize: 5 },
        {},
      )) {
        for (const r of page.Reservations ?? [])
          for (const i of r.Instances ?? []) ids.push(i.InstanceId!);
      }
      expect(ids).toHaveLength(9 + 1 + 1);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toContain('i-0eeeeeeeeeeeeeeee');
      expect(ids).not.toContain('i-0ffffffffffffffff');
      expect(world.instances.get('i-0ffffffffffffffff')!.state).toBe(
        'terminated',
      );

      const orphan = world.instances.get(orphanId)!;
      expect(orphan.agentConnects).toBe(false);
      expect(orphan.state).toBe('running');
      expect(orphan.launchTime).toBe(START - 30 * HOUR);
      const worker = world.instances.get('i-01aaaaaaaaaaaaaa3')!;
      expect(worker.tags).toEqual(
        expect.arrayContaining([
          { key: 'Name', value: 'STG-BATCH-AGENT' },
          { key: 'AgentType', value: 'STG-worker-agent' },
        ]),
      );
      expect(worker.launchTime).toBeLessThan(START - 5 * HOUR);
    });

    it('filters by tag, tag key, wildcard and state, and pages with NextToken', async () => {
      const runningDev = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:Name', Values: ['DEV-BATCH-AGENT'] },
            { Name: 'instance-state-name', Values: ['pending', 'running'] },
          ],
        }),
      );
      const devIds = runningDev.Reservations!.flatMap(r =>
        r.Instances!.map(i => i.InstanceId),
      );
      expect(devIds.sort()).toEqual(
        [
          'i-00aaaaaaaaaaaaaa1',
          'i-00aaaaaaaaaaaaaa2',
          'i-00aaaaaaaaaaaaaa3',
          orphanId,
        ].sort(),
      );

      const workers = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: 'tag:Name', Values: ['*-BATCH-AGENT'] },
            { Name: 'tag-key', Values: ['AgentType'] },
          ],
        }),
      );
      expect(
        workers
          .Reservations!.flatMap(r => r.Instances!.map(i => i.InstanceId))
          .sort(),
      ).toEqual([
        'i-00aaaaaaaaaaaaaa3',
        'i-01aaaaaaaaaaaaaa3',
        'i-02aaaaaaaaaaaaaa3',
      ]);

      const first = await ec2.send(
        new DescribeInstancesCommand({
          MaxResults: 5,
          Filters: [{ Name: 'tag:Name', Values: ['*'] }],
        }),
      );
      expect(first.Reservations!.flatMap(r => r.Instances!)).toHaveLength(5);
      expect(first.NextToken).toBeDefined();
      const second = await ec2.send(
        new DescribeInstancesCommand({
          MaxResults: 5,
          NextToken: first.NextToken,
        }),
      );
      const third = await ec2.send(
        new DescribeInstancesCommand({
          MaxResults: 5,
          NextToken: second.NextToken,
        }),
      );
      expect(third.Reservations!.flatMap(r => r.Instances!)).toHaveLength(1);
      expect(third.NextToken).toBeUndefined();
    });

    it('rejects what EC2 rejects in DescribeInstances', async () => {
      const combination = await ec2
        .send(
          new DescribeInstancesCommand({
            InstanceIds: ['i-00aaaaaaaaaaaaaa1'],
            MaxResults: 5,
          }),
        )
        .catch(e => e);
      expect(combination.name).toBe('InvalidParameterCombination');

      const small = await ec2
        .send(new DescribeInstancesCommand({ MaxResults: 2 }))
        .catch(e => e);
      expect(small.name).toBe('InvalidParameterValue');

      const missing = await ec2
        .send(
          new DescribeInstancesCommand({
            InstanceIds: ['i-0123456789abcdef0', 'i-00aaaaaaaaaaaaaa1'],
          }),
        )
        .catch(e => e);
      expect(missing.name).toBe('InvalidInstanceID.NotFound');
      expect(missing.$metadata.httpStatusCode).toBe(400);

      const malformed = await ec2
        .send(new DescribeInstancesCommand({ InstanceIds: ['nope'] }))
        .catch(e => e);
      expect(malformed.name).toBe('InvalidInstanceID.Malformed');

      const filter = await ec2
        .send(
          new DescribeInstancesCommand({
            Filters: [{ Name: 'colour', Values: ['red'] }],
          }),
        )
        .catch(e => e);
      expect(filter.name).toBe('InvalidParameterValue');
      expect(filter.message).toBe("The filter 'colour' is invalid");
    });

    it('creates, describes and deletes tags', async () => {
      await ec2.send(
        new CreateTagsCommand({
          Resources: ['i-00aaaaaaaaaaaaaa1', 'i-00aaaaaaaaaaaaaa2'],
          Tags: [{ Key: 'Draining', Value: 'true' }],
        }),
      );
      const draining = await ec2.send(
        new DescribeTagsCommand({
          Filters: [{ Name: 'key', Values: ['Draining'] }],
        }),
      );
      expect(draining.Tags).toEqual([
        {
          ResourceId: 'i-00aaaaaaaaaaaaaa1',
          ResourceType: 'instance',
          Key: 'Draining',
          Value: 'true',
        },
        {
          ResourceId: 'i-00aaaaaaaaaaaaaa2',
          ResourceType: 'instance',
          Key: 'Draining',
          Value: 'true',
        },
      ]);
      const ofOne = await ec2.send(
        new DescribeTagsCommand({
          Filters: [
            { Name: 'resource-id', Values: ['i-02aaaaaaaaaaaaaa3'] },
            { Name: 'resource-type', Values: ['instance'] },
          ],
        }),
      );
      expect(ofOne.Tags!.map(t => t.Key)).toEqual([
        'AgentType',
        'Name',
        'aws:ec2launchtemplate:id',
        'aws:ec2launchtemplate:version',
      ]);
      const paged = await ec2.send(new DescribeTagsCommand({ MaxResults: 5 }));
      expect(paged.Tags).toHaveLength(5);
      expect(paged.NextToken).toBeDefined();

      await ec2.send(
        new DeleteTagsCommand({
          Resources: ['i-00aaaaaaaaaaaaaa1'],
          Tags: [{ Key: 'Draining' }],
        }),
      );
      const left = await ec2.send(
        new DescribeTagsCommand({
          Filters: [{ Name: 'value', Values: ['true'] }],
        }),
      );
      expect(left.Tags!.map(t => t.ResourceId)).toEqual([
        'i-00aaaaaaaaaaaaaa2',
      ]);

      const reserved = await ec2
        .send(
          new CreateTagsCommand({
            Resources: ['i-00aaaaaaaaaaaaaa1'],
            Tags: [{ Key: 'aws:x', Value: 'y' }],
          }),
        )
        .catch(e => e);
      expect(reserved.name).toBe('InvalidParameterValue');
      const unknown = await ec2
        .send(
          new CreateTagsCommand({
            Resources: ['i-0123456789abcdef0'],
            Tags: [{ Key: 'a', Value: 'b' }],
          }),
        )
        .catch(e => e);
      expect(unknown.name).toBe('InvalidInstanceID.NotFound');
    });
  });

  it('describes launch templates and reports unknown ones by name', async () => {
    const all = await ec2.send(new DescribeLaunchTemplatesCommand({}));
    expect(all.LaunchTemplates!.map(t => t.LaunchTemplateName)).toEqual([
      'DEV-BATCH-JENKINS-AGENT',
      'DEV-WORKER-JENKINS-AGENT',
      'STG-BATCH-JENKINS-AGENT',
      'STG-WORKER-JENKINS-AGENT',
      'PROD-BATCH-JENKINS-AGENT',
      'PROD-WORKER-JENKINS-AGENT',
    ]);
    const one = await ec2.send(
      new DescribeLaunchTemplatesCommand({
        LaunchTemplateNames: ['PROD-BATCH-JENKINS-AGENT'],
      }),
    );
    expect(one.LaunchTemplates).toEqual([
      expect.objectContaining({
        LaunchTemplateName: 'PROD-BATCH-JENKINS-AGENT',
        LaunchTemplateId: expect.stringMatching(/^lt-[0-9a-f]{17}$/),
        DefaultVersionNumber: 1,
        LatestVersionNumber: 1,
        CreateTime: expect.any(Date),
      }),
    ]);

    const described = await ec2
      .send(
        new DescribeLaunchTemplatesCommand({
          LaunchTemplateNames: ['QA-BATCH-JENKINS-AGENT'],
        }),
      )
      .catch(e => e);
    expect(described.name).toBe('InvalidLaunchTemplateName.NotFoundException');
    expect(described.$metadata.httpStatusCode).toBe(400);

    const launched = await ec2
      .send(
        new RunInstancesCommand({
          LaunchTemplate: { LaunchTemplateName: 'QA-BATCH-JENKINS-AGENT' },
          MinCount: 1,
          MaxCount: 1,
        }),
      )
      .catch(e => e);
    expect(launched.name).toBe('InvalidLaunchTemplateName.NotFoundException');
    expect(launched.message).toBe(
      'The specified launch template, with template name QA-BATCH-JENKINS-AGENT, does not exist.',
    );
    expect(world.instances.size).toBe(0);
  });

  describe('faults', () => {
    it('answers InsufficientInstanceCapacity as a 500 naming the type, then recovers', async () => {
      world.faults.set({
        action: 'RunInstances',
        error: 'InsufficientInstanceCapacity',
        times: 1,
      });
      const error = await launchWorker('capacity-1').catch(e => e);
      expect(error.name).toBe('InsufficientInstanceCapacity');
      expect(error.$metadata.httpStatusCode).toBe(500);
      expect(error.$fault).toBe('server');
      expect(error.message).toContain('m5.xlarge capacity');
      expect(world.instances.size).toBe(0);

      // The failed call did not consume the token: the retry launches.
      const retried = await launchWorker('capacity-1');
      expect(retried.Instances).toHaveLength(1);
    });

    it('throttles with RequestLimitExceeded (503), which the SDK retries', async () => {
      world.faults.set({
        action: 'DescribeInstances',
        error: 'RequestLimitExceeded',
        times: 1,
      });
      const error = await ec2
        .send(new DescribeInstancesCommand({}))
        .catch(e => e);
      expect(error.name).toBe('RequestLimitExceeded');
      expect(error.message).toBe('Request limit exceeded.');
      expect(error.$metadata.httpStatusCode).toBe(503);

      world.faults.set({
        action: 'DescribeInstances',
        error: 'RequestLimitExceeded',
        times: 1,
      });
      const retrying = client(server.url, 3);
      const answer = await retrying.send(new DescribeInstancesCommand({}));
      retrying.destroy();
      expect(answer.$metadata.attempts).toBe(2);
      expect(
        world.requests
          .filter(r => r.action === 'DescribeInstances')
          .map(r => r.status),
      ).toEqual([503, 503, 200]);
    });

    it('denies with UnauthorizedOperation (403)', async () => {
      world.faults.set({
        action: 'TerminateInstances',
        error: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
      });
      const error = await ec2
        .send(
          new TerminateInstancesCommand({
            InstanceIds: ['i-0123456789abcdef0'],
          }),
        )
        .catch(e => e);
      expect(error.name).toBe('UnauthorizedOperation');
      expect(error.$metadata.httpStatusCode).toBe(403);
    });

    it('slows an action down and starts instances whose agent never connects', async () => {
      world.faults.set({
        action: 'RunInstances',
        agentNeverConnects: true,
        latencyMs: 150,
        times: 1,
      });
      const started = Date.now();
      const id = (await launchWorker('never-1')).Instances![0].InstanceId!;
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(world.instances.get(id)!.agentConnects).toBe(false);
      const next = (await launchWorker('never-2')).Instances![0].InstanceId!;
      expect(world.instances.get(next)!.agentConnects).toBe(true);
    });
  });

  it('versions launch templates: a new AMI, the default moved, launches record their version', async () => {
    const { Images } = await ec2.send(
      new DescribeImagesCommand({ Owners: ['self'] }),
    );
    const [old, fresh] = [...Images!].sort((a, b) =>
      a.CreationDate!.localeCompare(b.CreationDate!),
    );
    expect(Date.parse(old.CreationDate!)).toBeLessThan(START - 200 * 24 * HOUR);
    expect(Date.parse(fresh.CreationDate!)).toBe(START - 3 * 24 * HOUR);

    const name = 'STG-WORKER-JENKINS-AGENT';
    const created = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateName: name,
        SourceVersion: '$Default',
        LaunchTemplateData: { ImageId: fresh.ImageId },
      }),
    );
    expect(created.LaunchTemplateVersion).toMatchObject({
      VersionNumber: 2,
      DefaultVersion: false,
      LaunchTemplateData: { ImageId: fresh.ImageId, InstanceType: 'm5.xlarge' },
    });
    const unknownImage = await ec2
      .send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateName: name,
          LaunchTemplateData: { ImageId: 'ami-0000000000000dead' },
        }),
      )
      .catch(e => e);
    expect(unknownImage.name).toBe('InvalidAMIID.NotFound');

    // Not the default yet: $Default launches stay on version 1.
    const defaults = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateName: name,
        Versions: ['$Default'],
      }),
    );
    expect(defaults.LaunchTemplateVersions!.map(v => v.VersionNumber)).toEqual([
      1,
    ]);

    const modified = await ec2.send(
      new ModifyLaunchTemplateCommand({
        LaunchTemplateName: name,
        DefaultVersion: '2',
      }),
    );
    expect(modified.LaunchTemplate).toMatchObject({
      DefaultVersionNumber: 2,
      LatestVersionNumber: 2,
    });
    const all = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name }),
    );
    expect(
      all.LaunchTemplateVersions!.map(v => [v.VersionNumber, v.DefaultVersion]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
    const missing = await ec2
      .send(
        new ModifyLaunchTemplateCommand({
          LaunchTemplateName: name,
          DefaultVersion: '9',
        }),
      )
      .catch(e => e);
    expect(missing.name).toBe('InvalidLaunchTemplateId.VersionNotFound');

    const run = await ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateName: name },
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    const instance = run.Instances![0];
    expect(instance.ImageId).toBe(fresh.ImageId);
    expect(instance.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'aws:ec2launchtemplate:version', Value: '2' },
      ]),
    );
  });

  it('requires a signature but accepts any access key', async () => {
    const unsigned = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeInstances&Version=2016-11-15',
    });
    expect(unsigned.status).toBe(401);
    const body = await unsigned.text();
    expect(body).toMatch(
      /<Response><Errors><Error><Code>AuthFailure<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );

    const presigned = await fetch(
      `${server.url}/?Action=DescribeInstances&Version=2016-11-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=SOMEKEY%2F20261102%2Fus-east-1%2Fec2%2Faws4_request&X-Amz-Signature=abc`,
    );
    expect(presigned.status).toBe(200);
    expect(await presigned.text()).toContain(
      '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>',
    );

    await ec2.send(new DescribeInstancesCommand({}));
    expect(
      world.requests.map(r => [r.action, r.status, r.accessKeyId]),
    ).toEqual([
      ['DescribeInstances', 401, undefined],
      ['DescribeInstances', 200, 'SOMEKEY'],
      ['DescribeInstances', 200, 'AKIAANYKEY'],
    ]);
  });

  it('answers DryRun and unknown actions like EC2', async () => {
    const dry = await ec2
      .send(
        new TerminateInstancesCommand({
          InstanceIds: ['i-0123456789abcdef0'],
          DryRun: true,
        }),
      )
      .catch(e => e);
    expect(dry.name).toBe('DryRunOperation');
    expect(dry.$metadata.httpStatusCode).toBe(412);

    const unknown = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=K/20261102/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: 'Action=RebootTheWorld&Version=2016-11-15',
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
  });
});
