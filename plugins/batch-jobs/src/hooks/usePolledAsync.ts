import { DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export interface PolledAsyncState<T> {
  value?: T;
  /** The last failure; a failed refresh keeps the previous value. */
  error?: Error;
  /** True until the first answer (or failure) arrives. */
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads `fn` when `deps` change and again `delay(value)` ms after each answer
 * (null: stop polling). Unlike useAsyncRetry, a failed background refresh
 * does not throw away what is on screen, and refreshes never overlap.
 */
export function usePolledAsync<T>(
  fn: () => Promise<T>,
  deps: DependencyList,
  delay: (value: T | undefined) => number | null,
): PolledAsyncState<T> {
  const [state, setState] = useState<{
    value?: T;
    error?: Error;
    loading: boolean;
  }>({ loading: true });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const delayRef = useRef(delay);
  delayRef.current = delay;
  const timer = useRef<ReturnType<typeof setTimeout>>();
  // Tells whether answers still belong to the current deps.
  const isCurrentRef = useRef<() => boolean>(() => false);

  const load = useCallback(async (isCurrent: () => boolean) => {
    clearTimeout(timer.current);
    let value: T | undefined;
    let failed = false;
    try {
      value = await fnRef.current();
    } catch (e) {
      failed = true;
      if (isCurrent()) {
        setState(s => ({ ...s, error: e as Error, loading: false }));
      }
    }
    if (!isCurrent()) return;
    if (!failed) setState({ value, loading: false });
    const next = delayRef.current(failed ? undefined : value);
    if (next !== null) {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => load(isCurrent), next);
    }
  }, []);

  useEffect(() => {
    let current = true;
    const isCurrent = () => current;
    isCurrentRef.current = isCurrent;
    setState({ loading: true });
    load(isCurrent);
    return () => {
      current = false;
      clearTimeout(timer.current);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  const reload = useCallback(() => load(isCurrentRef.current), [load]);

  return { ...state, reload };
}
