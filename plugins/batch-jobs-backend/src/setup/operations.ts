import { DatabaseOperationStore } from '../database/DatabaseOperationStore';
import { createOperationsRouter } from '../router/operationsRouter';
import { StopBuild } from '../services/actions/StopBuild';
import { WorkerRedeployer } from '../services/workers/WorkerRedeployer';
import { Foundation } from './foundation';

/** Operations: worker redeploys and the approvals of the four-eyes gate. */
export async function setupOperations(base: Foundation, stopBuild: StopBuild) {
  const { batchJobsConfig, directory, clients, audit, gate } = base;
  const { permissions, logger, lifecycle, httpAuth, userInfo } = base.deps;
  const redeployer = new WorkerRedeployer({
    directory,
    clients,
    audit,
    operations: DatabaseOperationStore.create({ db: base.db }),
    permissions,
    stopBuild,
    logger,
    startTimeoutMs: batchJobsConfig.workers.startTimeoutSeconds * 1000,
    gate,
    leaseMs: batchJobsConfig.workers.leaseSeconds * 1000,
  });
  // Redeploys outlive requests and restarts: a shutdown hands the running
  // ones over after their current step; every replica takes over those
  // whose replica died (expired lease), at start and then periodically.
  lifecycle.addShutdownHook(() => redeployer.drain());
  await base.scheduler.scheduleTask({
    id: 'batch-jobs-worker-redeploys',
    frequency: {
      milliseconds: Math.min(
        Math.max(batchJobsConfig.workers.leaseSeconds * 500, 1000),
        30_000,
      ),
    },
    timeout: { minutes: 1 },
    scope: 'local',
    fn: () => redeployer.resumeAbandoned(),
  });
  base.deps.httpRouter.use(
    createOperationsRouter({
      httpAuth,
      userInfo,
      redeployer,
      gate,
      directory,
      readAccess: base.readAccess,
    }),
  );
  return { redeployer };
}
