import { useApi } from '@backstage/core-plugin-api';
import {
  QueueItemStatus,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchJobsApiRef, BuildRef } from '../api';
import { usePollIntervals } from './intervals';

/** Where a rerun is: idle → submitting → queued (why) → started (build #n), or failed. */
export type RerunProgress =
  | { step: 'idle' }
  | { step: 'submitting' }
  /** The VPC needs four eyes: the rerun waits for another person's approval. */
  | { step: 'approval'; requestId: string; expiresAt: string }
  | { step: 'queued'; queueItemId: number; why: string | null }
  | { step: 'started'; build: { number: number; url: string } }
  | { step: 'cancelled'; why: string | null }
  | { step: 'failed'; error: Error };

function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) {
    return crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Submits a rerun and follows its queue item until Jenkins names the build.
 * One idempotency key per confirmation: a double click, or a retry of a
 * request whose answer got lost, cannot start two builds.
 */
export function useRerun(build: BuildRef & { entityRef?: string }) {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const [progress, setProgress] = useState<RerunProgress>({ step: 'idle' });
  const keyRef = useRef<string>(newIdempotencyKey());
  const inFlight = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Each confirmation is a run; a reset abandons the run being followed.
  const runId = useRef(0);
  const isCurrent = (run: number) => mounted.current && run === runId.current;
  const update = (run: number, next: RerunProgress) => {
    if (isCurrent(run)) setProgress(next);
  };

  const follow = async (run: number, vpc: string, id: number) => {
    while (isCurrent(run)) {
      await new Promise(resolve => setTimeout(resolve, intervals.queue));
      if (!isCurrent(run)) return;
      let item: QueueItemStatus;
      try {
        item = await api.getQueueItem({ vpc, id });
      } catch {
        // The rerun is accepted; a hiccup reading the queue is not a failure.
        continue;
      }
      if (item.build) {
        update(run, { step: 'started', build: item.build });
        return;
      }
      if (item.state === 'cancelled') {
        update(run, { step: 'cancelled', why: item.why });
        return;
      }
      update(run, { step: 'queued', queueItemId: id, why: item.why });
    }
  };

  const submit = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    const run = ++runId.current;
    update(run, { step: 'submitting' });
    try {
      const response = await api.rerun(build, keyRef.current);
      if (isApprovalPending(response)) {
        update(run, {
          step: 'approval',
          requestId: response.requestId,
          expiresAt: response.approval.expiresAt,
        });
        return;
      }
      update(run, {
        step: 'queued',
        queueItemId: response.queueItemId,
        why: null,
      });
      await follow(run, response.vpc, response.queueItemId);
    } catch (e) {
      update(run, { step: 'failed', error: e as Error });
    } finally {
      inFlight.current = false;
    }
  };

  /** Back to idle with a fresh key, for the next confirmation. */
  const reset = useCallback(() => {
    runId.current++;
    keyRef.current = newIdempotencyKey();
    setProgress({ step: 'idle' });
  }, []);

  return { progress, submit, reset };
}
