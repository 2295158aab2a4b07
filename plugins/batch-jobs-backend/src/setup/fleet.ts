import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { DatabaseFleetOperationStore } from '../database/DatabaseFleetOperationStore';
import { createFleetRouter } from '../router/fleetRouter';
import { Ec2Agents } from '../services/aws/Ec2Agents';
import { AgentLauncher } from '../services/fleet/AgentLauncher';
import { AgentProviders } from '../services/fleet/AgentProviders';
import { AgentTerminator } from '../services/fleet/AgentTerminator';
import { FleetView } from '../services/fleet/FleetView';
import { Foundation } from './foundation';

/**
 * The EC2 agents of every VPC (the default agent provider). A VPC with aws.accountId takes its
 * credentials from Backstage's AWS integration (aws.mainAccount,
 * aws.accounts[] with roleName), read only when a VPC names an account: an
 * installation's `aws` config is not ours to validate otherwise.
 */
export function createEc2Agents(base: Foundation): Ec2Agents {
  const { config, logger } = base.deps;
  let awsCredentials: DefaultAwsCredentialsManager | undefined;
  return Ec2Agents.fromConfig(base.batchJobsConfig.vpcs, {
    logger,
    accountCredentials: accountId => {
      awsCredentials ??= DefaultAwsCredentialsManager.fromConfig(config);
      const manager = awsCredentials;
      return async () => {
        const { sdkCredentialProvider } = await manager.getCredentialProvider({
          accountId,
        });
        return sdkCredentialProvider();
      };
    },
  });
}

/** The agent fleet: its view, launches (followed across restarts) and terminations. */
export async function setupFleet(base: Foundation, agents: AgentProviders) {
  const { batchJobsConfig, directory, clients, audit, gate, db } = base;
  const { permissions, logger, httpAuth, userInfo } = base.deps;
  const deps = { directory, clients, agents, audit, permissions, logger };
  const terminator = new AgentTerminator({ ...deps, gate });
  const launcher = new AgentLauncher({
    ...deps,
    idempotency: base.idempotency,
    operations: DatabaseFleetOperationStore.create({ db }),
    fleet: batchJobsConfig.fleet,
    gate,
  });
  base.deps.httpRouter.use(
    createFleetRouter({
      httpAuth,
      userInfo,
      directory,
      fleet: new FleetView({
        vpcs: batchJobsConfig.vpcs,
        clients,
        agents,
        logger,
        maxImageAgeDays: batchJobsConfig.fleet.maxImageAgeDays,
        cacheTtlMs: batchJobsConfig.cache.ttlSeconds * 1000,
      }),
      launcher,
      terminator,
      readAccess: base.readAccess,
    }),
  );
  // Launches outlive requests and restarts: follow the running ones.
  await base.scheduler.scheduleTask({
    id: 'batch-jobs-fleet-launches',
    frequency: {
      milliseconds: batchJobsConfig.fleet.pollIntervalSeconds * 1000,
    },
    timeout: { minutes: 2 },
    initialDelay: { milliseconds: 100 },
    scope: 'local',
    fn: () => launcher.advanceAll(),
  });
  return { launcher, terminator };
}
