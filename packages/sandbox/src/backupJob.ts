import { gzipSync } from 'node:zlib';
import type { AwsWorld } from './aws';
import { configXml } from './jenkins/configXml';
import type { Build, Job, Node } from './world/model';
import type { World } from './world/world';

/**
 * What the sandbox's backup pipeline does when it runs:
 * - `ok`: uploads a real tar.gz of the sandbox's JENKINS_HOME (default);
 * - `empty`: uploads a 0-byte object and still succeeds (a broken tar step);
 * - `none`: uploads nothing and still succeeds (a broken upload step);
 * - `truncated`: uploads the first 10 bytes of the tar.gz (a gzip header
 *   without data or trailer) and still succeeds (an interrupted stream);
 * - `fail`: the build fails, nothing uploaded.
 * @public
 */
export type BackupJobMode = 'ok' | 'empty' | 'none' | 'truncated' | 'fail';

/** @public */
export interface BackupJob {
  /** Full name of the job: `jenkins-backup`, at the root. */
  job: string;
  bucket: string;
  prefix: string;
  mode: BackupJobMode;
}

export const BACKUP_JOB_NAME = 'jenkins-backup';
export const BACKUP_LABEL = 'controller-backup';

/**
 * A tar (ustar) archive of text files; a path ending in `/` is a directory
 * entry (as `tar czf` writes them). Enough for `tar tzf` and for the
 * backend's verification.
 */
export function tarOf(files: Array<{ path: string; content: string }>, mtime: number): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const directory = file.path.endsWith('/');
    const body = Buffer.from(directory ? '' : file.content, 'utf8');
    const header = Buffer.alloc(512);
    let name = file.path;
    let prefix = '';
    if (Buffer.byteLength(name) > 100) {
      // ustar: the directory part goes to the 155-byte prefix field.
      const split = name.lastIndexOf('/', name.length - 2);
      prefix = name.slice(0, split);
      name = name.slice(split + 1);
    }
    const put = (value: string, offset: number, length: number) => header.write(value, offset, length, 'utf8');
    const octal = (n: number, length: number) => `${n.toString(8).padStart(length - 1, '0')}\0`;
    put(name, 0, 100);
    put(octal(directory ? 0o755 : 0o644, 8), 100, 8);
    put(octal(1000, 8), 108, 8);
    put(octal(1000, 8), 116, 8);
    put(octal(body.length, 12), 124, 12);
    put(octal(Math.floor(mtime / 1000), 12), 136, 12);
    put('        ', 148, 8);
    put(directory ? '5' : '0', 156, 1);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    put('jenkins', 265, 32);
    put('jenkins', 297, 32);
    put(prefix, 345, 155);
    let sum = 0;
    for (const byte of header) sum += byte;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function homeFiles(world: World): Array<{ path: string; content: string }> {
  const files = [
    {
      path: 'jenkins-home/config.xml',
      content: `<?xml version='1.1' encoding='UTF-8'?>\n<hudson>\n  <numExecutors>0</numExecutors>\n  <useSecurity>true</useSecurity>\n</hudson>\n`,
    },
  ];
  for (const job of world.jobs()) {
    const path = job.fullName.split('/').join('/jobs/');
    files.push({ path: `jenkins-home/jobs/${path}/config.xml`, content: configXml(job) });
    files.push({ path: `jenkins-home/jobs/${path}/nextBuildNumber`, content: `${job.nextBuildNumber}\n` });
  }
  for (const node of world.nodes) {
    if (node.builtIn) continue;
    files.push({
      path: `jenkins-home/nodes/${node.name}/config.xml`,
      content: `<slave>\n  <name>${node.name}</name>\n  <numExecutors>${node.numExecutors}</numExecutors>\n  <label>${node.labels.join(' ')}</label>\n</slave>\n`,
    });
  }
  // Directory entries before their contents, as GNU tar lists them.
  const out: Array<{ path: string; content: string }> = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        out.push({ path: dir, content: '' });
      }
    }
    out.push(file);
  }
  return out;
}

/**
 * Seeds the team's backup pipeline: a root-level `jenkins-backup` job that
 * runs on a static agent on the controller host (`backup-runner`, label
 * `controller-backup`: JENKINS_HOME mounted read-only), rsyncs, tars and
 * uploads to `s3://<bucket>/<prefix>` on the sandbox's AWS endpoint. No
 * timer: the backend's backup routine starts it.
 * @public
 */
export function installBackupJob(
  world: World,
  aws: AwsWorld,
  options: { bucket?: string; prefix?: string } = {},
): BackupJob {
  const control: BackupJob = {
    job: BACKUP_JOB_NAME,
    bucket: options.bucket ?? 'jenkins-backups',
    prefix: options.prefix ?? 'jenkins/',
    mode: 'ok',
  };
  const now = world.now();
  const runner: Node = {
    name: 'backup-runner',
    labels: [BACKUP_LABEL],
    numExecutors: 1,
    executors: [null],
    builtIn: false,
    offline: false,
    temporarilyOffline: false,
    offlineCause: null,
    description: 'Static agent on the controller host (JENKINS_HOME mounted read-only), for backups',
    connectedSince: now - 30 * 24 * 3_600_000,
    monitor: {
      totalMemory: 4 * 1024 ** 3,
      freeMemory: 3 * 1024 ** 3,
      diskFree: 200 * 1024 ** 3,
      tmpFree: 50 * 1024 ** 3,
      responseMs: 5,
    },
  };
  world.addNode(runner);
  const job: Job = world.addJob({
    kind: 'pipeline',
    name: BACKUP_JOB_NAME,
    fullName: BACKUP_JOB_NAME,
    description: `Backs up JENKINS_HOME to s3://${control.bucket}/${control.prefix} (rsync to a temp dir, tar.gz, upload)`,
    parent: world.root,
    params: [],
    timerSpec: null,
    label: BACKUP_LABEL,
    concurrentBuild: false,
    disabled: false,
    builds: [],
    nextBuildNumber: 1,
    profile: { meanDurationMs: 90_000, failureRate: 0, worker: false, topic: 'backup' },
  });
  world.onBuildFinish((build: Build, at: number) => {
    if (build.job !== job) return;
    if (control.mode === 'fail') {
      build.result = 'FAILURE';
      return;
    }
    build.result = 'SUCCESS';
    if (control.mode === 'none') return;
    const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const key = `${control.prefix}jenkins-home-${stamp}-${build.number}.tar.gz`;
    let body = control.mode === 'empty' ? Buffer.alloc(0) : gzipSync(tarOf(homeFiles(world), at));
    if (control.mode === 'truncated') body = body.subarray(0, 10);
    aws.s3.putObject(control.bucket, key, body, {
      contentType: 'application/gzip',
      lastModified: at,
      metadata: { 'jenkins-build': String(build.number) },
    });
  });
  return control;
}
