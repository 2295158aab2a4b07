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
import { ReactElement } from 'react';
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
};

/** Test polling intervals: short enough for real-timer tests. */
export const fastIntervals = {
  jobs: 60_000,
  running: 60_000,
  builds: 60_000,
  log: 20,
  queue: 20,
};

export function renderWithApis(
  element: ReactElement,
  options: {
    api: BatchJobsApi;
    permissionApi?: PermissionApi;
    /** Compare/promote across VPCs; default: every VPC configured alike. */
    jobConfigApi?: BatchJobConfigApi;
    entity?: Entity;
    routeEntries?: string[];
  },
) {
  const apis: [ApiRef<unknown>, unknown][] = [
    [batchJobsApiRef, options.api],
    [permissionApiRef, options.permissionApi ?? mockApis.permission()],
    [batchJobConfigApiRef, options.jobConfigApi ?? sameEverywhere],
  ];
  return renderInTestApp(
    <TestApiProvider apis={apis as any}>
      <EntityProvider entity={options.entity ?? defaultEntity}>
        <PollIntervalsProvider intervals={fastIntervals}>
          {element}
        </PollIntervalsProvider>
      </EntityProvider>
    </TestApiProvider>,
    { routeEntries: options.routeEntries },
  );
}
