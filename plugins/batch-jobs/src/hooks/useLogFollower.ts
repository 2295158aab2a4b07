import { useApi } from '@backstage/core-plugin-api';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchJobsApiRef, BuildRef, LogChunk } from '../api';
import { usePollIntervals } from './intervals';
import { LogBuffer, LogWindow } from './logBuffer';

/** Bytes read when the log opens: its end. */
export const LOG_TAIL_BYTES = 256 * 1024;
/** Bytes of one "Load earlier". */
export const LOG_EARLIER_BYTES = 256 * 1024;
/** Most bytes one poll of a running build reads. */
const FOLLOW_LIMIT_BYTES = 1024 * 1024;

export interface LogFollowerState {
  text: string;
  /** Byte offsets of the window shown, and the log's length so far. */
  start: number;
  end: number;
  size: number;
  lineCount: number;
  loading: boolean;
  loadingEarlier: boolean;
  /** True while the build still writes its log and we keep polling. */
  following: boolean;
  /** True when earlier blocks pushed the log's end out of the window. */
  endDropped: boolean;
  error?: Error;
  retry: () => void;
  /** Prepends the block before `start`. */
  loadEarlier: () => void;
  /** Opens the log at its end again (after loading earlier blocks). */
  jumpToEnd: () => void;
}

type Snapshot = Omit<LogFollowerState, 'retry' | 'loadEarlier' | 'jumpToEnd'>;

const EMPTY: Snapshot = {
  text: '',
  start: 0,
  end: 0,
  size: 0,
  lineCount: 0,
  loading: true,
  loadingEarlier: false,
  following: true,
  endDropped: false,
};

/**
 * A build's console log in a bounded window: opens at the last
 * LOG_TAIL_BYTES, follows a running build from there (polling while Jenkins
 * says there is more data), and loads earlier blocks on demand.
 */
export function useLogFollower(
  build: BuildRef,
  options: { window: LogWindow },
): LogFollowerState {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const { vpc, job, number } = build;
  const { maxLines, maxBytes } = options.window;
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Snapshot>(EMPTY);
  const buffer = useRef(new LogBuffer({ maxLines, maxBytes }));
  /** Where the next poll reads from; undefined: open at the tail. */
  const next = useRef<number | undefined>(undefined);
  const known = useRef({ size: 0, moreData: true });

  const snapshot = useCallback((extra: Partial<Snapshot> = {}): Snapshot => {
    const b = buffer.current;
    return {
      text: b.toString(),
      start: b.start,
      end: b.end,
      size: Math.max(known.current.size, b.end),
      lineCount: b.lineCount,
      loading: false,
      loadingEarlier: false,
      following: known.current.moreData && !b.endDropped,
      endDropped: b.endDropped,
      ...extra,
    };
  }, []);

  // A different build starts from scratch; a retry resumes where it stopped.
  useEffect(() => {
    buffer.current = new LogBuffer({ maxLines, maxBytes });
    next.current = undefined;
    known.current = { size: 0, moreData: true };
    setState(EMPTY);
  }, [vpc, job, number, maxLines, maxBytes]);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      if (buffer.current.endDropped) return;
      try {
        const ref = { vpc, job, number };
        const from = next.current;
        const chunk: LogChunk =
          from === undefined
            ? await api.getLogChunk({ ...ref, tail: LOG_TAIL_BYTES })
            : await api.getLogChunk({
                ...ref,
                start: from,
                limit: FOLLOW_LIMIT_BYTES,
              });
        if (cancelled) return;
        if (from === undefined || chunk.start !== from) {
          // Opened at the tail, or Jenkins started over: a new window.
          buffer.current.reset(chunk.start);
        }
        buffer.current.append(chunk.text);
        known.current = { size: chunk.size, moreData: chunk.moreData };
        // Far behind a fast writer: skip to its end rather than replay it.
        next.current =
          chunk.size - chunk.end > maxBytes ? undefined : chunk.end;
        setState(snapshot());
        if (chunk.moreData || chunk.end < chunk.size) {
          timer = setTimeout(
            poll,
            chunk.end < chunk.size && next.current !== undefined
              ? 0
              : intervals.log,
          );
        }
      } catch (e) {
        if (cancelled) return;
        setState(s => ({
          ...s,
          loading: false,
          following: false,
          error: e as Error,
        }));
      }
    };

    setState(s => ({ ...s, loading: s.text === '', error: undefined }));
    poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [
    api,
    vpc,
    job,
    number,
    maxLines,
    maxBytes,
    intervals.log,
    attempt,
    snapshot,
  ]);

  const loadEarlier = useCallback(() => {
    const first = buffer.current.start;
    if (first <= 0) return;
    const start = Math.max(0, first - LOG_EARLIER_BYTES);
    setState(s => ({ ...s, loadingEarlier: true, error: undefined }));
    api
      .getLogChunk({ vpc, job, number, start, limit: first - start })
      .then(chunk => {
        // The window moved meanwhile (a new build, a jump): drop the block.
        if (buffer.current.start !== first || chunk.start !== start) {
          setState(snapshot());
          return;
        }
        buffer.current.prepend(chunk.text, start);
        setState(snapshot());
      })
      .catch(e =>
        setState(s => ({ ...s, loadingEarlier: false, error: e as Error })),
      );
  }, [api, vpc, job, number, snapshot]);

  const jumpToEnd = useCallback(() => {
    buffer.current.reset(0);
    next.current = undefined;
    setState(s => ({ ...s, loading: true }));
    setAttempt(a => a + 1);
  }, []);

  const retry = useCallback(() => setAttempt(a => a + 1), []);
  return { ...state, retry, loadEarlier, jumpToEnd };
}
