import { ConfigReader } from '@backstage/config';
import { readRoutinesConfig } from './routinesConfig';

const withPrefix = (prefix?: string) =>
  new ConfigReader({
    batchJobs: {
      routines: {
        'jenkins-backup': {
          s3: {
            bucket: 'jenkins-backups',
            ...(prefix === undefined ? {} : { prefix }),
          },
        },
      },
    },
  });

describe('readRoutinesConfig', () => {
  it('takes the backup prefix as configured, without a leading slash', () => {
    expect(
      readRoutinesConfig(withPrefix('/jenkins/'), ['main'])['jenkins-backup']
        .s3,
    ).toMatchObject({
      bucket: 'jenkins-backups',
      prefix: 'jenkins/',
    });
  });

  it('refuses a backup prefix that is empty or absent: retention would span the whole bucket', () => {
    for (const prefix of [undefined, '', '/', '  ']) {
      expect(() => readRoutinesConfig(withPrefix(prefix), ['main'])).toThrow(
        "Invalid config at 'batchJobs.routines.jenkins-backup.s3.prefix': a non-empty key prefix is required (e.g. 'jenkins/'), so retention never spans the whole bucket",
      );
    }
  });
});
