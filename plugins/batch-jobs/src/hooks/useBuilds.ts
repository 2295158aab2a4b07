import { useApi } from '@backstage/core-plugin-api';
import { BuildSummary } from '@batch-jobs/plugin-batch-jobs-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchJobsApiRef } from '../api';
import { usePollIntervals } from './intervals';

export interface BuildsState {
  items: BuildSummary[];
  /** True while the first page loads. */
  loading: boolean;
  error?: Error;
  /** True when older builds can be loaded. */
  hasMore: boolean;
  loadingMore: boolean;
  loadMoreError?: Error;
  loadMore: () => Promise<void>;
  /** Re-reads the newest page (e.g. right after a rerun). */
  refresh: () => Promise<void>;
}

/** Merges a fresh newest page into what is shown, keeping older pages. */
export function mergeNewestPage(
  shown: BuildSummary[],
  newest: BuildSummary[],
): BuildSummary[] {
  if (newest.length === 0) return shown;
  const oldestFresh = Math.min(...newest.map(b => b.number));
  return [...newest, ...shown.filter(b => b.number < oldestFresh)];
}

/**
 * Builds of one job, newest first, paged on the server with its cursor.
 * Refreshes the newest page periodically, faster while a build runs.
 */
export function useBuilds(
  request: { vpc: string; job: string },
  pageSize = 25,
): BuildsState {
  const api = useApi(batchJobsApiRef);
  const intervals = usePollIntervals();
  const { vpc, job } = request;
  const [state, setState] = useState<{
    items: BuildSummary[];
    cursor?: string;
    pages: number;
    loading: boolean;
    error?: Error;
    loadingMore: boolean;
    loadMoreError?: Error;
  }>({ items: [], pages: 0, loading: true, loadingMore: false });
  const generation = useRef(0);

  const refresh = useCallback(async () => {
    const gen = generation.current;
    try {
      const page = await api.getBuilds({ vpc, job, limit: pageSize });
      if (gen !== generation.current) return;
      setState(s => ({
        ...s,
        items: s.pages <= 1 ? page.items : mergeNewestPage(s.items, page.items),
        // Once older pages are shown, their cursor still points past them.
        cursor: s.pages <= 1 ? page.nextCursor : s.cursor,
        pages: Math.max(s.pages, 1),
        loading: false,
        error: undefined,
      }));
    } catch (e) {
      if (gen !== generation.current) return;
      setState(s => ({ ...s, loading: false, error: e as Error }));
    }
  }, [api, vpc, job, pageSize]);

  const loadMore = useCallback(async () => {
    const gen = generation.current;
    const cursor = state.cursor;
    if (!cursor) return;
    setState(s => ({ ...s, loadingMore: true, loadMoreError: undefined }));
    try {
      const page = await api.getBuilds({ vpc, job, limit: pageSize, cursor });
      if (gen !== generation.current) return;
      setState(s => {
        const known = new Set(s.items.map(b => b.number));
        return {
          ...s,
          items: [...s.items, ...page.items.filter(b => !known.has(b.number))],
          cursor: page.nextCursor,
          pages: s.pages + 1,
          loadingMore: false,
        };
      });
    } catch (e) {
      if (gen !== generation.current) return;
      setState(s => ({ ...s, loadingMore: false, loadMoreError: e as Error }));
    }
  }, [api, vpc, job, pageSize, state.cursor]);

  // New job: start over.
  useEffect(() => {
    generation.current++;
    setState({ items: [], pages: 0, loading: true, loadingMore: false });
    refresh();
  }, [refresh]);

  const running = state.items.some(b => b.building);
  useEffect(() => {
    if (state.loading) return undefined;
    const timer = setTimeout(
      refresh,
      running ? intervals.running : intervals.builds,
    );
    return () => clearTimeout(timer);
  }, [state, running, refresh, intervals]);

  return {
    items: state.items,
    loading: state.loading,
    error: state.error,
    hasMore: Boolean(state.cursor),
    loadingMore: state.loadingMore,
    loadMoreError: state.loadMoreError,
    loadMore,
    refresh,
  };
}
