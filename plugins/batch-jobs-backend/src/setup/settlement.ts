import { PauseStore } from '../database/DatabasePauseStore';
import { DEFAULT_ESCALATE_AFTER_SECONDS } from '../services/actions/StopBuild';
import { PendingActionReconciler } from '../services/actions/PendingActionReconciler';
import { AgentProviders } from '../services/fleet/AgentProviders';
import { Foundation } from './foundation';

/**
 * A crash mid-action leaves audit rows `pending` and their keys in flight:
 * settle them from Jenkins' and the agent providers' record, once per cluster, soon after
 * start and then periodically; then the approved requests whose execution
 * a crash interrupted.
 */
export async function scheduleSettlement(
  base: Foundation,
  sources: { agents: AgentProviders; pauses: PauseStore },
) {
  const { batchJobsConfig, audit, idempotency, directory, clients, gate } =
    base;
  const { config, logger } = base.deps;
  const staleAfterMs = batchJobsConfig.audit.staleAfterSeconds * 1000;
  const escalateAfterMs =
    (config.getOptionalNumber('batchJobs.stop.escalateAfterSeconds') ??
      DEFAULT_ESCALATE_AFTER_SECONDS) * 1000;
  const reconciler = new PendingActionReconciler({
    audit,
    idempotency,
    directory,
    clients,
    agents: sources.agents,
    pauses: sources.pauses,
    logger,
    staleAfterMs,
    // A stop escalates stop, term, kill: never settle one still escalating.
    staleAfterMsByAction: {
      'build.stop': Math.max(staleAfterMs, 3 * escalateAfterMs + 60_000),
    },
  });
  await base.scheduler.scheduleTask({
    id: 'batch-jobs-settle-interrupted-actions',
    frequency: {
      milliseconds: Math.min(
        Math.max(batchJobsConfig.audit.staleAfterSeconds * 500, 1000),
        300_000,
      ),
    },
    timeout: { minutes: 5 },
    // No initial delay: a starting backend settles what a crash left at once.
    scope: 'global',
    fn: async () => {
      await reconciler
        .reconcile()
        .catch(error =>
          logger.error(`Settling interrupted actions failed: ${error}`),
        );
      // Then approved requests whose execution a crash interrupted, from
      // the action rows just settled (a launch's row waits for its agent,
      // so those get the connect timeout too).
      await gate
        .settleInterrupted({
          staleAfterMs,
          abandonAfterMs: Math.max(
            2 * staleAfterMs,
            staleAfterMs + batchJobsConfig.fleet.connectTimeoutSeconds * 1000,
          ),
        })
        .catch(error =>
          logger.error(`Settling interrupted approvals failed: ${error}`),
        );
    },
  });
}
