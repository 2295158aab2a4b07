import { useApiHolder } from '@backstage/core-plugin-api';
import { MissedRunsReport } from '@batch-jobs/plugin-batch-jobs-common';
import { batchMissedRunsApiRef } from '../../api/BatchMissedRunsApi';
import { usePolledAsync } from '../../hooks/usePolledAsync';

/** Refresh of missed runs: they change at most once a minute. */
const REFRESH_MS = 60_000;

/**
 * Missed and late runs of a VPC (one entity's jobs, or one job). An app
 * without the missed-runs API, or a backend without the route, shows
 * nothing rather than an error.
 */
export function useMissedRuns(request: {
  vpc: string;
  job?: string;
  entityRef?: string;
}) {
  const api = useApiHolder().get(batchMissedRunsApiRef);
  const { vpc, job, entityRef } = request;
  return usePolledAsync<MissedRunsReport | undefined>(
    async () => (api ? api.getMissedRuns({ vpc, job, entityRef }) : undefined),
    [api, vpc, job, entityRef],
    () => (api ? REFRESH_MS : null),
  );
}
