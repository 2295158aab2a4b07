import {
  BatchMissedRunsApi,
  batchMissedRunsApiRef,
} from '../api/BatchMissedRunsApi';
import { Entity } from '@backstage/catalog-model';
import { ApiRef } from '@backstage/core-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  PermissionApi,
  permissionApiRef,
} from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { waitFor } from '@testing-library/react';
import { ReactElement, ReactNode } from 'react';
import { SWRConfig } from 'swr';
import { BatchJobsApi, batchJobsApiRef } from '../api';
import {
  BatchJobConfigApi,
  batchJobConfigApiRef,
} from '../api/BatchJobConfigApi';
import { PollIntervalsProvider } from '../hooks/intervals';
import { entity as defaultEntity } from './fixtures';

/** A permission API answering every request the same way. */
export function fakePermissionApi(allowed: boolean): PermissionApi {
  return {
    authorize: async () => ({ result: allowed ? 'ALLOW' : 'DENY' }),
  } as unknown as PermissionApi;
}

/** A job configured alike in every VPC. */
const sameEverywhere: BatchJobConfigApi = {
  compareJob: async ({ vpc, job, vpcs }) => ({
    job: job.slice(vpc.length + 1),
    vpcs: vpcs.map(v => ({
      vpc: v,
      fullName: `${v}${job.slice(vpc.length)}`,
      exists: true,
    })),
    differences: [],
  }),
  promoteJob: async () => {
    throw new Error('not expected in this test');
  },
  getTemplateSpec: async () => {
    throw new Error('not expected in this test');
  },
  updateJobs: async () => {
    throw new Error('not expected in this test');
  },
  getConfigHistory: async ({ vpc, job }) => ({ vpc, job, items: [], keep: 50 }),
  getConfigVersion: async () => {
    throw new Error('not expected in this test');
  },
  restoreConfig: async () => {
    throw new Error('not expected in this test');
  },
};

/** Test polling intervals: short enough for real-timer tests. */
export const fastIntervals = {
  jobs: 60_000,
  running: 60_000,
  loading: 60_000,
  builds: 60_000,
  log: 20,
  queue: 20,
};

export function renderWithApis(
  element: ReactElement,
  options: {
    api: BatchJobsApi;
    permissionApi?: PermissionApi;
    /**
     * Compare/promote across VPCs, template updates, config history: the
     * methods a test gives, over a job configured alike in every VPC with
     * no kept versions.
     */
    jobConfigApi?: Partial<BatchJobConfigApi>;
    /** Missed runs and catch-up; absent: the app has none (nothing shown). */
    missedRunsApi?: Partial<BatchMissedRunsApi>;
    entity?: Entity;
    routeEntries?: string[];
  },
) {
  const apis: [ApiRef<unknown>, unknown][] = [
    [batchJobsApiRef, options.api],
    [permissionApiRef, options.permissionApi ?? mockApis.permission()],
    [batchJobConfigApiRef, { ...sameEverywhere, ...options.jobConfigApi }],
  ];
  if (options.missedRunsApi) {
    apis.push([batchMissedRunsApiRef, options.missedRunsApi]);
  }
  return renderInTestApp(
    <FreshPermissionCache>
      <TestApiProvider apis={apis as any}>
        <EntityProvider entity={options.entity ?? defaultEntity}>
          <PollIntervalsProvider intervals={fastIntervals}>
            {element}
          </PollIntervalsProvider>
        </EntityProvider>
      </TestApiProvider>
    </FreshPermissionCache>,
    { routeEntries: options.routeEntries },
  );
}

/**
 * usePermission keeps answers in SWR's global cache, keyed by permission: an
 * answer from one test (allowed) was served to the next (denied) when both
 * mounted within SWR's 2 s dedupe window. Each render gets its own cache.
 */
export function FreshPermissionCache(props: { children: ReactNode }) {
  return (
    <SWRConfig value={{ provider: () => new Map() }}>
      {props.children}
    </SWRConfig>
  );
}

/**
 * A permission-gated control once the permission answer has enabled it:
 * with a fresh permission cache a test waits for its own answer, as a user
 * would.
 */
export async function whenEnabled(
  find: () => HTMLElement,
): Promise<HTMLElement> {
  await waitFor(() => expect(find()).toBeEnabled(), { timeout: 5000 });
  return find();
}
