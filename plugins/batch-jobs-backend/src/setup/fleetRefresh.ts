import { DatabaseFleetRefreshStore } from '../database/DatabaseFleetRefreshStore';
import { createFleetRefreshRouter } from '../router/fleetRefreshRouter';
import { AgentProviders } from '../services/fleet/AgentProviders';
import { FleetRefresher } from '../services/fleet/FleetRefresher';
import { Foundation } from './foundation';

/** Rolling refreshes of agents onto their launch templates' default versions, followed across restarts. */
export async function setupFleetRefresh(
  base: Foundation,
  agents: AgentProviders,
) {
  const { batchJobsConfig, directory, clients, audit, gate, db } = base;
  const { permissions, logger, httpAuth, userInfo, notifications } = base.deps;
  const refresher = new FleetRefresher({
    directory,
    clients,
    agents,
    audit,
    refreshes: DatabaseFleetRefreshStore.create({ db }),
    permissions,
    fleet: batchJobsConfig.fleet,
    logger,
    gate,
    notifications,
  });
  base.deps.httpRouter.use(
    createFleetRefreshRouter({
      httpAuth,
      userInfo,
      directory,
      refresher,
      readAccess: base.readAccess,
    }),
  );
  // A pass in progress at shutdown ends (and lets go of its lease) first.
  base.deps.lifecycle.addShutdownHook(() => refresher.drain());
  // A refresh outlives requests and restarts: move the unfinished ones on.
  await base.scheduler.scheduleTask({
    id: 'batch-jobs-fleet-refreshes',
    frequency: {
      milliseconds: batchJobsConfig.fleet.pollIntervalSeconds * 1000,
    },
    timeout: { minutes: 5 },
    initialDelay: { milliseconds: 100 },
    scope: 'local',
    fn: () => refresher.advanceAll(),
  });
  return { refresher };
}
