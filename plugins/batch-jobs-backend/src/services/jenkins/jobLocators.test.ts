import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import type { BatchJobsJobLocator } from '@batch-jobs/plugin-batch-jobs-node';
import { readBatchJobsConfig } from '../../config';
import { JobDirectory } from './JobDirectory';

/*
 * The job locators as JobDirectory reads them: the community Jenkins
 * plugin's `jenkins.io/job-full-name` placed onto our VPCs, and a module's
 * locator's output capped like an annotation.
 */

const jenkins = (name: string) => ({
  name,
  baseUrl: `http://${name}`,
  username: 'u',
  apiToken: 't',
});

function configOf(batchJobs: Record<string, unknown> = {}) {
  return readBatchJobsConfig(
    new ConfigReader({
      batchJobs: {
        jenkins: [jenkins('main'), jenkins('legacy')],
        vpcs: [
          { name: 'DEV', jenkins: 'main', folder: 'DEV' },
          { name: 'STG', jenkins: 'main', folder: 'STG' },
          // Everything on legacy, but what lives in archive/ is ARCHIVE's.
          { name: 'OLD', jenkins: 'legacy' },
          { name: 'ARCHIVE', jenkins: 'legacy', folder: 'archive' },
        ],
        ownership: [
          {
            entity: 'component:default/payments-settlement',
            jobs: ['payments-settlement'],
          },
          { entity: 'component:default/payments-settlement', jobs: ['tools'] },
        ],
        ...batchJobs,
      },
    } as any),
  );
}

const directory = JobDirectory.fromConfig(configOf());

function entity(
  annotations: Record<string, string>,
  name = 'payments-settlement',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
  };
}

const community = (value: string, name?: string) =>
  directory.selectionFor(entity({ 'jenkins.io/job-full-name': value }, name));

/** Selector paths per VPC, to compare. */
function placed(selection: { selectorsByVpc: Map<string, any[]> }) {
  return Object.fromEntries(
    [...selection.selectorsByVpc].map(([vpc, selectors]) => [
      vpc,
      selectors.map(s => s.segments.join('/')),
    ]),
  );
}

