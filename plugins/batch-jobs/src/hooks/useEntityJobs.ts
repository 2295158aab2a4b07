import { useApi, useApiHolder } from '@backstage/core-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import {
  EntityJobsResponse,
  entityJobsChannel,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useEffect } from 'react';
import { batchJobsApiRef } from '../api';
import { usePollIntervals } from './intervals';
import { PolledAsyncState, usePolledAsync } from './usePolledAsync';

/** True when any job of any VPC has a build in progress. */
export function hasRunningBuild(response: EntityJobsResponse | undefined) {
  return Boolean(
    response?.vpcs.some(vpc => vpc.jobs.some(job => job.lastBuild?.building)),
  );
}

/** True while some job's schedule or stats are still being read. */
function hasLoadingParts(response: EntityJobsResponse | undefined) {
  return Boolean(
    response?.vpcs.some(vpc => vpc.jobs.some(job => job.loading?.length)),
  );
}

/**
 * The entity's jobs per VPC, refreshed live. With Backstage signals the
 * backend says when Jenkins changed (one poller for every open tab), so the
 * tab only re-reads then, and polls slowly as a safety net; without them
 * it polls (faster while something runs or loads).
 */
export function useEntityJobs(
  entityRef: string,
): PolledAsyncState<EntityJobsResponse> {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const signals = useApiHolder().get(signalApiRef);
  const state = usePolledAsync(
    () => api.getEntityJobs(entityRef),
    [api, entityRef],
    value => {
      const loading = hasLoadingParts(value);
      // Without signals, schedules still being read are asked for again soon.
      if (loading && !signals)
        return Math.min(intervals.loading, intervals.running);
      if (hasRunningBuild(value)) return intervals.running;
      if (loading) return intervals.jobs;
      return signals ? intervals.signalled : intervals.jobs;
    },
  );
  const { reload } = state;
  useEffect(() => {
    if (!signals) return undefined;
    const subscription = signals.subscribe(entityJobsChannel(entityRef), () => {
      reload();
    });
    return () => subscription.unsubscribe();
  }, [signals, entityRef, reload]);
  return state;
}
