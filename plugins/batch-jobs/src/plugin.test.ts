import { entity } from './__testUtils__/fixtures';
import {
  batchFleetApiRef,
  batchJobsApiRef,
  batchJobsPlugin,
  BatchFleetPage,
  EntityBatchFleetCard,
  EntityBatchJobsCard,
  EntityBatchJobsContent,
  isBatchJobsAvailable,
} from './index';

describe('batch-jobs plugin', () => {
  it('exports the plugin with its API and extensions', () => {
    expect(batchJobsPlugin.getId()).toBe('batch-jobs');
    expect(
      [...batchJobsPlugin.getApis()].map(factory => factory.api.id),
    ).toEqual([
      batchJobsApiRef.id,
      batchFleetApiRef.id,
      'plugin.batch-jobs.operations',
      'plugin.batch-jobs.routines',
      'plugin.batch-jobs.job-config',
      'plugin.batch-jobs.missed-runs',
    ]);
    expect(EntityBatchJobsContent).toBeDefined();
    expect(EntityBatchJobsCard).toBeDefined();
    expect(BatchFleetPage).toBeDefined();
    expect(EntityBatchFleetCard).toBeDefined();
  });

  it('is available for entities with the jobs or the community annotation only', () => {
    expect(isBatchJobsAvailable(entity)).toBe(true);
    expect(
      isBatchJobsAvailable({
        ...entity,
        metadata: {
          name: 'x',
          annotations: { 'jenkins.io/job-full-name': 'sandbox:DEV/x' },
        },
      }),
    ).toBe(true);
    expect(
      isBatchJobsAvailable({
        ...entity,
        metadata: {
          name: 'x',
          annotations: { 'jenkins.io/job-full-name': '' },
        },
      }),
    ).toBe(false);
    expect(isBatchJobsAvailable({ ...entity, metadata: { name: 'x' } })).toBe(
      false,
    );
    expect(
      isBatchJobsAvailable({
        ...entity,
        metadata: { name: 'x', annotations: { 'batch-jobs.io/jobs': ' ' } },
      }),
    ).toBe(false);
  });
});
