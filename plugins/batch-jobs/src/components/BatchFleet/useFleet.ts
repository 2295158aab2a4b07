import { useApi } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  FleetOperation,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchFleetApiRef } from '../../api/BatchFleetApi';
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
  const [operation, setOperation] = useState<FleetOperation>();
  const [error, setError] = useState<Error>();
  const [submitting, setSubmitting] = useState(false);
  const [approval, setApproval] = useState<ApprovalPendingResponse>();
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);

  const follow = useCallback(
    (op: FleetOperation) => {
      setOperation(op);
      if (op.state !== 'running') return;
      timer.current = setTimeout(async () => {
        try {
          follow(await api.getOperation(op.id));
        } catch (e) {
          setError(e as Error);
        }
      }, intervalMs);
    },
    [api, intervalMs],
  );

  const launch = useCallback(
    async (request: { vpc: string; type: 'batch' | 'worker'; reason?: string }) => {
      setSubmitting(true);
      setError(undefined);
      // One key per confirmed launch: a retried or double-sent request starts one instance.
      const key = `launch-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      try {
        const answer = await api.launchAgent(request, key);
        if (isApprovalPending(answer)) setApproval(answer);
        else follow(answer);
      } catch (e) {
        setError(e as Error);
      } finally {
        setSubmitting(false);
      }
    },
    [api, follow],
  );
  return { operation, approval, error, submitting, launch };
}
