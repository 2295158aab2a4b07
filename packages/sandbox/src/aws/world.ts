import { Random } from '../world/random';
import { AwsError } from './errors';
import { FaultInjector } from './faults';
import { S3Store } from './s3store';

/** @public */
export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

/** The state codes EC2 reports next to the names. */
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** @public */
export interface Tag {
  key: string;
  value: string;
}

/** One simulated VPC with its single private subnet. */
export interface VpcInfo {
  /** The sandbox's VPC name: `DEV`, `STG`, `PROD`. */
  name: string;
  vpcId: string;
  subnetId: string;
  securityGroupId: string;
  availabilityZone: string;
  /** First three octets of the subnet's /24, e.g. `10.10.1`. */
  subnetPrefix: string;
}

export interface LaunchTemplateData {
  imageId: string;
  instanceType: string;
  keyName: string;
  securityGroupIds: string[];
  subnetId: string;
  /** Tags the template puts on what it launches; the request's tags win per key. */
  instanceTags: Tag[];
}

export interface LaunchTemplateVersion {
  versionNumber: number;
  createTime: number;
  createdBy?: string;
  versionDescription?: string;
  data: LaunchTemplateData;
}

/** An AMI the account owns, as DescribeImages lists it. @public */
export interface Ec2Image {
  imageId: string;
  name: string;
  description: string;
  /** Epoch ms, whole seconds; EC2 reports it as `creationDate`. */
  creationDate: number;
  ownerId: string;
}

/** @public */
export interface LaunchTemplate {
  launchTemplateId: string;
  launchTemplateName: string;
  vpc: string;
  agentType: AgentType;
  createTime: number;
  createdBy: string;
  defaultVersionNumber: number;
  versions: LaunchTemplateVersion[];
}

/** @public */
export type AgentType = 'batch' | 'worker';

/** @public */
export interface Ec2Instance {
  instanceId: string;
  reservationId: string;
  vpc: string;
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  securityGroupId: string;
  imageId: string;
  instanceType: string;
  keyName?: string;
  /** Gone once terminated, as on EC2. */
  privateIpAddress?: string;
  /** Epoch ms, whole seconds like EC2's. */
  launchTime: number;
  state: InstanceStateName;
  stateTransitionReason: string;
  stateReason?: { code: string; message: string };
  tags: Tag[];
  clientToken?: string;
  amiLaunchIndex: number;
  launchTemplate?: { id: string; name: string; version: string };
  /**
   * Sandbox only: whether the instance's bootstrap connects a Jenkins agent
   * once it runs. False for the seeded orphan and for `agentNeverConnects` faults.
   */
  agentConnects: boolean;
  /** When the next automatic state change happens (pending → running, shutting-down → terminated). */
  nextTransitionAt?: number;
  terminatedAt?: number;
  /** Creation order, for stable listings and pagination. */
  seq: number;
}

export interface Reservation {
  reservationId: string;
  ownerId: string;
  instanceIds: string[];
}

/**
 * Called after every state change with the state before it (`null` when the
 * instance was just launched) and the sandbox time the change happened at.
 *
 * @public
 */
export type InstanceStateListener = (
  instance: Ec2Instance,
  previousState: InstanceStateName | null,
  at: number,
) => void;

/** @public */
export interface AwsWorldOptions {
  seed: number;
  clock: { now(): number };
  /** Default `us-east-1`. */
  region?: string;
  /** Default `123456789012`. */
  accountId?: string;
  /** VPC names, e.g. `['DEV', 'STG', 'PROD']`. */
  vpcs: string[];
  /**
   * The AWS account each VPC lives in (default: `accountId` for all).
   * Credentials from STS AssumeRole into an account's role see and change
   * only that account's VPCs; the main credentials see every account.
   */
  vpcAccounts?: Record<string, string>;
  /** Buckets to create; default `['jenkins-backups']`. */
  buckets?: string[];
  /** Sandbox ms from launch to running: default [5000, 20000]. */
  bootDelayMs?: [number, number];
  /** Sandbox ms from shutting-down to terminated: default [10000, 30000]. */
  shutdownDelayMs?: [number, number];
  /** How long terminated instances stay visible; EC2 keeps them about an hour. */
  terminatedVisibleMs?: number;
}

