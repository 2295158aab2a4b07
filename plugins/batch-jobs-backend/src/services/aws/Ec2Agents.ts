import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import type {
  EC2Client,
  EC2ClientConfig,
  Filter,
  Instance,
} from '@aws-sdk/client-ec2';
import { LoggerService } from '@backstage/backend-plugin-api';

/** A credential provider the AWS SDK calls (and caches until expiry). @public */
export type AccountCredentials = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}>;
import {
  AGENT_NODE_TAG,
  AgentType,
  LAUNCH_REASON_TAG,
  LAUNCHED_BY_TAG,
} from '@batch-jobs/plugin-batch-jobs-common';
import {
  BatchJobsAgentCapabilities,
  BatchJobsAgentLaunch,
  BatchJobsAgentLaunchRequest,
  BatchJobsAgentMachine,
  BatchJobsAgentOwnership,
  BatchJobsAgentProvider,
  BatchJobsAgentState,
} from '@batch-jobs/plugin-batch-jobs-node';
import { VpcAwsConfig, VpcConfig } from '../../config';
import {
  AgentNaming,
  agentTags,
  agentTypeOfTags,
  instanceIdOf,
  nodeNameOf,
} from '../fleet/agentNaming';
import { AgentOwnershipRules, checkAgentOwnership } from './agentOwnership';
import { Ec2Failure, classifyEc2Error, toHttpError } from './errors';

// The EC2 SDK is ~40 MB of resident code: loaded when a VPC has AWS
// configured, not by every backend that only lists jobs.
let ec2Sdk: typeof Ec2Sdk | undefined;
function ec2(): typeof Ec2Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ec2Sdk ??= require('@aws-sdk/client-ec2') as typeof Ec2Sdk;
  return ec2Sdk;
}

// Launch template ids change only when a template is recreated.
const TEMPLATE_IDS_TTL_MS = 10 * 60_000;

/** An EC2 instance as the fleet reads it: a machine, with its tags and placement. @public */
export interface AgentInstance extends BatchJobsAgentMachine {
  tags: Record<string, string>;
  /** Where it runs; EC2 drops both once the instance is terminated. */
  vpcId: string | null;
  subnetId: string | null;
  imageId?: string | null;
  /** The launch template (and version) it came from: EC2's `aws:ec2launchtemplate:*` tags. */
  launchTemplateId?: string | null;
  launchTemplateVersion?: number | null;
}

/** The default version of one of a VPC's launch templates, and what it launches. @public */
export interface LaunchTemplateDefault {
  type: AgentType;
  launchTemplateId: string;
  launchTemplateName: string;
  version: number;
  imageId: string | null;
}

/** An error from an EC2 call, already in plain words; `failure` keeps the classification. @public */
export type Ec2Error = Error & { failure: Ec2Failure };

/** @public */
export function isEc2Error(error: unknown): error is Ec2Error {
  return Boolean(error && typeof error === 'object' && 'failure' in error);
}

/**
 * The default agent provider: EC2 instances from each VPC's launch
 * templates, tagged and named by the VPC's conventions. One long-lived
 * client per VPC (its region, credentials and endpoint), retries in the
 * client configuration, every failure classified into words that name EC2
 * and the VPC.
 * @public
 */
export class Ec2Agents implements BatchJobsAgentProvider {
  readonly id = 'ec2';
  private readonly clients = new Map<string, EC2Client>();
  private readonly templateIds = new Map<
    string,
    { ids: string[]; at: number }
  >();

  static fromConfig(
    vpcs: VpcConfig[],
    options: {
      logger: LoggerService;
      /** Credentials of an AWS account (from Backstage's AWS integration). */
      accountCredentials?: (accountId: string) => AccountCredentials;
    },
  ) {
    return new Ec2Agents(vpcs, options.logger, options.accountCredentials);
  }

