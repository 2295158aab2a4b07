import { useApi } from '@backstage/core-plugin-api';
import { FleetOperation } from '@batch-jobs/plugin-batch-jobs-common';
import { batchFleetApiRef } from '../../api/BatchFleetApi';
import { useFollowedOperation } from '../../hooks/useFollowedOperation';
import { usePolledAsync } from '../../hooks/usePolledAsync';

/** The fleet of some VPCs (all when absent), refreshed every `intervalMs`. */
export function useFleet(vpcs: string[] | undefined, intervalMs: number) {
  const api = useApi(batchFleetApiRef);
  return usePolledAsync(
    () => api.getFleet({ vpcs }),
    [api, vpcs?.join(',')],
    () => intervalMs,
  );
}

/** Launches an agent and follows its operation until it ends. */
export function useLaunch(intervalMs: number) {
  const api = useApi(batchFleetApiRef);
  const { start, ...state } = useFollowedOperation({
    start: (request: {
      vpc: string;
      type: 'batch' | 'worker';
      reason?: string;
    }) =>
      // One key per confirmed launch: a retried or double-sent request starts one instance.
      api.launchAgent(
        request,
        `launch-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      ),
    get: (id: string): Promise<FleetOperation> => api.getOperation(id),
    intervalMs,
  });
  return { ...state, launch: start };
}