/** @public */
export interface RunInstancesRequest {
  launchTemplate?: { id?: string; name?: string; version?: string };
  imageId?: string;
  instanceType?: string;
  subnetId?: string;
  keyName?: string;
  minCount: number;
  maxCount: number;
  /** Tags for the instances (TagSpecification with ResourceType `instance`). */
  tags?: Tag[];
  clientToken?: string;
  /** What makes two requests "the same" for ClientToken idempotency; defaults to this request as JSON. */
  fingerprint?: string;
  agentNeverConnects?: boolean;
}

/** @public */
export interface SeedInstanceSpec {
  vpc: string;
  type: AgentType;
  /** Default: a fresh `i-0…` id. Use the id in the Jenkins node name `<id>-EC2-AGENT`. */
  instanceId?: string;
  /** Default `running`. A `terminated` instance is only visible for an hour after `terminatedAt`. */
  state?: InstanceStateName;
  /** Default: now minus a few hours. */
  launchTime?: number;
  terminatedAt?: number;
  /** Extra tags, e.g. `LaunchedBy`. */
  tags?: Tag[];
  /** Default true. */
  agentConnects?: boolean;
}

/** One request the endpoint answered, for tests that count calls. */
export interface AwsRequestRecord {
  service: 'ec2' | 's3' | 'sts';
  /** EC2 action or S3 operation name. */
  action: string;
  status: number;
  /** The access key id the request was signed with, if any. */
  accessKeyId?: string;
  /** The account an assumed role's credentials were scoped to. */
  account?: string;
  at: number;
}

const MAX_RECORDED = 50_000;
const HOUR = 3_600_000;
export const INSTANCE_TYPE_BY_AGENT = {
  batch: 'm5.large',
  worker: 'm5.xlarge',
} as const;

/** Names of the seeded templates; the batch one is the team's default for both agent types. */
export function launchTemplateNameOf(vpc: string, type: AgentType): string {
  return type === 'batch'
    ? `${vpc}-BATCH-JENKINS-AGENT`
    : `${vpc}-WORKER-JENKINS-AGENT`;
}

/**
 * The simulated AWS account: VPCs, launch templates, instances with their
 * tags and lifecycle, and S3 buckets. Time comes from the shared sandbox
 * clock; state changes happen in `advance`, at their own times, in order.
 *
 * @public
 */
export class AwsWorld {
  readonly seed: number;
  readonly clock: { now(): number };
  readonly region: string;
  readonly accountId: string;
  readonly vpcs = new Map<string, VpcInfo>();
  readonly launchTemplates: LaunchTemplate[] = [];
  /** The agent AMIs: the one the templates start with, and a newer one to move to. */
  readonly images = new Map<string, Ec2Image>();
  /** Every instance ever launched, terminated ones included (see `isVisible`). */
  readonly instances = new Map<string, Ec2Instance>();
  readonly reservations = new Map<string, Reservation>();
  readonly s3: S3Store;
  readonly faults = new FaultInjector();
  readonly requests: AwsRequestRecord[] = [];
  /** Account of each VPC (by name). */
  readonly vpcAccounts = new Map<string, string>();
  /** Temporary credentials handed out by AssumeRole, by access key id. */
  private readonly sessions = new Map<
    string,
    { account: string; roleArn: string; expiresAt: number }
  >();

  private readonly clientTokens = new Map<
    string,
    { fingerprint: string; reservationId: string }
  >();
  private readonly listeners = new Set<InstanceStateListener>();
  private readonly ids: Random;
  /** Its own stream, so STS calls do not shift the instance ids. */
  private readonly stsIds: Random;
  private readonly bootDelay: [number, number];
  private readonly shutdownDelay: [number, number];
  private readonly terminatedVisibleMs: number;
  private seq = 0;

