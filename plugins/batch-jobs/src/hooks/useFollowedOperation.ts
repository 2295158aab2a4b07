import {
  ApprovalPendingResponse,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Starts a long backend operation (an agent launch, a worker redeploy) and
 * follows it until it leaves `running`, polling every `intervalMs`; or
 * keeps the approval request when the VPC needs a second person first.
 */
export function useFollowedOperation<
  Op extends { id: string; state: string },
  Args extends unknown[],
>(options: {
  start: (...args: Args) => Promise<Op | ApprovalPendingResponse>;
  get: (id: string) => Promise<Op>;
  intervalMs: number;
}) {
  const [operation, setOperation] = useState<Op>();
  const [approval, setApproval] = useState<ApprovalPendingResponse>();
  const [error, setError] = useState<Error>();
  const [submitting, setSubmitting] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  // The latest callbacks, without restarting a follow in progress.
  const latest = useRef(options);
  latest.current = options;

  const follow = useCallback((op: Op) => {
    setOperation(op);
    if (op.state !== 'running') return;
    timer.current = setTimeout(async () => {
      try {
        follow(await latest.current.get(op.id));
      } catch (e) {
        setError(e as Error);
      }
    }, latest.current.intervalMs);
  }, []);

  const start = useCallback(
    async (...args: Args) => {
      setSubmitting(true);
      setError(undefined);
      try {
        const answer = await latest.current.start(...args);
        if (isApprovalPending(answer)) setApproval(answer);
        else follow(answer);
      } catch (e) {
        setError(e as Error);
      } finally {
        setSubmitting(false);
      }
    },
    [follow],
  );
  return { operation, approval, error, submitting, start };
}
