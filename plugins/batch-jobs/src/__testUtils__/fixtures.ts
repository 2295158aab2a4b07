import { Entity } from '@backstage/catalog-model';
import {
  BuildSummary,
  EntityJobsResponse,
  JobSummary,
} from '@batch-jobs/plugin-batch-jobs-common';
import { BatchJobsApi, BuildRef, JobRef } from '../api';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-settlement',
    namespace: 'default',
    annotations: { 'batch-jobs.io/jobs': 'payments-settlement' },
  },
  spec: { type: 'service', owner: 'team-payments', lifecycle: 'production' },
};
export const entityRef = 'component:default/payments-settlement';

const jenkins = 'http://jenkins.test';

export function build(
  number: number,
  overrides: Partial<BuildSummary> = {},
): BuildSummary {
  return {
    number,
    url: `${jenkins}/job/DEV/job/payments-settlement/job/migrate-ledger/${number}/`,
    status: 'success',
    result: 'SUCCESS',
    building: false,
    startedAt: new Date(Date.now() - 3_600_000).toISOString(),
    durationMs: 95_000,
    estimatedDurationMs: 90_000,
    causes: [{ kind: 'timer', description: 'Started by timer' }],
    parameters: [],
    ...overrides,
  };
}

export function job(
  vpc: string,
  name: string,
  overrides: Partial<JobSummary> = {},
): JobSummary {
  return {
    name,
    fullName: `${vpc}/payments-settlement/${name}`,
    displayName: name,
    url: `${jenkins}/job/${vpc}/job/payments-settlement/job/${name}/`,
    kind: 'pipeline',
    color: 'blue',
    buildable: true,
    parameterized: false,
    schedule: { spec: 'H 2 * * *' },
    lastBuild: build(12),
    ...overrides,
  };
}

export const migrateParameters = [
  { name: 'MIGRATION_DATE', value: '2026-11-01' },
  { name: 'DRY_RUN', value: false },
  { name: 'TARGET', value: 'ledger' },
  { name: 'DB_PASSWORD', value: null, secret: true },
];

export function jobsResponse(): EntityJobsResponse {
  return {
    entityRef,
    vpcs: [
      {
        vpc: 'DEV',
        jenkins: 'sandbox',
        jobs: [
          job('DEV', 'daily-settlement-report', {
            lastBuild: build(40, {
              status: 'failure',
              result: 'FAILURE',
              causes: [{ kind: 'timer', description: 'Started by timer' }],
            }),
          }),
          job('DEV', 'migrate-ledger', {
            parameterized: true,
            schedule: { spec: null },
            lastBuild: build(41, {
              status: 'success',
              causes: [
                {
                  kind: 'portal',
                  description: 'Rerun by user:default/jane.doe in the portal',
                  actor: 'user:default/jane.doe',
                },
              ],
              parameters: migrateParameters,
            }),
          }),
          job('DEV', 'settlement-reconcile', {
            schedule: { spec: 'H/30 * * * *' },
            lastBuild: build(300, {
              status: 'running',
              result: null,
              building: true,
              causes: [
                {
                  kind: 'user',
                  description: 'Started by user Jane Doe',
                  userId: 'jane.doe',
                  userName: 'Jane Doe',
                },
              ],
            }),
          }),
        ],
      },
      {
        vpc: 'STG',
        jenkins: 'sandbox',
        jobs: [job('STG', 'daily-settlement-report')],
      },
      {
        vpc: 'PROD',
        jenkins: 'prod-jenkins',
        jobs: [],
        error: 'Jenkins instance prod-jenkins is unreachable',
      },
    ],
  };
}

/** A BatchJobsApi whose every method is a jest mock; set only what a test needs. */
export function createFakeApi(
  overrides: Partial<Record<keyof BatchJobsApi, jest.Mock>> = {},
): jest.Mocked<BatchJobsApi> {
  const api: Record<keyof BatchJobsApi, jest.Mock> = {
    getEntityJobs: jest.fn(async (_entityRef: string) => jobsResponse()),
    getBuilds: jest.fn(async (_request: JobRef) => ({ items: [] })),
    getLogChunk: jest.fn(async () => ({
      text: '',
      start: 0,
      end: 0,
      size: 0,
      moreData: false,
    })),
    downloadLog: jest.fn(async (_request: BuildRef) => new Blob([''])),
    rerun: jest.fn(),
    getQueueItem: jest.fn(),
    getAudit: jest.fn(async (_request: { entityRef: string }) => ({
      items: [],
    })),
    getJobParameters: jest.fn(async () => ({
      vpc: 'DEV',
      job: 'DEV/payments-settlement/migrate-ledger',
      definitions: [],
    })),
    runJob: jest.fn(),
    stopBuild: jest.fn(),
    pauseJob: jest.fn(),
    resumeJob: jest.fn(),
    getBuildStages: jest.fn(async (request: BuildRef) => ({
      ...request,
      pipeline: false,
      status: null,
      stages: [],
      pendingInputs: [],
    })),
    getStageLog: jest.fn(),
    submitInput: jest.fn(),
    getVpcTimeline: jest.fn(async ({ vpc }: { vpc: string }) => ({
      vpc,
      from: '2026-11-02T09:00:00.000Z',
      to: '2026-11-03T09:00:00.000Z',
      labels: [],
    })),
    ...overrides,
  };
  return api as unknown as jest.Mocked<BatchJobsApi>;
}
