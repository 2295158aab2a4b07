import { useApi } from '@backstage/core-plugin-api';
import { AuditPage } from '@batch-jobs/plugin-batch-jobs-common';
import { batchJobsApiRef } from '../api';
import { usePollIntervals } from './intervals';
import { PolledAsyncState, usePolledAsync } from './usePolledAsync';

/** Audit events of an entity's jobs, newest first. */
export function useAudit(request: {
  entityRef: string;
  vpc?: string;
  job?: string;
  limit?: number;
}): PolledAsyncState<AuditPage> {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const { entityRef, vpc, job, limit } = request;
  return usePolledAsync(
    () => api.getAudit({ entityRef, vpc, job, limit }),
    [api, entityRef, vpc, job, limit],
    // A pending rerun finishes soon: refresh to show its outcome.
    value =>
      value?.items.some(item => item.outcome === 'pending')
        ? intervals.running
        : intervals.jobs,
  );
}