  constructor(options: AwsWorldOptions) {
    this.seed = options.seed;
    this.clock = options.clock;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.bootDelay = options.bootDelayMs ?? [5000, 20000];
    this.shutdownDelay = options.shutdownDelayMs ?? [10000, 30000];
    this.terminatedVisibleMs = options.terminatedVisibleMs ?? HOUR;
    this.ids = Random.derive(options.seed, 'aws', 'ids');
    this.stsIds = Random.derive(options.seed, 'aws', 'sts');
    const now = this.clock.now();

    const setup = Random.derive(options.seed, 'aws', 'setup');
    options.vpcs.forEach((name, index) => {
      const second = 10 + 10 * index;
      this.vpcs.set(name, {
        name,
        vpcId: `vpc-0${setup.hex(16)}`,
        subnetId: `subnet-0${setup.hex(16)}`,
        securityGroupId: `sg-0${setup.hex(16)}`,
        availabilityZone: `${this.region}${'abc'[index % 3]}`,
        subnetPrefix: `10.${second}.1`,
      });
    });
    for (const name of options.vpcs) {
      this.vpcAccounts.set(name, options.vpcAccounts?.[name] ?? this.accountId);
    }
    const imageId = `ami-0${setup.hex(16)}`;
    const created = now - 200 * 24 * HOUR;
    // Their own stream, so the images do not shift the other seeded ids.
    const images = Random.derive(options.seed, 'aws', 'images');
    this.registerImage({
      imageId,
      name: 'jenkins-agent-al2023-2026.05',
      creationDate: created - 10 * 24 * HOUR,
    });
    this.registerImage({
      imageId: `ami-0${images.hex(16)}`,
      name: 'jenkins-agent-al2023-2026.10',
      creationDate: now - 3 * 24 * HOUR,
    });
    for (const vpc of this.vpcs.values()) {
      for (const type of ['batch', 'worker'] as const) {
        const instanceTags: Tag[] = [
          { key: 'Name', value: `${vpc.name}-BATCH-AGENT` },
        ];
        if (type === 'worker') {
          instanceTags.push({
            key: 'AgentType',
            value: `${vpc.name}-worker-agent`,
          });
        }
        this.launchTemplates.push({
          launchTemplateId: `lt-0${setup.hex(16)}`,
          launchTemplateName: launchTemplateNameOf(vpc.name, type),
          vpc: vpc.name,
          agentType: type,
          createTime: created,
          createdBy: `arn:aws:iam::${this.accountId}:user/platform-admin`,
          defaultVersionNumber: 1,
          versions: [
            {
              versionNumber: 1,
              createTime: created,
              data: {
                imageId,
                instanceType: INSTANCE_TYPE_BY_AGENT[type],
                keyName: 'jenkins-agents',
                securityGroupIds: [vpc.securityGroupId],
                subnetId: vpc.subnetId,
                instanceTags,
              },
            },
          ],
        });
      }
    }

    this.s3 = new S3Store(this.clock, this.region);
    for (const bucket of options.buckets ?? ['jenkins-backups']) {
      this.s3.createBucket(bucket, created);
    }
  }

  now(): number {
    return this.clock.now();
  }

  /** Adds an AMI owned by the account (what CreateImage or a pipeline would leave). */
  registerImage(image: {
    imageId?: string;
    name: string;
    description?: string;
    creationDate?: number;
  }): Ec2Image {
    const registered: Ec2Image = {
      imageId: image.imageId ?? `ami-0${this.ids.hex(16)}`,
      name: image.name,
      description: image.description ?? `Jenkins agent image ${image.name}`,
      creationDate:
        Math.floor((image.creationDate ?? this.clock.now()) / 1000) * 1000,
      ownerId: this.accountId,
    };
    this.images.set(registered.imageId, registered);
    return registered;
  }

  /**
   * CreateLaunchTemplateVersion: a new version from `source` (default: the
   * default version) with `data` overriding it, numbered after the latest.
   * The default version stays until ModifyLaunchTemplate moves it.
   */
  createLaunchTemplateVersion(
    template: LaunchTemplate,
    request: {
      sourceVersion?: string;
      versionDescription?: string;
      data: Partial<LaunchTemplateData>;
      createdBy?: string;
    },
  ): LaunchTemplateVersion {
    const source = request.sourceVersion
      ? this.templateVersion(template, request.sourceVersion)
      : undefined;
    if (request.data.imageId && !this.images.has(request.data.imageId)) {
      throw new AwsError(
        'InvalidAMIID.NotFound',
        `The image id '[${request.data.imageId}]' does not exist`,
      );
    }
    if (!source && !request.data.imageId) {
      throw new AwsError(
        'InvalidLaunchTemplateData',
        'The launch template data must specify an ImageId or a SourceVersion.',
      );
    }
    const base = source?.data;
    const version: LaunchTemplateVersion = {
      versionNumber:
        Math.max(...template.versions.map(v => v.versionNumber)) + 1,
      createTime: Math.floor(this.clock.now() / 1000) * 1000,
      createdBy: request.createdBy ?? template.createdBy,
      versionDescription: request.versionDescription,
      data: {
        imageId: request.data.imageId ?? base!.imageId,
        instanceType:
          request.data.instanceType ??
          base?.instanceType ??
          INSTANCE_TYPE_BY_AGENT[template.agentType],
        keyName: request.data.keyName ?? base?.keyName ?? 'jenkins-agents',
        securityGroupIds:
          request.data.securityGroupIds ?? base?.securityGroupIds ?? [],
        subnetId:
          request.data.subnetId ??
          base?.subnetId ??
          this.vpcs.get(template.vpc)!.subnetId,
        instanceTags: request.data.instanceTags ?? base?.instanceTags ?? [],
      },
    };
    template.versions.push(version);
    return version;
  }

