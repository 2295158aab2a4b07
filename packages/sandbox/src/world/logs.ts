import type { Build, Cause } from './model';

/**
 * A build log is generated, never stored: a list of timed segments whose
 * lines appear as the clock passes their time. Literal segments hold a few
 * lines; repeated segments describe thousands of fixed-width lines by a
 * function, so a multi-megabyte log costs nothing until it is read, and a
 * byte offset maps to a line by arithmetic.
 */
type Segment =
  | { kind: 'lines'; at: number; lines: Array<{ offset: number; text: string; bytes: number }> }
  | {
      kind: 'repeat';
      at: number;
      intervalMs: number;
      /** Infinity while the build keeps producing lines. */
      count: number;
      /** Byte width of every line, newline included. */
      width: number;
      lineAt: (index: number, time: number) => string;
    };

const COMMIT_MESSAGES = [
  'tune batch size',
  'retry transient db errors',
  'bump client library',
  'log rejected records',
  'handle empty input files',
  'speed up checksum',
];

const FAILURES = [
  'connection reset by peer (db-proxy.internal:5432)',
  'timeout after 30000ms waiting for lock on ledger_entries',
  'S3 PutObject failed: SlowDown (503)',
  'upstream returned HTTP 502 Bad Gateway',
  'out of memory: heap limit 2048m reached',
];

/** Jenkins' LargeText caps one progressive read of a live log at this many lines. */
export const MAX_LINES_READ = 10000;

export class BuildLog {
  private readonly segments: Segment[] = [];
  /** After this time nothing more appears (the build finished). */
  private end = Infinity;

  lines(at: number, lines: Array<string | [offset: number, text: string]>): this {
    this.segments.push({
      kind: 'lines',
      at,
      lines: lines.map(line => {
        const [offset, text] = typeof line === 'string' ? [0, line] : line;
        return { offset, text, bytes: Buffer.byteLength(text, 'utf8') + 1 };
      }),
    });
    return this;
  }

  repeat(
    at: number,
    intervalMs: number,
    count: number,
    lineAt: (index: number, time: number) => string,
  ): this {
    const width = Buffer.byteLength(lineAt(0, at), 'utf8') + 1;
    this.segments.push({ kind: 'repeat', at, intervalMs, count, width, lineAt });
    return this;
  }

  /** Nothing appears after `time`; later segments and lines are dropped. */
  cut(time: number): this {
    this.end = Math.min(this.end, time);
    return this;
  }

  /** Bytes visible at `now`. */
  length(now: number): number {
    let total = 0;
    for (const seg of this.segments) {
      total += this.segmentBytes(seg, now);
    }
    return total;
  }

  /**
   * The log from byte `start` as visible at `now`, in chunks of about 64 KiB.
   * `maxLines` mirrors Jenkins' cap on one read of a live log.
   */
  *read(start: number, now: number, maxLines = Infinity): Generator<Buffer> {
    let skip = start;
    let linesLeft = maxLines;
    let chunk: string[] = [];
    let chunkBytes = 0;
    const flush = () => {
      const out = Buffer.from(chunk.join(''), 'utf8');
      chunk = [];
      chunkBytes = 0;
      return out;
    };
    for (const seg of this.segments) {
      if (linesLeft <= 0) break;
      const segBytes = this.segmentBytes(seg, now);
      if (skip >= segBytes) {
        skip -= segBytes;
        continue;
      }
      if (seg.kind === 'lines') {
        const cutoff = Math.min(now, this.end);
        for (const line of seg.lines) {
          if (seg.at + line.offset > cutoff || linesLeft <= 0) break;
          if (skip >= line.bytes) {
            skip -= line.bytes;
            continue;
          }
          const text = `${line.text}\n`;
          const piece = skip > 0 ? Buffer.from(text, 'utf8').subarray(skip).toString('utf8') : text;
          skip = 0;
          chunk.push(piece);
          chunkBytes += line.bytes;
          linesLeft--;
          if (chunkBytes >= 65536) yield flush();
        }
      } else {
        const visible = this.repeatVisible(seg, now);
        let index = Math.floor(skip / seg.width);
        let inLine = skip - index * seg.width;
        skip = 0;
        for (; index < visible && linesLeft > 0; index++) {
          const text = `${seg.lineAt(index, seg.at + index * seg.intervalMs)}\n`;
          chunk.push(inLine > 0 ? text.slice(inLine) : text);
          inLine = 0;
          chunkBytes += seg.width;
          linesLeft--;
          if (chunkBytes >= 65536) yield flush();
        }
      }
    }
    if (chunk.length > 0) yield flush();
  }

