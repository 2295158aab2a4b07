import { useApi } from '@backstage/core-plugin-api';
import {
  QueueItemStatus,
  RunJobRequest,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchJobsApiRef } from '../api';
import { usePollIntervals } from './intervals';
import { RerunProgress } from './useRerun';

function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) {
    return crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Starts a job with the entered parameters and follows its queue item until
 * Jenkins names the build, like a rerun: idle → submitting → queued →
 * started (build #n), or failed/cancelled. One idempotency key per dialog,
 * so a double click or a lost answer never starts two builds; a refused
 * request keeps the key (nothing was started) so the corrected form reuses it.
 */
export function useRunJob() {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const [progress, setProgress] = useState<RerunProgress>({ step: 'idle' });
  const keyRef = useRef(newIdempotencyKey());
  const inFlight = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const update = (next: RerunProgress) => {
    if (mounted.current) setProgress(next);
  };

  const follow = async (vpc: string, id: number) => {
    while (mounted.current) {
      await new Promise(resolve => setTimeout(resolve, intervals.queue));
      if (!mounted.current) return;
      let item: QueueItemStatus;
      try {
        item = await api.getQueueItem({ vpc, id });
      } catch {
        continue; // the build is accepted; a hiccup reading the queue is not a failure
      }
      if (item.build) {
        update({ step: 'started', build: item.build });
        return;
      }
      if (item.state === 'cancelled') {
        update({ step: 'cancelled', why: item.why });
        return;
      }
      update({ step: 'queued', queueItemId: id, why: item.why });
    }
  };

  const submit = async (request: RunJobRequest) => {
    if (inFlight.current) return;
    inFlight.current = true;
    update({ step: 'submitting' });
    try {
      const response = await api.runJob(request, keyRef.current);
      update({ step: 'queued', queueItemId: response.queueItemId, why: null });
      await follow(response.vpc, response.queueItemId);
    } catch (e) {
      update({ step: 'failed', error: e as Error });
    } finally {
      inFlight.current = false;
    }
  };

  /** Back to the form (after a refusal), keeping the key: nothing was started. */
  const back = useCallback(() => setProgress({ step: 'idle' }), []);

  return { progress, submit, back };
}
