import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  BatchJobsAgentMachine,
  BatchJobsAgentProvider,
} from '@batch-jobs/plugin-batch-jobs-node';
import { VpcConfig } from '../../config';
import { describeMissing } from '../aws/agentOwnership';

/** One `setAgentProvider` call of a backend module. @public */
export interface AgentProviderChoice {
  provider: BatchJobsAgentProvider;
  /** Absent: every VPC. */
  vpcs?: string[];
}

/**
 * Which provider each VPC's agents come from: the one a backend module set
 * for the VPC, else one it set for every VPC, else the default (EC2). Also
 * the checks every caller shares: a capability the provider lacks is a 400,
 * and nothing is terminated before the provider proves it is its own.
 * @public
 */
export class AgentProviders {
  private readonly byVpc = new Map<string, BatchJobsAgentProvider>();

  /** Fails (at start-up) on an unknown VPC or two providers for one VPC. */
  static create(options: {
    vpcs: VpcConfig[];
    defaultProvider: BatchJobsAgentProvider;
    choices: AgentProviderChoice[];
    logger: LoggerService;
  }): AgentProviders {
    const { vpcs, defaultProvider, choices, logger } = options;
    const names = vpcs.map(v => v.name);
    const forAll = choices.filter(c => !c.vpcs);
    if (forAll.length > 1) {
      throw new Error(
        `Agent providers ${forAll
          .map(c => `'${c.provider.id}'`)
          .join(
            ' and ',
          )} are both set for every VPC; set one, or name the VPCs of each`,
      );
    }
    const byVpc = new Map<string, BatchJobsAgentProvider>();
    for (const choice of choices.filter(c => c.vpcs)) {
      for (const vpc of choice.vpcs!) {
        if (!names.includes(vpc)) {
          throw new Error(
            `Agent provider '${
              choice.provider.id
            }' is set for VPC ${vpc}, which is not in batchJobs.vpcs (known: ${names.join(
              ', ',
            )})`,
          );
        }
        const other = byVpc.get(vpc);
        if (other) {
          throw new Error(
            `VPC ${vpc} has two agent providers, '${other.id}' and '${choice.provider.id}'`,
          );
        }
        byVpc.set(vpc, choice.provider);
      }
    }
    const providers = new AgentProviders();
    for (const vpc of names) {
      const provider = byVpc.get(vpc) ?? forAll[0]?.provider ?? defaultProvider;
      providers.byVpc.set(vpc, provider);
      if (provider !== defaultProvider) {
        logger.info(`Agents of VPC ${vpc} come from provider '${provider.id}'`);
      }
    }
    return providers;
  }

  private constructor() {}

  /** undefined for a VPC no longer configured. */
  find(vpc: string): BatchJobsAgentProvider | undefined {
    return this.byVpc.get(vpc);
  }

  forVpc(vpc: string): BatchJobsAgentProvider {
    const provider = this.byVpc.get(vpc);
    if (!provider) throw new InputError(`No VPC ${vpc} in batchJobs.vpcs`);
    return provider;
  }

  /** Whether the VPC's machines can be listed (else the fleet is Jenkins' nodes only). */
  canList(vpc: string): boolean {
    return this.forVpc(vpc).capabilities(vpc).list;
  }

  /** The provider's launch, or a 400 saying it has none in this VPC. */
  launcherOf(vpc: string) {
    const provider = this.capable(vpc, 'launch');
    return provider.launch!.bind(provider);
  }

  /** The provider's terminate, or a 400 saying it has none in this VPC. */
  terminatorOf(vpc: string) {
    const provider = this.capable(vpc, 'terminate');
    return provider.terminate!.bind(provider);
  }

  /** The VPC's provider when it can `what`; else a 400 naming the provider. */
  private capable(vpc: string, what: 'launch' | 'terminate') {
    const provider = this.forVpc(vpc);
    if (!provider[what] || !provider.capabilities(vpc)[what]) {
      throw new InputError(
        `Agents of VPC ${vpc} come from '${
          provider.id
        }', which cannot ${what} agents${
          provider.id === 'ec2'
            ? ' without AWS configuration (batchJobs.vpcs[].aws)'
            : ''
        }`,
      );
    }
    return provider;
  }

  /**
   * Refuses (409, naming what is missing) to let anything terminate a
   * machine that is not the provider's agent of this VPC. Returns the
   * machine, or undefined when the provider no longer knows it or it is
   * already terminated (nothing left to terminate).
   */
  async assertOwned(
    vpc: string,
    id: string,
    logger: LoggerService,
  ): Promise<BatchJobsAgentMachine | undefined> {
    const provider = this.forVpc(vpc);
    const machine = await provider.describeAgent(vpc, id);
    if (!machine || machine.state === 'terminated') return undefined;
    const ownership = (await provider.ownership(vpc))(machine);
    if (!ownership.ours) {
      logger.warn(
        'Refused to terminate a machine that is not an agent of the VPC',
        {
          vpc,
          id,
          provider: provider.id,
          missing: ownership.missing.join('; '),
        },
      );
      throw new ConflictError(
        `${
          provider.id === 'ec2' ? 'Instance' : `Machine`
        } ${id} is not an agent of VPC ${vpc} that the portal may terminate: ${describeMissing(
          ownership.missing,
        )}`,
      );
    }
    return machine;
  }
}