describe('the jenkins.io/job-full-name locator', () => {
  it('places a prefixed full name in the VPC of that Jenkins whose folder holds it', async () => {
    const selection = await community(
      'main:DEV/payments-settlement, main:STG/payments-settlement/daily-settlement-report',
    );
    expect(selection.vpcs.map(v => v.name)).toEqual(['DEV', 'STG']);
    expect(placed(selection)).toEqual({
      DEV: ['payments-settlement'],
      STG: ['payments-settlement/daily-settlement-report'],
    });
    expect(selection.invalid).toEqual([]);
    const dev = directory.getVpc('DEV');
    const stg = directory.getVpc('STG');
    // A folder means the jobs directly in it, as the community plugin lists them.
    expect(
      directory.claimOf(
        selection,
        dev,
        'DEV/payments-settlement/migrate-ledger',
      ),
    ).toBe('valid');
    expect(
      directory.claimOf(selection, dev, 'DEV/payments-settlement/a/b'),
    ).toBe('none');
    // A leaf job is that job only.
    expect(
      directory.claimOf(
        selection,
        stg,
        'STG/payments-settlement/daily-settlement-report',
      ),
    ).toBe('valid');
    expect(
      directory.claimOf(
        selection,
        stg,
        'STG/payments-settlement/migrate-ledger',
      ),
    ).toBe('none');
  });

  it('gives a name in a nested VPC folder to that VPC, not to the root VPC around it', async () => {
    const selection = await community(
      'legacy:archive/payments-settlement, legacy:tools',
    );
    expect(placed(selection)).toEqual({
      OLD: ['tools'],
      ARCHIVE: ['payments-settlement'],
    });
  });

  it('is still only a claim: an unbound entity gets nothing', async () => {
    const mallory = await community('main:DEV/payments-settlement', 'mallory');
    const dev = directory.getVpc('DEV');
    expect(
      directory.claimOf(mallory, dev, 'DEV/payments-settlement/migrate-ledger'),
    ).toBe('unconfirmed');
    expect(
      directory.selects(mallory, dev, 'DEV/payments-settlement/migrate-ledger'),
    ).toBe(false);
  });

  it('takes an unprefixed name on the Jenkins named default, or the only one', async () => {
    // Two instances, neither named default: the entry must say which.
    await expect(community('DEV/payments-settlement')).rejects.toThrow(
      "Entity 'payments-settlement' claims no job in a configured VPC: 'DEV/payments-settlement': Invalid job name 'DEV/payments-settlement': it names no Jenkins instance and several are configured; prefix it with one of main, legacy and ':'",
    );
    const single = JobDirectory.fromConfig(
      configOf({
        jenkins: [jenkins('main')],
        vpcs: [{ name: 'DEV', jenkins: 'main', folder: 'DEV' }],
      }),
    );
    const one = await single.selectionFor(
      entity({ 'jenkins.io/job-full-name': 'DEV/payments-settlement' }),
    );
    expect(placed(one)).toEqual({ DEV: ['payments-settlement'] });
    const withDefault = JobDirectory.fromConfig(
      configOf({
        jenkins: [jenkins('main'), jenkins('default')],
        vpcs: [
          { name: 'DEV', jenkins: 'main', folder: 'DEV' },
          { name: 'LAB', jenkins: 'default', folder: 'DEV' },
        ],
      }),
    );
    const onDefault = await withDefault.selectionFor(
      entity({ 'jenkins.io/job-full-name': 'DEV/payments-settlement' }),
    );
    expect(placed(onDefault)).toEqual({ LAB: ['payments-settlement'] });
  });

  it('reports unknown instances, names outside every VPC, whole VPC folders and globs', async () => {
    const selection = await community(
      [
        'main:DEV/payments-settlement',
        'nope:DEV/x',
        'main:PROD/x',
        'main:DEV',
        'main:DEV/pay*',
        'main:DEV/../STG/x',
      ].join(','),
    );
    expect(placed(selection)).toEqual({ DEV: ['payments-settlement'] });
    expect(selection.invalid).toEqual([
      {
        raw: 'nope:DEV/x',
        error:
          "Invalid job name 'nope:DEV/x': Jenkins instance 'nope' is not configured; configured: main, legacy",
      },
      {
        raw: 'main:PROD/x',
        error:
          "Invalid job name 'main:PROD/x': it is in no VPC's folder on Jenkins 'main' (DEV: 'DEV', STG: 'STG')",
      },
      {
        raw: 'main:DEV',
        error:
          "Invalid job name 'main:DEV': it is VPC 'DEV''s whole folder; name your service's folder or jobs inside it",
      },
      {
        raw: 'main:DEV/pay*',
        error:
          "Invalid job name 'main:DEV/pay*': a full name is taken literally; '*' is not allowed",
      },
      {
        raw: 'main:DEV/../STG/x',
        error:
          "Invalid job name 'main:DEV/../STG/x': '.' and '..' are not allowed",
      },
    ]);
  });

  it('caps the annotation like batch-jobs.io/jobs', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `main:DEV/svc-${i}`).join(
      ',',
    );
    const selection = await community(many);
    expect(selection.selectorsByVpc.get('DEV')).toHaveLength(50);
    expect(selection.invalid).toEqual([
      {
        raw: 'main:DEV/svc-50',
        error:
          "Annotation 'jenkins.io/job-full-name' has 60 job names; at most 50 are read",
      },
    ]);
    const huge = await community(`main:DEV/ok,${'x'.repeat(5000)}`);
    expect(huge.invalid[0].error).toBe(
      "Annotation 'jenkins.io/job-full-name' is 5012 characters long; at most 4000 are read",
    );
    const deep = await community(
      `main:DEV/${Array.from({ length: 9 }, (_, i) => `f${i}`).join(
        '/',
      )}, main:DEV/${'y'.repeat(201)}`,
    );
    expect(deep.invalid.map(i => i.error)).toEqual([
      expect.stringMatching(/9 path segments; at most 8$/),
      expect.stringMatching(
        /a path segment is 201 characters long; at most 200$/,
      ),
    ]);
  });

  it('unions its claims with batch-jobs.io/jobs', async () => {
    const selection = await directory.selectionFor(
      entity({
        'batch-jobs.io/jobs': 'payments-settlement',
        'batch-jobs.io/vpcs': 'DEV',
        'jenkins.io/job-full-name':
          'main:DEV/payments-settlement, main:STG/payments-settlement',
      }),
    );
    expect(placed(selection)).toEqual({
      DEV: ['payments-settlement'],
      STG: ['payments-settlement'],
    });
  });

  it('is not read when batchJobs.locators.communityAnnotation is false', async () => {
    const off = JobDirectory.fromConfig(
      configOf({ locators: { communityAnnotation: false } }),
    );
    await expect(
      off.selectionFor(
        entity({ 'jenkins.io/job-full-name': 'main:DEV/payments-settlement' }),
      ),
    ).rejects.toThrow(
      "Entity 'payments-settlement' has no 'batch-jobs.io/jobs' annotation",
    );
    expect(off.claimSources()).toBe('annotation batch-jobs.io/jobs');
    expect(directory.claimSources()).toBe(
      'annotation batch-jobs.io/jobs or jenkins.io/job-full-name',
    );
  });
});

