import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { readBatchJobsConfig } from '../../config';
import { JobDirectory } from './JobDirectory';

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
    },
  }),
);
const directory = JobDirectory.fromConfig(config);

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'payments-settlement', annotations },
  };
}

describe('JobDirectory', () => {
  it('accepts a job inside the VPC folder', () => {
    expect(
      directory.resolveJob('DEV', 'DEV/payments-settlement/migrate-ledger')
        .fullName,
    ).toBe('DEV/payments-settlement/migrate-ledger');
  });

  it.each([
    ['PROD', 'PROD/x', /Unknown VPC 'PROD'/],
    ['DEV', 'STG/payments-settlement/x', /not in VPC 'DEV'/],
    ['DEV', 'DEV/../STG/x', /'\.' and '\.\.' are not allowed/],
    ['DEV', 'DEV/a%2Fb', /character Jenkins does not allow/],
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

  it('selects jobs by folder, name and glob, limited to annotated VPCs', () => {
    const selection = directory.selectionFor(
      entity({
        'batch-jobs.io/jobs': 'payments-settlement, report-builder/daily-*',
        'batch-jobs.io/vpcs': 'DEV,NOPE',
      }),
    );
    expect(selection.vpcs.map(v => v.name)).toEqual(['DEV']);
    expect(selection.unknownVpcs).toEqual(['NOPE']);
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
    expect(directory.parentFolder(dev, selection.selectors[1])).toBe(
      'DEV/report-builder',
    );
  });

  it('reports invalid selectors and a missing annotation', () => {
    const selection = directory.selectionFor(
      entity({ 'batch-jobs.io/jobs': 'ok,../etc' }),
    );
    expect(selection.selectors.map(s => s.raw)).toEqual(['ok']);
    expect(selection.invalid[0].raw).toBe('../etc');
    expect(() => directory.selectionFor(entity({}))).toThrow(
      /has no 'batch-jobs.io\/jobs'/,
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
    expect(config.cache).toEqual({ ttlSeconds: 10, scheduleTtlSeconds: 600 });
    expect(config.vpcs[2].folder).toBe('');
  });
});
