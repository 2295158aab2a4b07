import { gunzipSync } from 'node:zlib';
import { startSandbox } from './index';

jest.setTimeout(60_000);

describe('the seeded backup pipeline', () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  const HEADERS = { Authorization: `Basic ${Buffer.from('admin:sandbox-token').toString('base64')}` };

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: 42, clock: 'manual', startTime: Date.UTC(2026, 10, 2, 9, 0) });
  });
  afterAll(() => sandbox.close());

  const objects = () => [...sandbox.aws.s3.bucket('jenkins-backups').objects.values()];
  async function runBackup() {
    const res = await fetch(`${sandbox.jenkinsUrl}/job/jenkins-backup/build`, { method: 'POST', headers: HEADERS });
    expect(res.status).toBe(201);
    await sandbox.advance(10 * 60_000);
    const job = await (await fetch(`${sandbox.jenkinsUrl}/job/jenkins-backup/lastBuild/api/json`, { headers: HEADERS })).json();
    return job as { result: string; building: boolean; number: number };
  }

  it('writes a real tar.gz of JENKINS_HOME to s3://jenkins-backups/jenkins/', async () => {
    const build = await runBackup();
    expect(build).toMatchObject({ result: 'SUCCESS', building: false });
    const [object] = objects();
    expect(object.key).toMatch(/^jenkins\/jenkins-home-\d{8}T\d{6}Z-1\.tar\.gz$/);
    expect(object.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const tar = gunzipSync(object.body);
    expect(tar.subarray(257, 262).toString()).toBe('ustar');
    expect(tar.toString('latin1')).toContain('daily-settlement-report');
    expect(tar.toString('latin1')).toContain('<flow-definition');
    // What a restore needs, as `tar tzf` lists it: the root config and jobs/.
    const names: string[] = [];
    for (let at = 0; at + 512 <= tar.length && tar[at] !== 0; ) {
      const field = (o: number, n: number) => tar.subarray(at + o, at + o + n).toString('utf8').replace(/\0.*$/s, '');
      const prefix = field(345, 155);
      names.push(`${prefix ? `${prefix}/` : ''}${field(0, 100)}`);
      at += 512 + Math.ceil(parseInt(field(124, 12), 8) / 512) * 512;
    }
    expect(names.slice(0, 3)).toEqual(['jenkins-home/', 'jenkins-home/config.xml', 'jenkins-home/jobs/']);
    expect(names).toContain('jenkins-home/jobs/DEV/jobs/payments-settlement/');
  });

  it('uploads an empty object, nothing, or fails, when told to', async () => {
    sandbox.backup.mode = 'empty';
    expect((await runBackup()).result).toBe('SUCCESS');
    expect(objects().map(o => o.body.length)).toEqual([expect.any(Number), 0]);
    sandbox.backup.mode = 'none';
    expect((await runBackup()).result).toBe('SUCCESS');
    expect(objects()).toHaveLength(2);
    sandbox.backup.mode = 'truncated';
    expect((await runBackup()).result).toBe('SUCCESS');
    const stub = objects()[2].body;
    expect(stub).toHaveLength(10);
    expect(stub.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(() => gunzipSync(stub)).toThrow(/unexpected end of file/);
    sandbox.backup.mode = 'fail';
    expect((await runBackup()).result).toBe('FAILURE');
    expect(objects()).toHaveLength(3);
    sandbox.backup.mode = 'ok';
  });
});
