import { useApi } from '@backstage/core-plugin-api';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchJobsApiRef, BuildRef } from '../api';
import { usePollIntervals } from './intervals';
import { LogBuffer } from './logBuffer';

export interface LogFollowerState {
  text: string;
  /** Lines dropped from the start to keep rendering cheap. */
  droppedLines: number;
  loading: boolean;
  /** True while the build still writes its log and we keep polling. */
  following: boolean;
  error?: Error;
  retry: () => void;
}

/**
 * Reads a build's console log from byte offset 0 and, while Jenkins says
 * there is more data, polls for what was appended since the last offset.
 */
export function useLogFollower(
  build: BuildRef,
  options: { maxLines: number },
): LogFollowerState {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const { vpc, job, number } = build;
  const { maxLines } = options;
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Omit<LogFollowerState, 'retry'>>({
    text: '',
    droppedLines: 0,
    loading: true,
    following: true,
  });
  const buffer = useRef(new LogBuffer(maxLines));
  const offset = useRef(0);

  // A different build starts from scratch; a retry resumes at the offset.
  useEffect(() => {
    buffer.current = new LogBuffer(maxLines);
    offset.current = 0;
    setState({ text: '', droppedLines: 0, loading: true, following: true });
  }, [vpc, job, number, maxLines]);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      try {
        const chunk = await api.getLogChunk({
          vpc,
          job,
          number,
          start: offset.current,
        });
        if (cancelled) return;
        buffer.current.append(chunk.text);
        offset.current = Math.max(offset.current, chunk.textSize);
        setState({
          text: buffer.current.toString(),
          droppedLines: buffer.current.droppedLines,
          loading: false,
          following: chunk.moreData,
        });
        if (chunk.moreData) {
          timer = setTimeout(poll, intervals.log);
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
  }, [api, vpc, job, number, maxLines, intervals.log, attempt]);

  const retry = useCallback(() => setAttempt(a => a + 1), []);
  return { ...state, retry };
}