  private constructor(
    private readonly vpcs: VpcConfig[],
    private readonly logger: LoggerService,
    accountCredentials?: (accountId: string) => AccountCredentials,
  ) {
    for (const vpc of vpcs) {
      if (!vpc.aws) continue;
      const { accountId } = vpc.aws;
      if (accountId && !accountCredentials) {
        throw new Error(
          `batchJobs.vpcs[${vpc.name}].aws.accountId needs the AWS integration's credentials`,
        );
      }
      let credentials: EC2ClientConfig['credentials'] = vpc.aws.credentials;
      if (!credentials && accountId)
        credentials = accountCredentials!(accountId);
      this.clients.set(vpc.name, createClient(vpc.aws, credentials));
    }
  }

  /** Whether the VPC has AWS configured. */
  has(vpc: string): boolean {
    return this.clients.has(vpc);
  }

  awsOf(vpc: string): VpcAwsConfig | undefined {
    return this.vpcs.find(v => v.name === vpc)?.aws;
  }

  /** Without AWS config, a VPC's fleet is Jenkins' nodes only. */
  capabilities(vpc: string): BatchJobsAgentCapabilities {
    const has = this.has(vpc);
    return { list: has, launch: has, terminate: has };
  }

  machineIdOf(vpc: string, nodeName: string): string | undefined {
    return instanceIdOf(this.namingOf(vpc), nodeName);
  }

  private namingOf(vpc: string): AgentNaming {
    const config = this.vpcs.find(v => v.name === vpc);
    if (!config) throw new Error(`No VPC ${vpc} in batchJobs.vpcs`);
    return config.naming;
  }

  /**
   * The VPC's agent instances (tag `Name=<naming.nameTag>`), terminated
   * ones included while EC2 still lists them: one paginated DescribeInstances.
   */
  async listAgents(vpc: string): Promise<AgentInstance[]> {
    const client = this.client(vpc);
    const naming = this.namingOf(vpc);
    const filters: Filter[] = [{ Name: 'tag:Name', Values: [naming.nameTag] }];
    const out: AgentInstance[] = [];
    try {
      for await (const page of ec2().paginateDescribeInstances(
        { client, pageSize: 200 },
        { Filters: filters, MaxResults: 200 },
      )) {
        for (const r of page.Reservations ?? []) {
          for (const i of r.Instances ?? []) {
            out.push(toAgentInstance(i, naming));
          }
        }
      }
    } catch (error) {
      throw this.fail(error, vpc, 'DescribeInstances');
    }
    return out;
  }

  async describeAgent(
    vpc: string,
    instanceId: string,
  ): Promise<AgentInstance | undefined> {
    try {
      const res = await this.client(vpc).send(
        new (ec2().DescribeInstancesCommand)({ InstanceIds: [instanceId] }),
      );
      const instance = res.Reservations?.[0]?.Instances?.[0];
      return instance
        ? toAgentInstance(instance, this.namingOf(vpc))
        : undefined;
    } catch (error) {
      const failure = classifyEc2Error(
        error,
        this.context(vpc, 'DescribeInstances'),
      );
      if (failure.kind === 'not-found') return undefined;
      throw this.fail(error, vpc, 'DescribeInstances');
    }
  }

