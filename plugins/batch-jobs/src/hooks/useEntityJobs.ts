import { useApi } from '@backstage/core-plugin-api';
import { EntityJobsResponse } from '@batch-jobs/plugin-batch-jobs-common';
import { batchJobsApiRef } from '../api';
import { usePollIntervals } from './intervals';
import { PolledAsyncState, usePolledAsync } from './usePolledAsync';

/** True when any job of any VPC has a build in progress. */
export function hasRunningBuild(response: EntityJobsResponse | undefined) {
  return Boolean(
    response?.vpcs.some(vpc => vpc.jobs.some(job => job.lastBuild?.building)),
  );
}

/** The entity's jobs per VPC, refreshed live (faster while something runs). */
export function useEntityJobs(
  entityRef: string,
): PolledAsyncState<EntityJobsResponse> {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  return usePolledAsync(
    () => api.getEntityJobs(entityRef),
    [api, entityRef],
    value => (hasRunningBuild(value) ? intervals.running : intervals.jobs),
  );
}
