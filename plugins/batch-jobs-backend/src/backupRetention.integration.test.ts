import { gzipSync } from 'node:zlib';
import {
  Sandbox,
  api as apiOf,
  closeSandbox,
  sandboxAws,
  startSandboxBackend,
  startTestSandbox,
} from './__testUtils__/integration';

/*
 * Issue 15's retention scenario against the sandbox: three good backups,
 * six invalid objects and another team's dump under the prefix, then the
 * backup job uploads a 10-byte gzip stub. Before the fix the stub passed
 * ("starts with gzip's magic") and retention, counting every object,
 * deleted the three good backups and the dump.
 */

jest.setTimeout(120_000);

const BUCKET = 'jenkins-backups';

describe('backup retention against the sandbox', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ startTime: Date.now() });
    ({ server } = await startSandboxBackend(sandbox, {
      batchJobs: {
        routines: {
          'offline-node-sweep': { enabled: false },
          'orphan-reaper': { enabled: false },
          'jenkins-backup': {
            // Run by hand only (a routine disabled in config refuses real runs).
            frequency: { trigger: 'manual' },
            job: 'jenkins-backup',
            pollInterval: { milliseconds: 50 },
            waitTimeout: { seconds: 60 },
            s3: { ...sandboxAws(sandbox, { maxAttempts: undefined }), bucket: BUCKET, prefix: 'jenkins/' },
            retention: { keepLast: 3 },
          },
        },
      },
    }));
  });

  afterAll(() => closeSandbox(sandbox));

  const api = () => apiOf(server);
  const keys = () => [...sandbox.aws.s3.bucket(BUCKET).objects.keys()].sort();

  async function run() {
    const res = await api().post('/routines/jenkins-backup/run', { dryRun: false });
    expect(res.status).toBe(202);
    for (let i = 0; ; i++) {
      const r = await api().get(`/routines/runs/${res.body.runId}`);
      if (r.body.outcome !== 'running') return r.body;
      if (i > 2000) throw new Error('backup run did not end');
      await sandbox.advance(20_000);
      await new Promise(resolve => setTimeout(resolve, 30));
    }
  }

  it('keeps the three good backups and the foreign dump when a 10-byte stub arrives', async () => {
    const good: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await run();
      expect(result.outcome).toBe('succeeded');
      good.push(result.items.find((item: any) => item.action === 'verify').target);
    }
    expect(good).toHaveLength(3);

    // Newer than the good ones: half-written uploads, a corrupt archive, a
    // gzip of something that is no Jenkins home, and another team's dump.
    const put = (key: string, body: Buffer) => {
      sandbox.aws.s3.putObject(BUCKET, key, body);
      return sandbox.advance(60_000);
    };
    const real = sandbox.aws.s3.bucket(BUCKET).objects.get(good[2])!.body;
    const corrupt = Buffer.from(real);
    corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
    const invalid = [
      Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
      real.subarray(0, real.length - 8),
      corrupt,
      gzipSync(Buffer.from('not a tar')),
      Buffer.from('PK\x03\x04 zip'),
      gzipSync(Buffer.alloc(1024)),
    ];
    for (const [i, body] of invalid.entries()) await put(`jenkins/jenkins-home-manual-${i}.tar.gz`, body);
    await put('jenkins/db-dump.tgz', gzipSync(Buffer.from('another team')));
    expect(keys()).toHaveLength(10);

    sandbox.backup.mode = 'truncated';
    const stub = await run();
    sandbox.backup.mode = 'ok';
    expect(stub.outcome).toBe('failed');
    expect(stub.summary).toMatch(/Backup INVALID: jenkins\/jenkins-home-.*\.tar\.gz is not a complete gzip stream/);
    expect(stub.items.filter((i: any) => i.action === 'delete-backup')).toEqual([]);

    expect(keys()).toEqual(expect.arrayContaining([...good, 'jenkins/db-dump.tgz']));
    expect(keys()).toHaveLength(11);
    const recorded = (await api().get('/backups')).body.items;
    expect(recorded[0]).toMatchObject({ verified: false, sizeBytes: 10, deletedAt: null });
    expect(recorded.filter((b: any) => b.verified).map((b: any) => b.key).sort()).toEqual([...good].sort());

    // The next good backup lets retention go, but only over what it verified.
    const next = await run();
    expect(next.outcome).toBe('succeeded');
    const deleted = next.items.filter((i: any) => i.action === 'delete-backup' && i.status === 'done').map((i: any) => i.target);
    expect(deleted).toEqual([good[0]]);
    expect(keys()).toEqual(expect.arrayContaining([good[1], good[2], 'jenkins/db-dump.tgz']));
    expect(keys()).toHaveLength(11);
  });
});
