import { tarOf } from '@internal/batch-jobs-sandbox';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { inspectBackupArchive } from './backupArchive';

const HOME = [
  { path: 'jenkins-home/', content: '' },
  { path: 'jenkins-home/config.xml', content: '<hudson/>' },
  { path: 'jenkins-home/jobs/', content: '' },
  { path: 'jenkins-home/jobs/a/config.xml', content: '<flow-definition/>' },
];
const good = gzipSync(tarOf(HOME, Date.UTC(2026, 10, 2)));

/** Hands the bytes over in small chunks, as S3 streams them. */
const chunks = (bytes: Buffer, size = 37) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

describe('inspectBackupArchive', () => {
  it('reads a whole tar.gz: every byte, its entries, where config.xml and jobs/ are', async () => {
    expect(await inspectBackupArchive(chunks(good))).toEqual({
      bytesRead: good.length,
      entries: 4,
      configRoots: ['jenkins-home/'],
      jobsRoots: ['jenkins-home/'],
    });
  });

  it('lists archives written by GNU tar, `./` names and long (pax/GNU) names included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backup-'));
    try {
      const deep = join(dir, 'jobs', 'x'.repeat(120), 'jobs', 'y');
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(dir, 'config.xml'), '<hudson/>');
      writeFileSync(join(deep, 'config.xml'), '<flow-definition/>');
      for (const format of ['gnu', 'pax']) {
        const bytes = execFileSync('tar', [`--format=${format}`, '-czf', '-', '-C', dir, '.']);
        const result = await inspectBackupArchive(chunks(bytes, 1000));
        expect(result).toMatchObject({ bytesRead: bytes.length, configRoots: [''], jobsRoots: [''] });
        expect(result.error).toBeUndefined();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the broken ones: stubs, cut-off streams, bad CRC or size, no tar, no Jenkins home', async () => {
    const inspect = async (bytes: Buffer) => (await inspectBackupArchive(chunks(bytes))).error;
    expect(await inspect(good.subarray(0, 10))).toMatchObject({ stage: 'gzip', truncated: true });
    expect(await inspect(good.subarray(0, good.length - 4))).toMatchObject({ stage: 'gzip', truncated: true });
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 8] ^= 0xff;
    expect(await inspect(badCrc)).toMatchObject({ stage: 'gzip', message: expect.stringMatching(/incorrect data check/) });
    const badSize = Buffer.from(good);
    badSize[badSize.length - 1] ^= 0xff;
    expect(await inspect(badSize)).toMatchObject({ stage: 'gzip', message: expect.stringMatching(/incorrect length check/) });
    expect(await inspect(Buffer.from('PK\x03\x04 a zip'))).toMatchObject({ stage: 'gzip', truncated: false });
    expect(await inspect(gzipSync(Buffer.from('not a tar')))).toMatchObject({ stage: 'tar', truncated: true });
    const tar = tarOf(HOME, 0);
    expect(await inspect(gzipSync(tar.subarray(0, 1024)))).toMatchObject({ stage: 'tar', truncated: true });
    const badHeader = Buffer.from(tar);
    badHeader[10] ^= 0xff;
    expect(await inspect(gzipSync(badHeader))).toMatchObject({ stage: 'tar', message: 'a header fails its checksum' });
    // Complete, but no Jenkins home: a dump, or a job folder alone.
    const other = await inspectBackupArchive(chunks(gzipSync(tarOf([{ path: 'db.sql', content: 'x' }], 0))));
    expect(other).toMatchObject({ entries: 1, configRoots: [], jobsRoots: [] });
    expect(other.error).toBeUndefined();
    const jobsOnly = await inspectBackupArchive(
      chunks(gzipSync(tarOf([{ path: 'jobs/a/config.xml', content: 'x' }, { path: 'jobs/a/jobs/b/config.xml', content: 'y' }], 0))),
    );
    expect(jobsOnly).toMatchObject({ configRoots: [], jobsRoots: [''] });
  });

  it('throws when the source fails (S3, network), not a verdict on the bytes', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('socket hang up'));
      },
    });
    await expect(inspectBackupArchive(failing)).rejects.toThrow('socket hang up');
  });
});