describe("a module's job locator", () => {
  const withLocators = (...locators: BatchJobsJobLocator[]) =>
    JobDirectory.fromConfig(configOf(), { locators });

  it('adds its claims, in both forms, and names itself in messages', async () => {
    const teams = withLocators({
      id: 'team-jobs',
      locate: async e =>
        e.metadata.name === 'payments-settlement'
          ? {
              claims: [
                { selector: 'payments-settlement', vpcs: ['STG', 'MOON'] },
                { fullName: 'tools', jenkins: 'legacy' },
              ],
            }
          : undefined,
    });
    const selection = await teams.selectionFor(entity({}));
    expect(placed(selection)).toEqual({
      STG: ['payments-settlement'],
      OLD: ['tools'],
    });
    expect(selection.unknownVpcs).toEqual([
      { name: 'MOON', namedBy: "job locator 'team-jobs'" },
    ]);
    await expect(teams.selectionFor(entity({}, 'other'))).rejects.toThrow(
      "Entity 'other' has no 'batch-jobs.io/jobs' or 'jenkins.io/job-full-name' annotation, and no job locator names jobs for it",
    );
    expect(teams.claimSources()).toBe(
      "annotation batch-jobs.io/jobs or jenkins.io/job-full-name, or job locator 'team-jobs'",
    );
  });

  it('is capped like an annotation: count, globs, segments', async () => {
    const greedy = withLocators({
      id: 'greedy',
      locate: () => ({
        claims: [
          { selector: '*' },
          { selector: `a/${'*'.repeat(10)}` },
          ...Array.from({ length: 100 }, (_, i) => ({ selector: `svc-${i}` })),
        ],
      }),
    });
    const selection = await greedy.selectionFor(entity({}));
    expect(selection.selectorsByVpc.get('DEV')).toHaveLength(48);
    expect(selection.invalid.map(i => i.error)).toEqual([
      "Job locator 'greedy' returned 102 claims; at most 50 are read",
      expect.stringMatching(/top-level '\*' claims nothing/),
      expect.stringMatching(/10 '\*'; at most 4/),
    ]);
  });

  it('shows a failing or nonsensical locator as an invalid entry, not a crash', async () => {
    const directoryWith = withLocators(
      {
        id: 'broken',
        locate: () => {
          throw new Error('registry unreachable');
        },
      },
      { id: 'odd', locate: () => ({ claims: [{ nothing: true } as any] }) },
    );
    const selection = await directoryWith.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'payments-settlement' }),
    );
    expect(selection.invalid).toEqual([
      {
        raw: 'broken',
        error: "Job locator 'broken' failed: registry unreachable",
      },
      {
        raw: '{"nothing":true}',
        error:
          "Job locator 'odd' returned a claim with neither a selector nor a full name",
      },
    ]);
    expect(placed(selection).DEV).toEqual(['payments-settlement']);
  });

  it('refuses two locators with one id', () => {
    expect(() =>
      withLocators({ id: 'jenkins.io/job-full-name', locate: () => undefined }),
    ).toThrow("Job locator 'jenkins.io/job-full-name' is added twice");
  });
});
