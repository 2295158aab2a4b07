import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
// The real, database-coordinated scheduler (the test default runs every task locally).
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { startSandbox } from '@internal/batch-jobs-sandbox';
import { batchJobsPlugin } from './plugin';

/*
 * Two backend replicas on one PostgreSQL database, both scheduling the
 * orphan reaper every second: each scheduled run happens once.
 */

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

describe('routines with two replicas on one PostgreSQL', () => {
  it('runs each scheduled tick once, never two runs at the same time', async () => {
    const knex = await databases.init('POSTGRES_15');
    const sandbox = await startSandbox({ port: 0, awsPort: 0, seed: 42, clock: 'manual', startTime: Date.now() });
    const config = {
      batchJobs: {
        jenkins: [{ name: 'sandbox', baseUrl: sandbox.jenkinsUrl, username: 'admin', apiToken: 'sandbox-token', readRetries: 0 }],
        vpcs: ['DEV', 'STG', 'PROD'].map(name => ({
          name,
          jenkins: 'sandbox',
          folder: name,
          aws: { region: 'us-east-1', endpoint: sandbox.awsUrl, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 },
        })),
        routines: {
          'offline-node-sweep': { enabled: false },
          'jenkins-backup': { enabled: false },
          'orphan-reaper': { dryRun: true, frequency: { seconds: 1 }, timeout: { seconds: 30 }, initialDelay: { milliseconds: 0 } },
        },
      },
    };
    const replica = () =>
      startTestBackend({
        features: [
          batchJobsPlugin,
          schedulerServiceFactory,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({ data: config }),
          catalogServiceMock.factory({ entities: [] }),
        ],
      });
    // One after the other: the first creates the tables (knex migrations race on a fresh database).
    const a = await replica();
    const b = await replica();
    const started = Date.now();
    try {
      await new Promise(resolve => setTimeout(resolve, 15_000));
      const elapsedS = (Date.now() - started) / 1000;
      const runs: Array<{ started_at: Date; finished_at: Date | null; outcome: string }> = await knex('routine_runs')
        .where({ routine: 'orphan-reaper', trigger: 'schedule' })
        .orderBy('started_at');
      expect(runs.length).toBeGreaterThanOrEqual(2);
      // One run per tick across both replicas (a local task would give two per tick).
      expect(runs.length).toBeLessThanOrEqual(Math.ceil(elapsedS) + 1);
      for (let i = 1; i < runs.length; i++) {
        const previousEnd = runs[i - 1].finished_at;
        expect(previousEnd).not.toBeNull();
        expect(new Date(runs[i].started_at).getTime()).toBeGreaterThanOrEqual(new Date(previousEnd!).getTime());
      }
      expect(runs.every(r => r.outcome === 'succeeded' || r.outcome === 'running')).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await sandbox.close();
    }
  });
});
