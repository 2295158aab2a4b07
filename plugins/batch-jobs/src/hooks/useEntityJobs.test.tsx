import { TestApiProvider } from '@backstage/test-utils';
import { renderHook, waitFor } from '@testing-library/react';
import { PropsWithChildren } from 'react';
import { signalApiRef, SignalApi } from '@backstage/plugin-signals-react';
import { batchJobsApiRef } from '../api';
import { createFakeApi, jobsResponse } from '../__testUtils__/fixtures';
import { PollIntervalsProvider } from './intervals';
import { useEntityJobs } from './useEntityJobs';

function wrapper(api: ReturnType<typeof createFakeApi>) {
  return ({ children }: PropsWithChildren<{}>) => (
    <TestApiProvider apis={[[batchJobsApiRef, api]]}>
      <PollIntervalsProvider intervals={{ jobs: 400, running: 20 }}>
        {children}
      </PollIntervalsProvider>
    </TestApiProvider>
  );
}

function idleResponse() {
  const response = jobsResponse();
  for (const vpc of response.vpcs) {
    for (const job of vpc.jobs) {
      if (job.lastBuild) {
        job.lastBuild = {
          ...job.lastBuild,
          building: false,
          status: 'success',
        };
      }
    }
  }
  return response;
}

describe('useEntityJobs', () => {
  it('refreshes fast while a build runs', async () => {
    const api = createFakeApi();
    const { result } = renderHook(() => useEntityJobs('component:default/x'), {
      wrapper: wrapper(api),
    });
    await waitFor(() => expect(result.current.value).toBeDefined());
    await waitFor(() =>
      expect(api.getEntityJobs.mock.calls.length).toBeGreaterThanOrEqual(4),
    );
  });

  it('refreshes slowly when nothing runs, and keeps data when a refresh fails', async () => {
    const api = createFakeApi({
      getEntityJobs: jest
        .fn()
        .mockResolvedValueOnce(idleResponse())
        .mockRejectedValueOnce(new Error('backend restarting'))
        .mockResolvedValue(idleResponse()),
    });
    const { result } = renderHook(() => useEntityJobs('component:default/x'), {
      wrapper: wrapper(api),
    });
    await waitFor(() => expect(result.current.value).toBeDefined());
    await new Promise(r => setTimeout(r, 150));
    expect(api.getEntityJobs).toHaveBeenCalledTimes(1);

    await waitFor(
      () => expect(result.current.error?.message).toBe('backend restarting'),
      {
        timeout: 1000,
      },
    );
    expect(result.current.value?.vpcs).toHaveLength(3);
    await waitFor(() => expect(result.current.error).toBeUndefined(), {
      timeout: 1000,
    });
  });

  it('without signals, asks again soon while schedules are being read, then slowly', async () => {
    const loading = idleResponse();
    for (const job of loading.vpcs[0].jobs) job.loading = ['schedule'];
    const api = createFakeApi({
      getEntityJobs: jest
        .fn()
        .mockResolvedValueOnce(loading)
        .mockResolvedValueOnce(loading)
        .mockResolvedValue(idleResponse()),
    });
    const { result } = renderHook(() => useEntityJobs('component:default/x'), {
      wrapper: ({ children }: PropsWithChildren<{}>) => (
        <TestApiProvider apis={[[batchJobsApiRef, api]]}>
          <PollIntervalsProvider
            intervals={{ jobs: 60_000, running: 60_000, loading: 30 }}
          >
            {children}
          </PollIntervalsProvider>
        </TestApiProvider>
      ),
    });
    // Two answers with schedules still loading, then the complete one.
    await waitFor(() => expect(api.getEntityJobs).toHaveBeenCalledTimes(3));
    await waitFor(() =>
      expect(
        result.current.value?.vpcs[0].jobs.some(j => j.loading?.length),
      ).toBe(false),
    );
    // Complete: back to the slow interval.
    await new Promise(r => setTimeout(r, 300));
    expect(api.getEntityJobs).toHaveBeenCalledTimes(3);
  });

  it('with signals, re-reads when the backend signals the entity and otherwise polls slowly', async () => {
    const listeners = new Map<string, () => void>();
    const signals: SignalApi = {
      subscribe: (channel, onMessage) => {
        listeners.set(channel, () => onMessage({ changed: 'jobs' } as any));
        return { unsubscribe: () => listeners.delete(channel) };
      },
    };
    const api = createFakeApi({
      getEntityJobs: jest.fn().mockImplementation(async () => idleResponse()),
    });
    const { result, unmount } = renderHook(
      () => useEntityJobs('Component:default/Payments'),
      {
        wrapper: ({ children }: PropsWithChildren<{}>) => (
          <TestApiProvider
            apis={[
              [batchJobsApiRef, api],
              [signalApiRef, signals],
            ]}
          >
            <PollIntervalsProvider
              intervals={{ jobs: 50, running: 20, signalled: 60_000 }}
            >
              {children}
            </PollIntervalsProvider>
          </TestApiProvider>
        ),
      },
    );
    await waitFor(() => expect(result.current.value).toBeDefined());
    // The channel is the entity's, lower-cased like entity refs compare.
    const channel = 'batch-jobs:entity-jobs:component:default/payments';
    expect([...listeners.keys()]).toEqual([channel]);
    // Without signals it would poll every 50 ms; with them it waits.
    await new Promise(r => setTimeout(r, 300));
    expect(api.getEntityJobs).toHaveBeenCalledTimes(1);

    listeners.get(channel)!();
    await waitFor(() => expect(api.getEntityJobs).toHaveBeenCalledTimes(2));
    unmount();
    expect(listeners.size).toBe(0);
  });
});
