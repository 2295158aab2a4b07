import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { readBatchJobsConfig } from '../../config';
import { JobDirectory, globMatches } from './JobDirectory';

const config = readBatchJobsConfig(
  new ConfigReader({
    batchJobs: {
      jenkins: [
        { name: 'sandbox', baseUrl: 'http://j', username: 'u', apiToken: 't' },
      ],
      vpcs: [
        { name: 'DEV', jenkins: 'sandbox', folder: 'DEV' },
        { name: 'STG', jenkins: 'sandbox', folder: 'STG' },
        { name: 'OLD', jenkins: 'sandbox', namePattern: 'old-*' },
      ],
      // The operators' bindings: the annotation claims, these confirm.
      ownership: [
        {
          entity: 'component:default/payments-settlement',
          jobs: ['payments-settlement', 'report-builder/daily-*'],
        },
        // Two bindings on one job: a conflict nobody benefits from.
        { entity: 'component:default/ledger', jobs: ['shared/reconcile'] },
        {
          entity: 'Component:default/Payments-Settlement',
          jobs: ['shared/*'],
          vpcs: ['DEV'],
        },
      ],
    },
  }),
);
const directory = JobDirectory.fromConfig(config);

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

describe('JobDirectory', () => {
  it('accepts a job inside the VPC folder', () => {
    expect(
      directory.resolveJob('DEV', 'DEV/payments-settlement/migrate-ledger')
        .fullName,
    ).toBe('DEV/payments-settlement/migrate-ledger');
  });

  it('accepts a multibranch branch job, whose name holds an encoded slash', () => {
    expect(
      directory.resolveJob('DEV', 'DEV/orders/multibranch/feature%2FORD-214')
        .fullName,
    ).toBe('DEV/orders/multibranch/feature%2FORD-214');
  });

  it.each([
    ['PROD', 'PROD/x', /Unknown VPC 'PROD'/],
    ['DEV', 'STG/payments-settlement/x', /not in VPC 'DEV'/],
    ['DEV', 'DEV/../STG/x', /'\.' and '\.\.' are not allowed/],
    ['DEV', 'DEV/a%252Fb', /character Jenkins does not allow/],
    ['DEV', 'DEV/a%2fb', /character Jenkins does not allow/],
    ['DEV', 'DEV/a%2E%2E', /character Jenkins does not allow/],
    ['DEV', 'DEV/%%2F2F', /character Jenkins does not allow/],
    ['DEV', 'DEV/a\u0000b', /character Jenkins does not allow/],
    ['DEV', 'DEV//x', /empty/],
    ['DEV', 'DEV', /not in VPC/],
    ['OLD', 'new-job', /not in VPC 'OLD'/],
  ])('rejects vpc=%s job=%j', (vpc, job, message) => {
    expect(() => directory.resolveJob(vpc, job)).toThrow(
      expect.objectContaining({
        name: 'InputError',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('selects jobs by folder, name and glob, limited to annotated VPCs', async () => {
    const selection = await directory.selectionFor(
      entity({
        'batch-jobs.io/jobs': 'payments-settlement, report-builder/daily-*',
        'batch-jobs.io/vpcs': 'DEV,NOPE',
      }),
    );
    expect(selection.vpcs.map(v => v.name)).toEqual(['DEV']);
    expect(selection.unknownVpcs).toEqual([
      { name: 'NOPE', namedBy: 'annotation batch-jobs.io/vpcs' },
    ]);
    const dev = directory.getVpc('DEV');
    const stg = directory.getVpc('STG');
    expect(
      directory.selects(
        selection,
        dev,
        'DEV/payments-settlement/migrate-ledger',
      ),
    ).toBe(true);
    expect(
      directory.selects(selection, dev, 'DEV/report-builder/daily-report'),
    ).toBe(true);
    expect(
      directory.selects(selection, dev, 'DEV/report-builder/weekly-backup'),
    ).toBe(false);
    expect(
      directory.selects(selection, dev, 'DEV/push-notifier/push-dispatch'),
    ).toBe(false);
    expect(
      directory.selects(
        selection,
        stg,
        'STG/payments-settlement/migrate-ledger',
      ),
    ).toBe(false);
    expect(selection.selectorsByVpc.get('STG')).toBeUndefined();
    expect(
      directory.parentFolder(dev, selection.selectorsByVpc.get('DEV')![1]),
    ).toBe('DEV/report-builder');
  });

  it('counts a claim only where an operator binding gives the job to that very entity', async () => {
    const dev = directory.getVpc('DEV');
    // An attacker's entity claiming another team's folder: claimed, not confirmed.
    const mallory = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'payments-settlement, pay*' }, 'mallory'),
    );
    const job = 'DEV/payments-settlement/migrate-ledger';
    expect(directory.claimOf(mallory, dev, job)).toBe('unconfirmed');
    expect(directory.selects(mallory, dev, job)).toBe(false);
    // The bound entity's identical claim is valid (refs compare case-insensitively).
    const owner = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'payments-settlement' }),
    );
    expect(directory.claimOf(owner, dev, job)).toBe('valid');
    expect(directory.boundEntities(dev, job)).toEqual([
      'component:default/payments-settlement',
    ]);
    // Not claimed by the annotation: nothing, whatever the bindings say.
    expect(
      directory.claimOf(owner, dev, 'DEV/report-builder/daily-report'),
    ).toBe('none');
  });

  it('gives nobody a job that two bindings give to two entities', async () => {
    const dev = directory.getVpc('DEV');
    const stg = directory.getVpc('STG');
    const ledger = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'shared/reconcile' }, 'ledger'),
    );
    const payments = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'shared' }),
    );
    expect(directory.boundEntities(dev, 'DEV/shared/reconcile')).toHaveLength(
      2,
    );
    expect(directory.claimOf(ledger, dev, 'DEV/shared/reconcile')).toBe(
      'conflict',
    );
    expect(directory.claimOf(payments, dev, 'DEV/shared/reconcile')).toBe(
      'conflict',
    );
    // The second binding is DEV-only: in STG ledger alone holds the job.
    expect(directory.claimOf(ledger, stg, 'STG/shared/reconcile')).toBe(
      'valid',
    );
    expect(directory.claimOf(payments, dev, 'DEV/shared/export')).toBe('valid');
  });

  it('refuses a top-level * and oversized or wildcard-heavy selectors, with a message', async () => {
    const selection = await directory.selectionFor(
      entity({
        'batch-jobs.io/jobs': [
          '*',
          '**',
          `${'*'.repeat(30)}X`,
          `payments-settlement/${'*'.repeat(30)}X`,
          `a/${'x'.repeat(201)}`,
          'a/b/c/d/e/f/g/h/i',
          'payments-*',
        ].join(','),
      }),
    );
    expect(selection.selectorsByVpc.get('DEV')!.map(s => s.raw)).toEqual([
      'payments-*',
    ]);
    expect(selection.invalid.map(i => i.error)).toEqual([
      expect.stringMatching(/top-level '\*' claims nothing/),
      expect.stringMatching(/top-level '\*' claims nothing/),
      expect.stringMatching(/30 '\*'; at most 4/),
      expect.stringMatching(/30 '\*'; at most 4/),
      expect.stringMatching(/201 characters long; at most 200/),
      expect.stringMatching(/9 path segments; at most 8/),
    ]);
  });

  it('caps how much of an annotation is read', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `svc-${i}`).join(',');
    const selection = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': many }),
    );
    expect(selection.selectorsByVpc.get('DEV')).toHaveLength(50);
    expect(selection.invalid[0].error).toMatch(/60 selectors; at most 50/);
    const huge = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'a,'.repeat(3000) }),
    );
    expect(huge.invalid[0].error).toMatch(/6000 characters long; at most 4000/);
  });

  it('matches globs like a regex would, without backtracking', () => {
    const cases: Array<[string, string, boolean]> = [
      ['daily-*', 'daily-report', true],
      ['daily-*', 'weekly-report', false],
      ['*-report', 'daily-report', true],
      ['a*b*c', 'aXbYc', true],
      ['a*b*c', 'aXcYb', false],
      ['a*a', 'a', false],
      ['a*a', 'aa', true],
      ['*x*x*', 'axbxc', true],
      ['ab*ba', 'aba', false],
      ['exact', 'exact', true],
      ['exact', 'exactly', false],
      ['*', '', true],
    ];
    for (const [glob, text, expected] of cases) {
      expect([glob, text, globMatches(glob, text)]).toEqual([
        glob,
        text,
        expected,
      ]);
    }
    // The ReDoS shape: a regex of many `.*` backtracks exponentially here.
    const start = process.hrtime.bigint();
    expect(globMatches('*a*a*a*X', 'a'.repeat(10_000))).toBe(false);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(ms).toBeLessThan(50);
  });

  it('refuses bindings that would claim everything or name no entity kind', () => {
    const withOwnership = (ownership: unknown) => () =>
      readBatchJobsConfig(
        new ConfigReader({
          batchJobs: {
            jenkins: [
              { name: 's', baseUrl: 'http://j', username: 'u', apiToken: 't' },
            ],
            vpcs: [{ name: 'DEV', jenkins: 's', folder: 'DEV' }],
            ownership,
          },
        } as any),
      );
    expect(
      withOwnership([{ entity: 'component:default/x', jobs: ['*'] }]),
    ).toThrow(
      /batchJobs\.ownership\[0\]\.jobs\[0\].*top-level '\*' claims nothing/,
    );
    expect(withOwnership([{ entity: 'x', jobs: ['x'] }])).toThrow(
      /batchJobs\.ownership\[0\]\.entity.*must name the kind/,
    );
    expect(
      withOwnership([
        { entity: 'component:default/x', jobs: ['x'], vpcs: ['PROD'] },
      ]),
    ).toThrow(
      /batchJobs\.ownership\[0\]\.vpcs\[0\].*'PROD' is not a configured VPC/,
    );
  });

  it('reports invalid selectors and a missing annotation', async () => {
    const selection = await directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'ok,../etc' }),
    );
    expect(selection.selectorsByVpc.get('STG')!.map(s => s.raw)).toEqual([
      'ok',
    ]);
    expect(selection.invalid[0].raw).toBe('../etc');
    await expect(directory.selectionFor(entity({}))).rejects.toThrow(
      /has no 'batch-jobs.io\/jobs' or 'jenkins.io\/job-full-name' annotation$/,
    );
  });
});

describe('readBatchJobsConfig', () => {
  it('names the bad key when a VPC points at an unknown Jenkins', () => {
    expect(() =>
      readBatchJobsConfig(
        new ConfigReader({
          batchJobs: {
            jenkins: [
              {
                name: 'sandbox',
                baseUrl: 'http://j',
                username: 'u',
                apiToken: 't',
              },
            ],
            vpcs: [{ name: 'DEV', jenkins: 'nope', folder: 'DEV' }],
          },
        }),
      ),
    ).toThrow(/batchJobs\.vpcs\[0\]\.jenkins.*'nope'.*known: sandbox/);
  });

  it('fails when the section is missing and applies defaults otherwise', () => {
    expect(() => readBatchJobsConfig(new ConfigReader({}))).toThrow(
      /'batchJobs'/,
    );
    expect(config.jenkins[0]).toMatchObject({
      crumb: true,
      timeoutMs: 15000,
      readRetries: 2,
    });
    expect(config.cache).toEqual({
      ttlSeconds: 10,
      scheduleTtlSeconds: 600,
      watchIntervalSeconds: 15,
      extrasWaitMs: 0,
    });
    expect(config.vpcs[2].folder).toBe('');
  });
});