  /**
   * Starts one agent instance from the VPC's launch template, tagged by
   * the VPC's conventions and with the name of the node its agent connects
   * as (`{instanceId}` left for the bootstrap to fill in).
   * `clientToken` makes it idempotent: the same token returns the same
   * instance.
   */
  async launch(
    request: BatchJobsAgentLaunchRequest,
  ): Promise<BatchJobsAgentLaunch> {
    const { vpc, type } = request;
    const aws = this.awsOf(vpc);
    if (!aws) this.client(vpc); // throws: no AWS configuration
    const naming = this.namingOf(vpc);
    const template = aws!.launchTemplates[type];
    const tags = {
      ...agentTags(naming, type),
      // The id is known only once it runs: the bootstrap fills it in.
      [AGENT_NODE_TAG]: naming.nodeName,
      [LAUNCHED_BY_TAG]: request.launchedBy,
      ...(request.reason
        ? { [LAUNCH_REASON_TAG]: request.reason.slice(0, 256) }
        : {}),
    };
    try {
      const res = await this.client(vpc).send(
        new (ec2().RunInstancesCommand)({
          LaunchTemplate: { LaunchTemplateName: template, Version: '$Default' },
          MinCount: 1,
          MaxCount: 1,
          ClientToken: request.clientToken,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: Object.entries(tags).map(([Key, Value]) => ({
                Key,
                Value,
              })),
            },
          ],
        }),
      );
      const instance = res.Instances?.[0];
      if (!instance?.InstanceId) {
        throw Object.assign(new Error('RunInstances returned no instance'), {
          name: 'InternalError',
        });
      }
      const machine = toAgentInstance(instance, naming);
      this.logger.info('Launched agent instance', {
        vpc,
        type,
        instanceId: machine.id,
      });
      return {
        machine,
        message: `RunInstances from ${template} started ${machine.id}`,
      };
    } catch (error) {
      throw this.fail(error, vpc, 'RunInstances', template);
    }
  }

  /**
   * What makes an instance this VPC's agent (`checkAgentOwnership`): its
   * labels, placement, and the ids of its launch templates, looked up by
   * name (cached a few minutes).
   */
  async ownershipRules(vpc: string): Promise<AgentOwnershipRules> {
    const config = this.vpcs.find(v => v.name === vpc);
    const aws = this.awsOf(vpc);
    const client = this.client(vpc);
    let cached = this.templateIds.get(vpc);
    if (!cached || Date.now() - cached.at > TEMPLATE_IDS_TTL_MS) {
      const names = [aws!.launchTemplates.batch, aws!.launchTemplates.worker];
      try {
        // A filter, not LaunchTemplateNames: a missing template is no error.
        const res = await client.send(
          new (ec2().DescribeLaunchTemplatesCommand)({
            Filters: [{ Name: 'launch-template-name', Values: names }],
          }),
        );
        cached = {
          ids: (res.LaunchTemplates ?? [])
            .filter(
              t => t.LaunchTemplateName && names.includes(t.LaunchTemplateName),
            )
            .map(t => t.LaunchTemplateId!)
            .filter(Boolean),
          at: Date.now(),
        };
      } catch (error) {
        throw this.fail(error, vpc, 'DescribeLaunchTemplates');
      }
      this.templateIds.set(vpc, cached);
    }
    return {
      vpc,
      nameTag: config!.naming.nameTag,
      agentTypeTag: config!.naming.agentTypeTag,
      agentLabels: config!.agentLabels,
      launchTemplateIds: cached.ids,
      ...(aws?.vpcId ? { vpcId: aws.vpcId } : {}),
      ...(aws?.subnetIds ? { subnetIds: aws.subnetIds } : {}),
    };
  }

  async ownership(
    vpc: string,
  ): Promise<(machine: BatchJobsAgentMachine) => BatchJobsAgentOwnership> {
    const rules = await this.ownershipRules(vpc);
    // Machines come from this provider's own listings: EC2 instances.
    return machine => checkAgentOwnership(machine as AgentInstance, rules);
  }

  /**
   * The default version of each of the VPC's launch templates (batch,
   * worker) and its AMI: one DescribeLaunchTemplateVersions per template.
   * A template that does not exist is left out.
   */
  async templateDefaults(vpc: string): Promise<LaunchTemplateDefault[]> {
    const aws = this.awsOf(vpc);
    const client = this.client(vpc);
    const out: LaunchTemplateDefault[] = [];
    for (const type of ['batch', 'worker'] as const) {
      const name = aws!.launchTemplates[type];
      try {
        const res = await client.send(
          new (ec2().DescribeLaunchTemplateVersionsCommand)({
            LaunchTemplateName: name,
            Versions: ['$Default'],
          }),
        );
        const v = res.LaunchTemplateVersions?.[0];
        if (v?.LaunchTemplateId && v.VersionNumber !== undefined) {
          out.push({
            type,
            launchTemplateId: v.LaunchTemplateId,
            launchTemplateName: name,
            version: v.VersionNumber,
            imageId: v.LaunchTemplateData?.ImageId ?? null,
          });
        }
      } catch (error) {
        const failure = classifyEc2Error(
          error,
          this.context(vpc, 'DescribeLaunchTemplateVersions', name),
        );
        if (failure.kind === 'not-found') continue;
        throw this.fail(error, vpc, 'DescribeLaunchTemplateVersions', name);
      }
    }
    return out;
  }

  /**
   * Creation dates of AMIs (ISO), by id: one DescribeImages with an
   * `image-id` filter, so a deregistered image is missing, not an error.
   */
  async imageCreationDates(
    vpc: string,
    imageIds: string[],
  ): Promise<Map<string, string>> {
    const ids = [...new Set(imageIds)];
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    try {
      const res = await this.client(vpc).send(
        new (ec2().DescribeImagesCommand)({
          Filters: [{ Name: 'image-id', Values: ids }],
        }),
      );
      for (const image of res.Images ?? []) {
        if (image.ImageId && image.CreationDate) {
          out.set(image.ImageId, new Date(image.CreationDate).toISOString());
        }
      }
    } catch (error) {
      throw this.fail(error, vpc, 'DescribeImages');
    }
    return out;
  }

  /** Terminates an instance; returns its new state (`shutting-down`), or undefined when EC2 no longer knows it. */
  async terminate(
    vpc: string,
    instanceId: string,
  ): Promise<BatchJobsAgentState | undefined> {
    try {
      const res = await this.client(vpc).send(
        new (ec2().TerminateInstancesCommand)({ InstanceIds: [instanceId] }),
      );
      this.logger.info('Terminated agent instance', { vpc, instanceId });
      return res.TerminatingInstances?.[0]?.CurrentState?.Name as
        | BatchJobsAgentState
        | undefined;
    } catch (error) {
      const failure = classifyEc2Error(
        error,
        this.context(vpc, 'TerminateInstances'),
      );
      if (failure.kind === 'not-found') return undefined;
      throw this.fail(error, vpc, 'TerminateInstances');
    }
  }

  close() {
    for (const client of this.clients.values()) client.destroy();
  }

  private client(vpc: string): EC2Client {
    const client = this.clients.get(vpc);
    if (!client) {
      throw toHttpError({
        kind: 'invalid',
        code: 'NotConfigured',
        message: `VPC ${vpc} has no AWS configuration (batchJobs.vpcs[].aws), so its EC2 agents cannot be managed`,
      });
    }
    return client;
  }

  private context(vpc: string, action: string, template?: string) {
    return { vpc, region: this.awsOf(vpc)?.region ?? '?', action, template };
  }

  private fail(
    error: unknown,
    vpc: string,
    action: string,
    template?: string,
  ): Ec2Error {
    if (isEc2Error(error)) return error;
    const failure = classifyEc2Error(
      error,
      this.context(vpc, action, template),
    );
    this.logger.warn(`EC2 call failed: ${failure.message}`, {
      vpc,
      action,
      code: failure.code,
    });
    return Object.assign(toHttpError(failure), { failure });
  }
}

