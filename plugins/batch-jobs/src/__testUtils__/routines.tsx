import { permissionApiRef } from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { RoutineRun, RoutineSummary } from '@batch-jobs/plugin-batch-jobs-common';
import { BatchRoutinesApi, batchRoutinesApiRef } from '../api/BatchRoutinesApi';
import { FreshPermissionCache, fakePermissionApi } from './render';
import { Routines } from '../components/Routines/Routines';

export const run = (over: Partial<RoutineRun> = {}): RoutineRun => ({
  id: '11111111-1111-4111-8111-111111111111',
  routine: 'offline-node-sweep',
  trigger: 'schedule',
  actor: 'routine:offline-node-sweep',
  dryRun: false,
  outcome: 'succeeded',
  startedAt: '2026-11-02T09:00:00.000Z',
  finishedAt: '2026-11-02T09:00:05.000Z',
  summary: 'deleted 1 node(s), terminated 0 instance(s), spared 1',
  items: [],
  ...over,
});

const routine = (id: RoutineSummary['id'], title: string, lastRun: RoutineRun | null): RoutineSummary => ({
  id,
  title,
  description: `${title} description`,
  enabled: true,
  schedule: 'every 15 minute(s)',
  nextRunAt: '2026-11-02T09:15:00.000Z',
  dryRunByDefault: false,
  lastRun,
  settings: { gracePeriod: '1 h 0 min' },
});

export function fakeApi(over: Partial<BatchRoutinesApi> = {}): jest.Mocked<BatchRoutinesApi> {
  return {
    listRoutines: jest.fn(async () => ({
      items: [
        routine('offline-node-sweep', 'Offline-node sweep', run()),
        routine('orphan-reaper', 'Orphan reaper', null),
        routine('jenkins-backup', 'Jenkins backup to S3', run({ routine: 'jenkins-backup', outcome: 'failed', summary: 'Backup INVALID: jenkins/x.tar.gz is empty (0 bytes)' })),
      ],
    })),
    runRoutine: jest.fn(async () => ({ runId: '22222222-2222-4222-8222-222222222222' })),
    listRuns: jest.fn(async () => ({ items: [run({ items: [{ action: 'delete-node', target: 'i-0aaa-EC2-AGENT', vpc: 'DEV', status: 'done', message: 'Deleted: offline for 26 h 0 min', at: '2026-11-02T09:00:01.000Z' }] })] })),
    getRun: jest.fn(async () => run({ id: '22222222-2222-4222-8222-222222222222', trigger: 'user', actor: 'user:default/jane', dryRun: true })),
    listBackups: jest.fn(async () => ({
      items: [
        { key: 'jenkins/jenkins-home-1.tar.gz', bucket: 'jenkins-backups', sizeBytes: 2048, createdAt: '2026-11-02T01:00:00.000Z', verified: true, runId: 'r', build: { number: 3, url: '' }, deletedAt: null },
        { key: 'jenkins/jenkins-home-0.tar.gz', bucket: 'jenkins-backups', sizeBytes: 0, createdAt: '2026-11-01T01:00:00.000Z', verified: false, runId: 'r0', build: { number: 2, url: '' }, deletedAt: null },
      ],
    })),
    ...over,
  } as jest.Mocked<BatchRoutinesApi>;
}

export function render(api: BatchRoutinesApi, allowed = true) {
  return renderInTestApp(
    <FreshPermissionCache>
      <TestApiProvider apis={[[batchRoutinesApiRef, api], [permissionApiRef, fakePermissionApi(allowed)]]}>
        <Routines pollIntervalMs={60_000} runPollIntervalMs={20} />
      </TestApiProvider>
    </FreshPermissionCache>,
  );
}
