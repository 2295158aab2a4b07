import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  DatabasePauseStore,
  PauseRecord,
  PauseStore,
} from '../database/DatabasePauseStore';
import { PauseJob } from '../services/actions/PauseJob';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@batch-jobs/plugin-batch-jobs-backend',
  'migrations',
);
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const JOB = 'DEV/a/x';
const expired: PauseRecord = {
  vpc: 'DEV',
  job: JOB,
  by: 'user:default/jane',
  reason: 'DB migration',
  entityRef: null,
  at: '2026-11-02T09:00:00.000Z',
  until: '2026-11-02T10:00:00.000Z',
};
// Paused again (no end) by someone else after the routine read the due pauses.
const again: PauseRecord = {
  ...expired,
  by: 'user:default/joe',
  reason: 'incident',
  at: '2026-11-02T10:00:30.000Z',
  until: null,
};

async function setup(options: {
  /** Runs after the routine listed the due pauses. */
  afterList?: (
    store: PauseStore,
    jenkins: { disabled: boolean },
  ) => Promise<void>;
  /** Runs when the routine enables the job in Jenkins. */
  onEnable?: (
    store: PauseStore,
    jenkins: { disabled: boolean },
  ) => Promise<void>;
}) {
  const db = await databases.init('SQLITE_3');
  await db.migrate.latest({ directory: migrationsDir });
  const real = DatabasePauseStore.create({ db });
  await real.set(expired);
  const jenkins = { disabled: true, calls: [] as boolean[] };
  const pauses: PauseStore = Object.assign(Object.create(real), {
    listDue: async (now: Date, limit: number) => {
      const due = await real.listDue(now, limit);
      await options.afterList?.(real, jenkins);
      return due;
    },
  });
  const client = {
    name: 'sandbox',
    setJobDisabled: async (_job: string, disabled: boolean) => {
      jenkins.calls.push(disabled);
      jenkins.disabled = disabled;
      if (!disabled) await options.onEnable?.(real, jenkins);
    },
  };
  let audits = 0;
  const pauseJob = new PauseJob({
    directory: { getVpc: () => ({ name: 'DEV', jenkins: 'sandbox' }) } as any,
    clients: new Map([['sandbox', client as any]]),
    audit: {
      create: async () => `audit-${++audits}`,
      finish: async () => undefined,
    } as any,
    pauses,
    permissions: mockServices.permissions.mock(),
    catalog: {} as any,
    logger: mockServices.logger.mock(),
    now: () => new Date('2026-11-02T10:01:00Z'),
  });
  return { pauseJob, real, jenkins };
}

const repause = async (store: PauseStore, jenkins: { disabled: boolean }) => {
  jenkins.disabled = true;
  await store.set(again);
};

describe('resuming expired pauses', () => {
  it('resumes a job whose timed pause ended', async () => {
    const { pauseJob, real, jenkins } = await setup({});
    expect(await pauseJob.resumeDue()).toEqual({ resumed: 1, failed: 0 });
    expect(jenkins.disabled).toBe(false);
    expect(await real.get('DEV', JOB)).toBeUndefined();
  });

  it('leaves a job paused again after the due pauses were read', async () => {
    const { pauseJob, real, jenkins } = await setup({ afterList: repause });
    expect(await pauseJob.resumeDue()).toEqual({ resumed: 0, failed: 0 });
    expect(jenkins.calls).toEqual([]);
    expect(jenkins.disabled).toBe(true);
    expect(await real.get('DEV', JOB)).toEqual(again);
  });

  it('disables again a job paused while it was being enabled', async () => {
    const { pauseJob, real, jenkins } = await setup({ onEnable: repause });
    await pauseJob.resumeDue();
    expect(jenkins.disabled).toBe(true);
    expect(await real.get('DEV', JOB)).toEqual(again);
  });

  it('keeps the pause for the next run when Jenkins refuses', async () => {
    const { pauseJob, real } = await setup({
      onEnable: async () => {
        throw new Error('Jenkins down');
      },
    });
    expect(await pauseJob.resumeDue()).toEqual({ resumed: 0, failed: 1 });
    expect(await real.get('DEV', JOB)).toEqual(expired);
  });
});
