import { useApi } from '@backstage/core-plugin-api';
import {
  ApprovalPendingResponse,
  QueueItemStatus,
  isApprovalPending,
} from '@batch-jobs/plugin-batch-jobs-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchJobsApiRef } from '../api';
import { usePollIntervals } from './intervals';

/**
 * Where a build the user asked for (rerun or run now) is: idle → submitting
 * → queued (Jenkins' why) → started (build #n); or waiting for a second
 * person's approval, cancelled in the queue, or refused.
 */
export type BuildStartState =
  | { step: 'idle' }
  | { step: 'submitting' }
  /** The VPC needs four eyes: nothing started; the request waits for another person. */
  | { step: 'approval'; pending: ApprovalPendingResponse }
  | { step: 'queued'; queueItemId: number; why: string | null }
  | { step: 'started'; build: { number: number; url: string } }
  | { step: 'cancelled'; why: string | null }
  | { step: 'failed'; error: Error };

/** Asks the backend to start the build; answers its queue item, or a pending approval. */
export type StartBuild<R> = (
  request: R,
  idempotencyKey: string,
) => Promise<{ vpc: string; queueItemId: number } | ApprovalPendingResponse>;

function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) {
    return crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Starts a build and follows its queue item until Jenkins names the build.
 * One idempotency key per dialog: a double click, or a retry of a request
 * whose answer got lost, never starts two builds. `back` returns to the
 * form keeping the key: a refused request started nothing.
 */
export function useBuildStart<R>(start: StartBuild<R>) {
  const intervals = usePollIntervals();
  const api = useApi(batchJobsApiRef);
  const [progress, setProgress] = useState<BuildStartState>({ step: 'idle' });
  const keyRef = useRef(newIdempotencyKey());
  const inFlight = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Each submit is a run; `back` abandons the run being followed.
  const runId = useRef(0);
  const isCurrent = (run: number) => mounted.current && run === runId.current;
  const update = (run: number, next: BuildStartState) => {
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
        continue; // the build is accepted; a hiccup reading the queue is not a failure
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

  const submit = async (request: R) => {
    if (inFlight.current) return;
    inFlight.current = true;
    const run = ++runId.current;
    update(run, { step: 'submitting' });
    try {
      const response = await start(request, keyRef.current);
      if (isApprovalPending(response)) {
        update(run, { step: 'approval', pending: response });
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

  const back = useCallback(() => {
    runId.current++;
    setProgress({ step: 'idle' });
  }, []);

  return { progress, submit, back };
}