  private segmentBytes(seg: Segment, now: number): number {
    if (seg.kind === 'repeat') return this.repeatVisible(seg, now) * seg.width;
    const cutoff = Math.min(now, this.end);
    let bytes = 0;
    for (const line of seg.lines) {
      if (seg.at + line.offset > cutoff) break;
      bytes += line.bytes;
    }
    return bytes;
  }

  private repeatVisible(seg: Extract<Segment, { kind: 'repeat' }>, now: number): number {
    const cutoff = Math.min(now, this.end);
    if (cutoff < seg.at) return 0;
    return Math.min(seg.count, Math.floor((cutoff - seg.at) / seg.intervalMs) + 1);
  }
}

/** The first lines of every log: what started the build, as Jenkins prints causes. */
export function causeLines(causes: Cause[], indent = ''): string[] {
  const out: string[] = [];
  for (const cause of causes) {
    switch (cause.kind) {
      case 'timer':
        out.push(`${indent}Started by timer`);
        break;
      case 'user':
        out.push(`${indent}Started by user ${cause.userName}`);
        break;
      case 'remote':
        out.push(
          cause.note
            ? `${indent}Started by remote host ${cause.addr} with note: ${cause.note}`
            : `${indent}Started by remote host ${cause.addr}`,
        );
        break;
      case 'upstream':
        out.push(`${indent}Started by upstream project "${cause.project}" build number ${cause.build}`);
        if (cause.upstreamCauses.length > 0) {
          out.push(`${indent}originally caused by:`);
          out.push(...causeLines(cause.upstreamCauses, `${indent} `));
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/** A 32-bit integer hash, so line `i` of a log is computed without its predecessors. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Builds the log of a build from its record: cause lines when it started,
 * a wait for an agent if there was one, the work once on an agent (progress
 * lines spread over its duration), and the ending its result calls for.
 */
export function createBuildLog(build: Build, seed: number): BuildLog {
  const job = build.job;
  const log = new BuildLog();
  const key = mix(hashOf(`${seed}|${job.fullName}`), build.number);
  const workspace = `/home/jenkins/workspace/${job.fullName}`;
  const t0 = build.timestamp;
  const pipeline = job.kind === 'pipeline';

  const header = causeLines(build.causes);
  if (pipeline) {
    header.push('[Pipeline] Start of Pipeline', '[Pipeline] node');
  } else if (build.causes.some(c => c.kind === 'timer')) {
    header.push('Running as SYSTEM');
  }
  log.lines(t0, header);

  const agentAt = build.agentAt;
  if (pipeline && (agentAt === null || agentAt - t0 > 1500)) {
    log.lines(t0, [
      [300, 'Still waiting to schedule task'],
      [300, `Waiting for next available executor on \u2018${job.label}\u2019`],
    ]);
  }

  if (agentAt !== null && build.builtOn) {
    appendWork(log, build, agentAt, key, workspace);
  }

  if (build.result === 'ABORTED' && build.completedAt !== null) {
    const at = build.completedAt;
    log.cut(at);
    const tail: string[] = [];
    if (pipeline) {
      if (agentAt !== null) tail.push('Sending interrupt signal to process');
      tail.push(`Aborted by ${build.abortedBy ?? 'anonymous'}`);
    } else {
      tail.push('Build was aborted', `Aborted by ${build.abortedBy ?? 'anonymous'}`);
    }
    tail.push('Finished: ABORTED');
    log.lines(at, tail);
  }
  return log;
}

function appendWork(log: BuildLog, build: Build, at: number, key: number, workspace: string): void {
  const job = build.job;
  const pipeline = job.kind === 'pipeline';
  const commit = [0, 1, 2, 3, 4].map(i => mix(key, 1000 + i).toString(16).padStart(8, '0')).join('');
  const runDate = new Date(build.timestamp).toISOString().slice(0, 10);

  if (pipeline) {
    log.lines(at, [
      `Running on ${build.builtOn} in ${workspace}`,
      '[Pipeline] {',
      '[Pipeline] stage',
      '[Pipeline] { (Checkout)',
      '[Pipeline] checkout',
      [400, 'The recommended git tool is: NONE'],
      [500, 'using credential github-app-batch'],
      [900, `Fetching changes from the remote Git repository`],
      [1600, `Checking out Revision ${commit} (refs/remotes/origin/main)`],
      [1700, `Commit message: "${job.profile.topic}: ${COMMIT_MESSAGES[mix(key, 7) % COMMIT_MESSAGES.length]}"`],
      [1800, '[Pipeline] }'],
      [1800, '[Pipeline] // stage'],
      [1800, '[Pipeline] stage'],
      [1800, `[Pipeline] { (Run ${job.name})`],
      [1900, '[Pipeline] sh'],
      [2000, `+ ./bin/batch ${job.name} --date ${runDate}`],
    ]);
  } else {
    log.lines(at, [
      `Building remotely on ${build.builtOn} (${job.label}) in workspace ${workspace}`,
      [800, `[${job.name}] $ /bin/bash -xe /tmp/jenkins${mix(key, 3)}.sh`],
      [900, `+ ./bin/batch ${job.name} --date ${runDate}`],
    ]);
  }

  const workStart = at + 2100;
  const topic = job.profile.topic.padEnd(12).slice(0, 12);
  if (job.profile.worker) {
    // A worker never ends by itself: a heartbeat line every 30 seconds.
    log.repeat(workStart, 30000, Infinity, (i, time) => {
      const h = mix(key, i);
      return `${new Date(time).toISOString()} INFO  ${topic} poll #${pad(i + 1, 7)}: dequeued=${pad(h % 500, 5)} sent=${pad(h % 497, 5)} failed=${pad(h % 3, 4)} lag=${pad(h % 90, 4)}ms`;
    });
    return;
  }

  const end = at + build.workMs;
  const failing = build.plannedResult === 'FAILURE';
  const total = build.bigLog ? 40000 : 20 + (mix(key, 11) % 100);
  const done = failing ? Math.max(1, Math.floor(total * (0.2 + (mix(key, 13) % 70) / 100))) : total;
  const span = Math.max(1000, end - 1500 - workStart);
  const interval = Math.max(1, span / done);
  log.repeat(workStart, interval, done, (i, time) => {
    const h = mix(key, i);
    return `${new Date(time).toISOString()} INFO  ${topic} batch ${pad(i + 1, 5)}/${pad(total, 5)} done: records=${pad(1000 + (h % 9000), 5)} rejected=${pad(h % 7, 4)} checksum=${h.toString(16).padStart(8, '0')}`;
  });

  const tail: Array<[number, string]> = [];
  let at2 = end - 1000;
  const push = (text: string) => tail.push([(at2 += 10) - at, text]);
  if (failing) {
    const reason = FAILURES[mix(key, 17) % FAILURES.length];
    push(`${new Date(end - 1000).toISOString()} ERROR ${topic} batch ${pad(done + 1, 5)}/${pad(total, 5)} failed: ${reason}`);
    push(`${new Date(end - 1000).toISOString()} ERROR ${topic} giving up after 3 attempts`);
  } else if (build.plannedResult === 'UNSTABLE') {
    push(`${new Date(end - 1000).toISOString()} WARN  ${topic} ${mix(key, 19) % 40 + 1} records rejected, see rejected.csv`);
  } else {
    push(`${new Date(end - 1000).toISOString()} INFO  ${topic} all ${total} batches done`);
  }
  if (pipeline) {
    if (failing) push('script returned exit code 1');
    push('[Pipeline] }');
    push('[Pipeline] // stage');
    push('[Pipeline] }');
    push('[Pipeline] // node');
    push('[Pipeline] End of Pipeline');
    if (failing) push('ERROR: script returned exit code 1');
  } else if (failing) {
    push('Build step \'Execute shell\' marked build as failure');
  }
  tail.push([end - at, `Finished: ${build.plannedResult}`]);
  log.lines(at, tail);
}
