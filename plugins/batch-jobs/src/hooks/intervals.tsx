import { createContext, PropsWithChildren, useContext } from 'react';

/** How often views refresh, in milliseconds. Tests shorten them. */
export interface PollIntervals {
  /** Jobs table when nothing runs. */
  jobs: number;
  /** Jobs table when the backend signals changes (a safety net). */
  signalled: number;
  /** Jobs table and builds table while a build runs. */
  running: number;
  /** Jobs table, without signals, while schedules or stats are still being read. */
  loading: number;
  /** Builds table when nothing runs. */
  builds: number;
  /** Log of a running build. */
  log: number;
  /** Queue item after a rerun. */
  queue: number;
}

export const defaultPollIntervals: PollIntervals = {
  jobs: 15_000,
  signalled: 60_000,
  running: 5_000,
  // A cold job list answers before its schedules are read (one config.xml
  // per job, cached for minutes); they are there within a round trip or two.
  loading: 2_000,
  builds: 30_000,
  // Cheap: the backend answers every follower of a build from one shared
  // Jenkins read (at most one per 800 ms, ConsoleLogs), so live lines show within ~1 s.
  log: 1_000,
  queue: 2_000,
};

const PollIntervalsContext = createContext<PollIntervals>(defaultPollIntervals);

export function PollIntervalsProvider(
  props: PropsWithChildren<{ intervals: Partial<PollIntervals> }>,
) {
  return (
    <PollIntervalsContext.Provider
      value={{ ...defaultPollIntervals, ...props.intervals }}
    >
      {props.children}
    </PollIntervalsContext.Provider>
  );
}

export function usePollIntervals(): PollIntervals {
  return useContext(PollIntervalsContext);
}
