import { mockServices } from '@backstage/backend-test-utils';
import { JenkinsClient } from '../jenkins/JenkinsClient';
import { RawBuild } from '../jenkins/types';
import { memoryCache } from '../../__testUtils__/memoryCache';
import { ReadCache } from '../jobs/ReadCache';
import { JobConfigs, explainsLastBuild } from './JobConfigs';

const JOB = 'DEV/payments-settlement/daily-settlement-report';
// `H 2 * * *` fires this job daily at 02:59 UTC.
const RUN = Date.UTC(2026, 10, 2, 2, 59);

const timerBuild = (number: number, timestamp: number): RawBuild => ({
  number,
  timestamp,
  actions: [
    { causes: [{ _class: 'hudson.triggers.TimerTrigger$TimerTriggerCause' }] },
  ],
});
const userBuild = (number: number, timestamp: number): RawBuild => ({
  number,
  timestamp,
  actions: [{ causes: [{ _class: 'hudson.model.Cause$UserIdCause' }] }],
});
const opts = { fullName: JOB, timezone: 'UTC' };

describe('explainsLastBuild', () => {
  const cached = { spec: 'H 2 * * *', label: null, checkedBuild: 10 };

  it('accepts a timer build the spec fired, even a little late', () => {
    expect(explainsLastBuild(cached, timerBuild(11, RUN + 2_000), opts)).toBe(
      true,
    );
    expect(
      explainsLastBuild(cached, timerBuild(11, RUN + 10 * 60_000), opts),
    ).toBe(true);
  });

  it('rejects a timer build at a time the spec never fires: the spec changed', () => {
    expect(
      explainsLastBuild(cached, timerBuild(11, RUN + 3 * 3_600_000), opts),
    ).toBe(false);
    expect(
      explainsLastBuild({ ...cached, spec: null }, timerBuild(11, RUN), opts),
    ).toBe(false);
  });

  it('says nothing about builds seen when the config was read, or not by timer', () => {
    expect(
      explainsLastBuild(cached, timerBuild(10, RUN + 3 * 3_600_000), opts),
    ).toBe(true);
    expect(
      explainsLastBuild(cached, userBuild(11, RUN + 3 * 3_600_000), opts),
    ).toBe(true);
    expect(explainsLastBuild(cached, null, opts)).toBe(true);
  });
});

describe('JobConfigs', () => {
  it('reads config.xml once, again when a timer build is unexplained, and after invalidate', async () => {
    const getJobConfig = jest
      .fn()
      .mockResolvedValueOnce({
        spec: 'H 2 * * *',
        label: 'DEV-batch-agent',
        templateVersion: 1,
        template: 'standard-batch-pipeline',
      })
      .mockResolvedValueOnce({
        spec: 'H 5 * * *',
        label: 'DEV-batch-agent',
        templateVersion: 1,
        template: 'standard-batch-pipeline',
      })
      .mockResolvedValueOnce({
        spec: null,
        label: 'DEV-batch-agent',
        templateVersion: 2,
        template: 'standard-batch-pipeline',
      });
    const client = {
      name: 'sandbox',
      getJobConfig,
    } as unknown as JenkinsClient;
    const configs = new JobConfigs({
      cache: new ReadCache(memoryCache() as any, mockServices.logger.mock()),
      ttlMs: 600_000,
    });
    const context = (lastBuild: RawBuild) => ({ lastBuild, timezone: 'UTC' });

    expect(
      await configs.get(client, JOB, context(timerBuild(10, RUN))),
    ).toEqual({
      spec: 'H 2 * * *',
      label: 'DEV-batch-agent',
      templateVersion: 1,
      template: 'standard-batch-pipeline',
    });
    await configs.get(client, JOB, context(timerBuild(11, RUN + 86_400_000)));
    expect(getJobConfig).toHaveBeenCalledTimes(1);

    // Someone moved the job to 05:xx in Jenkins; its next timer build shows it.
    const moved = timerBuild(12, Date.UTC(2026, 10, 4, 5, 59));
    expect((await configs.get(client, JOB, context(moved))).spec).toBe(
      'H 5 * * *',
    );
    await configs.get(client, JOB, context(moved));
    expect(getJobConfig).toHaveBeenCalledTimes(2);

    await configs.invalidate(client, JOB);
    expect((await configs.get(client, JOB, context(moved))).spec).toBeNull();
    expect(getJobConfig).toHaveBeenCalledTimes(3);
  });

  it('reads config.xml again for an entry cached before template versions were', async () => {
    const cache = memoryCache();
    const getJobConfig = jest.fn().mockResolvedValue({
      spec: 'H 2 * * *',
      label: 'DEV-batch-agent',
      templateVersion: 1,
      template: 'standard-batch-pipeline',
    });
    const client = {
      name: 'sandbox',
      getJobConfig,
    } as unknown as JenkinsClient;
    const configs = new JobConfigs({
      cache: new ReadCache(cache as any, mockServices.logger.mock()),
      ttlMs: 600_000,
    });
    const context = { lastBuild: timerBuild(10, RUN), timezone: 'UTC' };
    // Fill the cache through JobConfigs, then strip the entry to its old shape.
    await configs.get(client, JOB, context);
    // ReadCache keeps each value as one JSON string under its own prefix.
    const key = `json:jenkins:sandbox:jobconfig:${JOB}`;
    const { templateVersion, template, ...old } = JSON.parse(
      (await cache.get(key)) as string,
    );
    expect(templateVersion).toBe(1);
    expect(template).toBe('standard-batch-pipeline');
    await cache.set(key, JSON.stringify(old));

    expect(await configs.get(client, JOB, context)).toMatchObject({
      templateVersion: 1,
    });
    expect(getJobConfig).toHaveBeenCalledTimes(2);
  });
});
