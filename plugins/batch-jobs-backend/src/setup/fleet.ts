import { DefaultAwsCredentialsManager } from '@backstage/integration-aws-node';
import { DatabaseFleetOperationStore } from '../database/DatabaseFleetOperationStore';
import { createFleetRouter } from '../router/fleetRouter';
import { Config } from '@backstage/config';
import { AccountCredentials, Ec2Agents } from '../services/aws/Ec2Agents';
import { AgentLauncher } from '../services/fleet/AgentLauncher';
import { AgentProviders } from '../services/fleet/AgentProviders';
import { AgentTerminator } from '../services/fleet/AgentTerminator';
import { FleetView } from '../services/fleet/FleetView';
import { Foundation } from './foundation';

/**
 * Credentials of an AWS account (a VPC's or the backup bucket's
 * `accountId`) from Backstage's AWS integration (aws.mainAccount,
 * aws.accounts[] with roleName). Its config is read only when something
 * names an account: an installation's `aws` config is not ours to validate
 * otherwise.
 */
export function awsAccountCredentials(
  config: Config,
): (accountId: string) => AccountCredentials {
  let manager: DefaultAwsCredentialsManager | undefined;
  return accountId => async () => {
    manager ??= DefaultAwsCredentialsManager.fromConfig(config);
    const { sdkCredentialProvider } = await manager.getCredentialProvider({
      accountId,
    });
    return sdkCredentialProvider();
  };
}

/** The EC2 agents of every VPC: the default agent provider. */
export function createEc2Agents(
  base: Foundation,
  accountCredentials: (accountId: string) => AccountCredentials,
): Ec2Agents {
  return Ec2Agents.fromConfig(base.batchJobsConfig.vpcs, {
    logger: base.deps.logger,
    accountCredentials,
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
        cache: base.readCache,
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
