/* Shared by the JobComparePanel tests. */
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { JobComparisonResponse } from '@batch-jobs/plugin-batch-jobs-common';
import {
  BatchJobConfigApi,
  batchJobConfigApiRef,
} from '../api/BatchJobConfigApi';
import { FreshPermissionCache, fakePermissionApi } from './render';
import { JobComparePanel } from '../components/JobCompare/JobComparePanel';

export const JOB = 'payments-settlement/nightly-import';

const definition = (vpc: string, schedule: string) => ({
  schedule,
  parameters: [
    {
      name: 'RUN_DATE',
      type: 'string',
      description: '',
      defaultValue: 'yesterday',
    },
  ],
  agentLabel: `${vpc}-batch-agent`,
  agentType: 'batch' as const,
  script: `pipeline { agent { label '${vpc}-batch-agent' } }`,
});

/** A backend where DEV's schedule changed; promoting to STG aligns STG. */
export function fakeApi() {
  const schedules: Record<string, string> = {
    DEV: 'H 4 * * *',
    STG: 'H/30 * * * *',
  };
  const api: BatchJobConfigApi & { promoteJob: jest.Mock } = {
    compareJob: async ({ vpcs }): Promise<JobComparisonResponse> => ({
      job: JOB,
      vpcs: vpcs.map(vpc => ({
        vpc,
        fullName: `${vpc}/${JOB}`,
        exists: vpc in schedules,
        ...(vpc in schedules
          ? { definition: definition(vpc, schedules[vpc]) }
          : {}),
      })),
      differences:
        schedules.DEV === schedules.STG
          ? []
          : [
              {
                field: 'schedule',
                values: { DEV: schedules.DEV, STG: schedules.STG },
              },
            ],
    }),
    promoteJob: jest.fn(async request => {
      schedules[request.to] = schedules[request.from];
      return {
        auditId: 'a1',
        job: request.job,
        from: request.from,
        to: request.to,
        fullName: `${request.to}/${JOB}`,
        action: 'updated' as const,
        changed: ['schedule' as const],
      };
    }),
    getTemplateSpec: async () => {
      throw new Error('not expected in this test');
    },
    updateJobs: async () => {
      throw new Error('not expected in this test');
    },
    getConfigHistory: async () => {
      throw new Error('not expected in this test');
    },
    getConfigVersion: async () => {
      throw new Error('not expected in this test');
    },
    restoreConfig: async () => {
      throw new Error('not expected in this test');
    },
  };
  return api;
}

export const render = (api: BatchJobConfigApi, allowed = true) =>
  renderInTestApp(
    <FreshPermissionCache>
      <TestApiProvider
        apis={[
          [batchJobConfigApiRef, api],
          [permissionApiRef, fakePermissionApi(allowed)],
        ]}
      >
        <JobComparePanel
          vpc="DEV"
          job={`DEV/${JOB}`}
          vpcs={['DEV', 'STG', 'PROD']}
          entityRef="component:default/payments-settlement"
        />
      </TestApiProvider>
    </FreshPermissionCache>,
  );