function createClient(
  aws: VpcAwsConfig,
  credentials: EC2ClientConfig['credentials'],
): EC2Client {
  return new (ec2().EC2Client)({
    region: aws.region,
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    // Standard retry mode: backoff with jitter for throttling and 5xx.
    maxAttempts: aws.maxAttempts,
  });
}

function toAgentInstance(i: Instance, naming: AgentNaming): AgentInstance {
  const tags: Record<string, string> = {};
  for (const t of i.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  const id = i.InstanceId ?? '';
  return {
    id,
    // EC2's state names are the providers' vocabulary.
    state: (i.State?.Name ?? 'pending') as BatchJobsAgentState,
    type: agentTypeOfTags(naming, tags),
    nodeName: nodeNameOf(naming, id),
    launchTime: i.LaunchTime ? new Date(i.LaunchTime).toISOString() : null,
    launchedBy: tags[LAUNCHED_BY_TAG] ?? null,
    reason: tags[LAUNCH_REASON_TAG] ?? null,
    tags,
    vpcId: i.VpcId ?? null,
    subnetId: i.SubnetId ?? null,
    imageId: i.ImageId ?? null,
    launchTemplateId: tags['aws:ec2launchtemplate:id'] ?? null,
    launchTemplateVersion: tags['aws:ec2launchtemplate:version']
      ? Number(tags['aws:ec2launchtemplate:version'])
      : null,
  };
}