  /** A version by number, `$Latest` or `$Default`, as EC2 resolves them. */
  templateVersion(
    template: LaunchTemplate,
    wanted: string,
  ): LaunchTemplateVersion {
    let number = Number(wanted);
    if (wanted === '$Latest')
      number = Math.max(...template.versions.map(v => v.versionNumber));
    if (wanted === '$Default') number = template.defaultVersionNumber;
    const version = template.versions.find(v => v.versionNumber === number);
    if (!version) {
      throw new AwsError(
        'InvalidLaunchTemplateId.VersionNotFound',
        `Could not find launch template version ${wanted} for launch template ${template.launchTemplateId}.`,
      );
    }
    return version;
  }

  /** ModifyLaunchTemplate's SetDefaultVersion. */
  setDefaultVersion(template: LaunchTemplate, wanted: string): void {
    template.defaultVersionNumber = this.templateVersion(
      template,
      wanted,
    ).versionNumber;
  }

  /** Subscribes to instance state changes; returns the unsubscribe function. */
  onInstanceStateChange(listener: InstanceStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies every state change due by the clock's now. */
  tick(): void {
    this.advance(this.clock.now());
  }

  /** Applies every state change due at or before `time`, each at its own time, in order. */
  advance(time: number): void {
    for (;;) {
      const next = this.nextDue(time);
      if (!next) return;
      const at = next.nextTransitionAt!;
      next.nextTransitionAt = undefined;
      if (next.state === 'pending') {
        this.changeState(next, 'running', at);
      } else if (next.state === 'shutting-down') {
        next.privateIpAddress = undefined;
        next.terminatedAt = at;
        this.changeState(next, 'terminated', at);
      }
    }
  }

  /** The sandbox time of the next automatic state change, for clocks that jump from event to event. */
  nextTransitionAt(): number | undefined {
    let min: number | undefined;
    for (const instance of this.instances.values()) {
      const at = instance.nextTransitionAt;
      if (at !== undefined && (min === undefined || at < min)) min = at;
    }
    return min;
  }

  /** EC2 lists terminated instances for about an hour, then forgets them. */
  isVisible(instance: Ec2Instance): boolean {
    return (
      instance.terminatedAt === undefined ||
      this.clock.now() - instance.terminatedAt < this.terminatedVisibleMs
    );
  }

  visibleInstances(): Ec2Instance[] {
    return [...this.instances.values()]
      .filter(i => this.isVisible(i))
      .sort((a, b) => a.seq - b.seq);
  }

  getInstance(instanceId: string): Ec2Instance | undefined {
    const instance = this.instances.get(instanceId);
    return instance && this.isVisible(instance) ? instance : undefined;
  }

  findLaunchTemplate(ref: { id?: string; name?: string }): LaunchTemplate {
    if (ref.id) {
      const found = this.launchTemplates.find(
        t => t.launchTemplateId === ref.id,
      );
      if (!found) {
        throw new AwsError(
          'InvalidLaunchTemplateId.NotFound',
          `The specified launch template, with template ID ${ref.id}, does not exist.`,
        );
      }
      return found;
    }
    const found = this.launchTemplates.find(
      t => t.launchTemplateName === ref.name,
    );
    if (!found) {
      throw new AwsError(
        'InvalidLaunchTemplateName.NotFoundException',
        `The specified launch template, with template name ${ref.name}, does not exist.`,
      );
    }
    return found;
  }

  /**
   * Launches instances the way EC2 does: from a launch template (and/or
   * explicit image/type/subnet), tagged, idempotent on `clientToken`.
   */
  runInstances(request: RunInstancesRequest): Reservation {
    const fingerprint =
      request.fingerprint ??
      JSON.stringify({ ...request, clientToken: undefined });
    if (request.clientToken !== undefined) {
      const previous = this.clientTokens.get(request.clientToken);
      if (previous) {
        if (previous.fingerprint !== fingerprint) {
          throw new AwsError(
            'IdempotentParameterMismatch',
            'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
          );
        }
        return this.reservations.get(previous.reservationId)!;
      }
    }

    let template: LaunchTemplate | undefined;
    let version: LaunchTemplateVersion | undefined;
    let versionLabel = '';
    if (request.launchTemplate) {
      const ref = request.launchTemplate;
      if (!ref.id && !ref.name) {
        throw new AwsError(
          'InvalidParameterCombination',
          'A launch template ID or name must be specified.',
        );
      }
      template = this.findLaunchTemplate(ref);
      version = this.templateVersion(template, ref.version ?? '$Default');
      versionLabel = String(version.versionNumber);
    }

    const imageId = request.imageId ?? version?.data.imageId;
    if (!imageId) {
      throw new AwsError(
        'MissingParameter',
        'The request must contain the parameter ImageId',
      );
    }
    const subnetId =
      request.subnetId ??
      version?.data.subnetId ??
      [...this.vpcs.values()][0]?.subnetId;
    const vpc = [...this.vpcs.values()].find(v => v.subnetId === subnetId);
    if (!vpc) {
      throw new AwsError(
        'InvalidSubnetID.NotFound',
        `The subnet ID '${subnetId}' does not exist`,
      );
    }
    const { minCount, maxCount } = request;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${minCount}) for parameter minCount is invalid. Expected a positive integer.`,
      );
    }
    if (!Number.isInteger(maxCount) || maxCount < minCount) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value (${maxCount}) for parameter maxCount is invalid. It must be greater than or equal to minCount.`,
      );
    }
    if (maxCount > 100) {
      throw new AwsError(
        'InstanceLimitExceeded',
        `You have requested more instances (${maxCount}) than your current instance limit of 100 allows for the specified instance type.`,
      );
    }
    for (const tag of request.tags ?? []) validateTag(tag);

    const tags = mergeTags(
      version?.data.instanceTags ?? [],
      request.tags ?? [],
    );
    if (template) {
      // EC2 marks instances launched from a template with these system tags.
      tags.push(
        { key: 'aws:ec2launchtemplate:id', value: template.launchTemplateId },
        { key: 'aws:ec2launchtemplate:version', value: versionLabel },
      );
    }

    const now = this.clock.now();
    const reservation: Reservation = {
      reservationId: `r-0${this.ids.hex(16)}`,
      ownerId: this.accountId,
      instanceIds: [],
    };
    const launched: Ec2Instance[] = [];
    for (let index = 0; index < maxCount; index++) {
      const instance: Ec2Instance = {
        instanceId: this.newInstanceId(),
        reservationId: reservation.reservationId,
        vpc: vpc.name,
        vpcId: vpc.vpcId,
        subnetId: vpc.subnetId,
        availabilityZone: vpc.availabilityZone,
        securityGroupId: vpc.securityGroupId,
        imageId,
        instanceType:
          request.instanceType ?? version?.data.instanceType ?? 'm5.large',
        keyName: request.keyName ?? version?.data.keyName,
        privateIpAddress: this.newPrivateIp(vpc),
        launchTime: Math.floor(now / 1000) * 1000,
        state: 'pending',
        stateTransitionReason: '',
        stateReason: { code: 'pending', message: 'pending' },
        tags: tags.map(t => ({ ...t })),
        clientToken: request.clientToken,
        amiLaunchIndex: index,
        launchTemplate: template && {
          id: template.launchTemplateId,
          name: template.launchTemplateName,
          version: versionLabel,
        },
        agentConnects: !request.agentNeverConnects,
        seq: this.seq++,
      };
      instance.nextTransitionAt =
        now + this.delay('boot', instance.instanceId, this.bootDelay);
      this.instances.set(instance.instanceId, instance);
      reservation.instanceIds.push(instance.instanceId);
      launched.push(instance);
    }
    this.reservations.set(reservation.reservationId, reservation);
    if (request.clientToken !== undefined) {
      this.clientTokens.set(request.clientToken, {
        fingerprint,
        reservationId: reservation.reservationId,
      });
    }
    for (const instance of launched) this.emit(instance, null, now);
    return reservation;
  }

  /** Terminates instances; returns each one's state before and after, like TerminateInstances. */
  terminateInstances(instanceIds: string[]): Array<{
    instance: Ec2Instance;
    previous: InstanceStateName;
    current: InstanceStateName;
  }> {
    const instances = this.requireInstances(instanceIds);
    const now = this.clock.now();
    return instances.map(instance => {
      const previous = instance.state;
      if (
        previous === 'pending' ||
        previous === 'running' ||
        previous === 'stopping' ||
        previous === 'stopped'
      ) {
        instance.stateTransitionReason = `User initiated (${ec2ReasonTime(
          now,
        )})`;
        instance.stateReason = {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        };
        instance.nextTransitionAt =
          now + this.delay('shutdown', instance.instanceId, this.shutdownDelay);
        this.changeState(instance, 'shutting-down', now);
      }
      return { instance, previous, current: instance.state };
    });
  }

  createTags(resourceIds: string[], tags: Tag[]): void {
    for (const tag of tags) validateTag(tag);
    const instances = this.requireInstances(resourceIds);
    for (const instance of instances)
      instance.tags = mergeTags(instance.tags, tags);
  }

  /** Removes tags; a tag with a value only goes when the value matches, as in DeleteTags. */
  deleteTags(
    resourceIds: string[],
    tags: Array<{ key: string; value?: string }>,
  ): void {
    for (const tag of tags)
      validateTag({ key: tag.key, value: tag.value ?? '' });
    const instances = this.requireInstances(resourceIds);
    for (const instance of instances) {
      instance.tags = instance.tags.filter(
        t =>
          !tags.some(
            d =>
              d.key === t.key && (d.value === undefined || d.value === t.value),
          ),
      );
    }
  }

  /**
   * Puts an instance into the world without an API call or a state-change
   * event: the agents the Jenkins seed already has, and leftovers.
   */
  seedInstance(spec: SeedInstanceSpec): Ec2Instance {
    const vpc = this.vpcs.get(spec.vpc);
    if (!vpc) throw new Error(`Unknown VPC ${spec.vpc}`);
    const template = this.findLaunchTemplate({
      name: launchTemplateNameOf(spec.vpc, spec.type),
    });
    const version = template.versions.find(
      v => v.versionNumber === template.defaultVersionNumber,
    )!;
    const now = this.clock.now();
    const instanceId = spec.instanceId ?? this.newInstanceId();
    if (!/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(instanceId)) {
      throw new Error(`${instanceId} is not an EC2 instance id`);
    }
    if (this.instances.has(instanceId))
      throw new Error(`Instance ${instanceId} already exists`);
    const random = Random.derive(this.seed, 'aws', 'seed', instanceId);
    const launchTime = spec.launchTime ?? now - random.int(2, 72) * HOUR;
    const state = spec.state ?? 'running';
    const reservation: Reservation = {
      reservationId: `r-0${random.hex(16)}`,
      ownerId: this.accountId,
      instanceIds: [instanceId],
    };
    const instance: Ec2Instance = {
      instanceId,
      reservationId: reservation.reservationId,
      vpc: vpc.name,
      vpcId: vpc.vpcId,
      subnetId: vpc.subnetId,
      availabilityZone: vpc.availabilityZone,
      securityGroupId: vpc.securityGroupId,
      imageId: version.data.imageId,
      instanceType: version.data.instanceType,
      keyName: version.data.keyName,
      privateIpAddress:
        state === 'terminated' ? undefined : this.newPrivateIp(vpc),
      launchTime: Math.floor(launchTime / 1000) * 1000,
      state,
      stateTransitionReason: '',
      tags: [
        ...mergeTags(version.data.instanceTags, spec.tags ?? []),
        { key: 'aws:ec2launchtemplate:id', value: template.launchTemplateId },
        {
          key: 'aws:ec2launchtemplate:version',
          value: String(version.versionNumber),
        },
      ],
      clientToken: `${random.hex(8)}-${random.hex(4)}-4${random.hex(
        3,
      )}-a${random.hex(3)}-${random.hex(12)}`,
      amiLaunchIndex: 0,
      launchTemplate: {
        id: template.launchTemplateId,
        name: template.launchTemplateName,
        version: String(version.versionNumber),
      },
      agentConnects: spec.agentConnects ?? true,
      seq: this.seq++,
    };
    if (state === 'pending') {
      instance.stateReason = { code: 'pending', message: 'pending' };
      instance.nextTransitionAt =
        now + this.delay('boot', instanceId, this.bootDelay);
    }
    if (state === 'terminated' || state === 'shutting-down') {
      const at = spec.terminatedAt ?? now;
      instance.stateTransitionReason = `User initiated (${ec2ReasonTime(at)})`;
      instance.stateReason = {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      };
      if (state === 'terminated') instance.terminatedAt = at;
      else
        instance.nextTransitionAt =
          now + this.delay('shutdown', instanceId, this.shutdownDelay);
    }
    this.instances.set(instanceId, instance);
    this.reservations.set(reservation.reservationId, reservation);
    return instance;
  }

  /** Records one answered request (the HTTP layer calls this). */
  /** The account a VPC (by name) lives in. */
  accountOfVpc(vpc: string): string {
    return this.vpcAccounts.get(vpc) ?? this.accountId;
  }

  /**
   * STS AssumeRole: temporary credentials scoped to the role's account,
   * which must be one of this world's accounts. Roles exist in every account
   * (the sandbox does not model IAM policies).
   */
  assumeRole(roleArn: string, sessionName: string, durationSeconds = 3600) {
    const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/([\w+=,.@\/-]{1,64})$/.exec(
      roleArn,
    );
    if (!m) {
      throw new AwsError(
        'ValidationError',
        `${roleArn} is not a valid role ARN`,
        400,
      );
    }
    const account = m[1];
    const known = new Set([this.accountId, ...this.vpcAccounts.values()]);
    if (!known.has(account)) {
      throw new AwsError(
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      );
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new AwsError(
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
        400,
      );
    }
    const accessKeyId = `ASIA${this.stsIds.hex(16).toUpperCase()}`;
    // Real time: the SDKs that hold these compare with their own clock,
    // whatever the sandbox clock says.
    const expiresAt = Date.now() + durationSeconds * 1000;
    this.sessions.set(accessKeyId, { account, roleArn, expiresAt });
    return {
      accessKeyId,
      secretAccessKey: this.stsIds.hex(40),
      sessionToken: `sandbox-session-${this.stsIds.hex(32)}`,
      expiration: new Date(expiresAt).toISOString(),
      account,
      assumedRoleArn: `arn:aws:sts::${account}:assumed-role/${m[2]}/${sessionName}`,
    };
  }

  /** The account temporary credentials are scoped to; undefined for other keys. */
  sessionAccount(accessKeyId: string | undefined): string | undefined {
    return accessKeyId ? this.sessions.get(accessKeyId)?.account : undefined;
  }

  record(entry: Omit<AwsRequestRecord, 'at'>): void {
    this.requests.push({ ...entry, at: this.clock.now() });
    if (this.requests.length > MAX_RECORDED)
      this.requests.splice(0, this.requests.length - MAX_RECORDED);
  }

  private requireInstances(instanceIds: string[]): Ec2Instance[] {
    const malformed = instanceIds.filter(
      id => !/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id),
    );
    if (malformed.length > 0) {
      throw new AwsError(
        'InvalidInstanceID.Malformed',
        `Invalid id: "${malformed[0]}"`,
      );
    }
    const missing = instanceIds.filter(id => !this.getInstance(id));
    if (missing.length === 1) {
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        `The instance ID '${missing[0]}' does not exist`,
      );
    }
    if (missing.length > 1) {
      throw new AwsError(
        'InvalidInstanceID.NotFound',
        `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    return instanceIds.map(id => this.instances.get(id)!);
  }

  private nextDue(time: number): Ec2Instance | undefined {
    let best: Ec2Instance | undefined;
    for (const instance of this.instances.values()) {
      const at = instance.nextTransitionAt;
      if (at === undefined || at > time) continue;
      if (
        !best ||
        at < best.nextTransitionAt! ||
        (at === best.nextTransitionAt && instance.seq < best.seq)
      ) {
        best = instance;
      }
    }
    return best;
  }

  private changeState(
    instance: Ec2Instance,
    state: InstanceStateName,
    at: number,
  ): void {
    const previous = instance.state;
    instance.state = state;
    if (state === 'running') instance.stateReason = undefined;
    this.emit(instance, previous, at);
  }

  private emit(
    instance: Ec2Instance,
    previous: InstanceStateName | null,
    at: number,
  ): void {
    for (const listener of [...this.listeners])
      listener(instance, previous, at);
  }

  private delay(
    kind: string,
    instanceId: string,
    [min, max]: [number, number],
  ): number {
    return Random.derive(this.seed, 'aws', kind, instanceId).int(min, max);
  }

  private newInstanceId(): string {
    for (;;) {
      const id = `i-0${this.ids.hex(16)}`;
      if (!this.instances.has(id)) return id;
    }
  }

  private newPrivateIp(vpc: VpcInfo): string {
    const used = new Set(
      [...this.instances.values()]
        .filter(i => i.vpc === vpc.name)
        .map(i => i.privateIpAddress),
    );
    for (let attempt = 0; attempt < 1000; attempt++) {
      // AWS reserves .0–.3 and .255 of every subnet.
      const ip = `${vpc.subnetPrefix}.${this.ids.int(4, 254)}`;
      if (!used.has(ip)) return ip;
    }
    throw new AwsError(
      'InsufficientFreeAddressesInSubnet',
      `The specified subnet ${vpc.subnetId} does not have enough free addresses to satisfy the request.`,
    );
  }
}

/** `2026-11-02 09:00:00 GMT`, the time format of EC2's state transition reasons. */
function ec2ReasonTime(time: number): string {
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}

function validateTag(tag: Tag): void {
  if (tag.key.toLowerCase().startsWith('aws:')) {
    throw new AwsError(
      'InvalidParameterValue',
      "Tag keys starting with 'aws:' are reserved for internal use",
    );
  }
  if (tag.key.length === 0 || tag.key.length > 128) {
    throw new AwsError(
      'InvalidParameterValue',
      `Tag key must be between 1 and 128 characters: '${tag.key}'`,
    );
  }
  if (tag.value.length > 256) {
    throw new AwsError(
      'InvalidParameterValue',
      `Tag value exceeds the maximum length of 256 characters`,
    );
  }
}

/** `base` with `overrides` applied per key; order of first appearance is kept. */
function mergeTags(base: Tag[], overrides: Tag[]): Tag[] {
  const merged = base.map(t => ({ ...t }));
  for (const tag of overrides) {
    const existing = merged.find(t => t.key === tag.key);
    if (existing) existing.value = tag.value;
    else merged.push({ ...tag });
  }
  if (merged.filter(t => !t.key.startsWith('aws:')).length > 50) {
    throw new AwsError(
      'TagLimitExceeded',
      'The maximum number of tags per resource (50) was exceeded.',
    );
  }
  return merged;
}

/**
 * What the portal tags an instance it launches with: its Jenkins node's
 * name with `{instanceId}` for the id (`AGENT_NODE_TAG` of the plugin).
 */
export const AGENT_NODE_NAME_TAG = 'batch-jobs.io/node-name';

/**
 * The Jenkins agent an instance runs, as the agent image's bootstrap sees
 * it: instances from an agent launch template (or tagged by the team's
 * `Name=<VPC>-BATCH-AGENT` convention) run one. The node is the one the
 * launch named (`batch-jobs.io/node-name`), else `<id>-EC2-AGENT`; the
 * label and executors, for a node it must create, by the team's tags.
 */
export function jenkinsAgentOf(instance: Ec2Instance):
  | {
      nodeName: string;
      label: string;
      executors: number;
      vpc: string;
      type: AgentType;
    }
  | undefined {
  const tag = (key: string) => instance.tags.find(t => t.key === key)?.value;
  const name = tag('Name') ?? '';
  if (!instance.launchTemplate && !name.endsWith('-BATCH-AGENT'))
    return undefined;
  const agentType = tag('AgentType');
  const type: AgentType = agentType ? 'worker' : 'batch';
  const named = tag(AGENT_NODE_NAME_TAG);
  return {
    nodeName: named?.includes('{instanceId}')
      ? named.replace('{instanceId}', instance.instanceId)
      : `${instance.instanceId}-EC2-AGENT`,
    label: agentType ?? `${instance.vpc}-batch-agent`,
    executors: type === 'worker' ? 1 : 2,
    vpc: instance.vpc,
    type,
  };
}
