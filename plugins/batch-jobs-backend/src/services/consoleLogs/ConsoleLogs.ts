import { LoggerService } from '@backstage/backend-plugin-api';
import { Readable } from 'node:stream';
import { VpcConfig } from '../../config';
import { JenkinsClient, LogChunk } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { ReadCache } from '../jobs/ReadCache';
import { HeldText, LiveLog } from './LiveLog';
import {
  cutStream,
  fromLineStart,
  headerNumber,
  readAtMost,
} from './logStreams';

/** Largest `tail` of GET /builds/log, in bytes. @public */
export const MAX_LOG_TAIL = 1024 * 1024;
/** Largest `limit` of GET /builds/log, in bytes. @public */
export const MAX_LOG_LIMIT = 64 * 1024 * 1024;

// A finished build's log never changes: its length may be remembered long.
const FINISHED_SIZE_TTL_MS = 24 * 60 * 60 * 1000;
// Finding the end of a running log: probes, and how close to the end is close enough.
const MAX_PROBES = 40;
const PROBE_PRECISION = 256 * 1024;

/** What GET /builds/log answers. @public */
export interface LogRead {
  body: Readable;
  /** Offset of the first byte of `body` (`X-Text-Start`). */
  start: number;
  /** Offset just after it: the `start` to ask next (`X-Text-End`). */
  end?: number;
  /** Length of the log known so far (Jenkins' `X-Text-Size`). */
  size?: number;
  /** True while the build still writes (Jenkins' `X-More-Data`). */
  moreData: boolean;
}

interface KnownSize {
  size: number;
  finished: boolean;
}

type Upstream = (start: number) => Promise<LogChunk>;

/**
 * Console logs read in bounded pieces: the last N bytes (`tail`), at most N
 * bytes from an offset (`limit`), and the live end of running builds shared
 * by everyone following them (see LiveLog). Jenkins' progressiveText has no
 * end parameter and the build API no log size, so the length comes from its
 * `X-Text-Size` header, remembered per build.
 * @public
 */
export class ConsoleLogs {
  private readonly live = new Map<string, LiveLog>();
  private readonly sizes = new Map<string, KnownSize>();
  private readonly now: () => number;
  private readonly ringBytes: number;
  private readonly refreshMs: number;
  private readonly idleMs: number;
  private readonly maxFollowed: number;

  constructor(
    private readonly options: {
      directory: JobDirectory;
      clientFor: (vpc: VpcConfig) => JenkinsClient;
      /** Remembers finished logs' lengths (across replicas when shared). */
      cache?: ReadCache;
      logger?: LoggerService;
      /** Bytes kept of each followed build's end. Default 1 MiB. */
      ringBytes?: number;
      /**
       * At most one Jenkins read per followed build this often. Default
       * 800 ms: just under the page's 1 s poll, so a lone tab always gets
       * fresh lines while any number of tabs cost ≤ 1.25 reads a second.
       */
      refreshMs?: number;
      /** A followed build nobody asked about for this long is dropped. Default 30 s. */
      idleMs?: number;
      /** Builds followed at once (memory: this × ringBytes). Default 50. */
      maxFollowed?: number;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
    this.ringBytes = options.ringBytes ?? 1024 * 1024;
    this.refreshMs = options.refreshMs ?? 800;
    this.idleMs = options.idleMs ?? 30_000;
    this.maxFollowed = options.maxFollowed ?? 50;
  }

  /** Builds followed right now (for tests and metrics). */
  get followed(): number {
    this.sweep();
    return this.live.size;
  }

  async read(request: {
    vpc: string;
    job: string;
    number: number;
    start?: number;
    tail?: number;
    limit?: number;
  }): Promise<LogRead> {
    const { vpc, fullName } = this.options.directory.resolveJob(
      request.vpc,
      request.job,
    );
    const client = this.options.clientFor(vpc);
    const key = [vpc.jenkins, fullName, request.number]
      .map(p => encodeURIComponent(String(p)))
      .join(':');
    const upstream: Upstream = start =>
      client.streamLog(fullName, request.number, start);
    this.sweep();
    if (request.tail !== undefined) {
      return this.readTail(key, upstream, request.tail);
    }
    return this.readFrom(key, upstream, request.start ?? 0, request.limit);
  }

  private async readFrom(
    key: string,
    upstream: Upstream,
    start: number,
    limit: number | undefined,
  ): Promise<LogRead> {
    const held = await this.live.get(key)?.read(start, limit ?? Infinity);
    if (held) return fromMemory(held);

    const chunk = await upstream(start);
    const size = headerNumber(chunk.textSize);
    const moreData = chunk.moreData === 'true';
    if (size === undefined) {
      // Not Jenkins' progressiveText as we know it: pass it through, uncut.
      return { body: chunk.stream, start, moreData };
    }
    // A start past the end makes Jenkins start over at 0.
    const from = start > size ? 0 : start;
    const end = limit === undefined ? size : Math.min(size, from + limit);
    if (moreData) this.follow(key, upstream, size);
    else this.rememberFinished(key, size);
    return {
      body: end < size ? cutStream(chunk.stream, end - from) : chunk.stream,
      start: from,
      end,
      size,
      moreData,
    };
  }

  private async readTail(
    key: string,
    upstream: Upstream,
    tail: number,
  ): Promise<LogRead> {
    const followed = this.live.get(key);
    if (followed) return fromMemory(await followed.tail(tail));

    const known = await this.knownSize(key, upstream);
    if (!known.finished) {
      const live = this.follow(key, upstream, known.size);
      if (live) return fromMemory(await live.tail(tail));
    }
    // One bounded read at the end, from the byte before it: a newline
    // there means the first line is whole.
    const start = Math.max(0, known.size - tail);
    const readFrom = Math.max(0, start - 1);
    const chunk = await upstream(readFrom);
    const size = headerNumber(chunk.textSize) ?? known.size;
    const moreData = chunk.moreData === 'true';
    let bytes = await readAtMost(chunk.stream, tail + (start - readFrom));
    let from = readFrom;
    let previous: number | undefined;
    if (readFrom > size) {
      // Jenkins started over at 0: the log shrank (it was replaced).
      from = 0;
      bytes = bytes.subarray(0, tail);
    } else if (start > readFrom && bytes.length > 0) {
      previous = bytes[0];
      bytes = bytes.subarray(1);
      from = start;
    }
    const snapped = fromLineStart(bytes, from, previous);
    return {
      body: Readable.from([snapped.bytes]),
      start: snapped.start,
      end: snapped.start + snapped.bytes.length,
      size: Math.max(size, from + bytes.length),
      moreData,
    };
  }

  /** The log's length: remembered for finished builds, else probed. */
  private async knownSize(key: string, upstream: Upstream): Promise<KnownSize> {
    const { cache } = this.options;
    const remembered = this.sizes.get(key);
    if (remembered?.finished) return remembered;
    if (!cache) return this.probe(upstream);
    return cache.get<{ size: number; finished: boolean }>(
      sizeKey(key),
      FINISHED_SIZE_TTL_MS,
      () => this.probe(upstream),
      // Only a finished log's length stays true.
      { accept: known => known.finished },
    );
  }

  /**
   * The length from headers alone: the body is dropped as soon as they
   * arrive (real Jenkins spools before answering, so little crosses the
   * wire). A running build's read stops after 10 000 lines, so its
   * X-Text-Size is not the length; a start past the end makes Jenkins
   * start over (X-Text-Size < start), so gallop and bisect on that.
   */
  private async probe(upstream: Upstream): Promise<KnownSize> {
    const head = async (start: number) => {
      const chunk = await upstream(start);
      chunk.stream.destroy();
      return {
        size: headerNumber(chunk.textSize) ?? 0,
        moreData: chunk.moreData === 'true',
      };
    };
    const first = await head(0);
    if (!first.moreData) return { size: first.size, finished: true };
    let low = first.size;
    let high: number | undefined;
    let step = Math.max(low, PROBE_PRECISION);
    for (let i = 0; i < MAX_PROBES; i++) {
      if (high !== undefined && high - low <= PROBE_PRECISION) break;
      const start =
        high === undefined ? low + step : Math.floor((low + high) / 2);
      const answer = await head(start);
      if (answer.size < start) {
        high = start;
        continue;
      }
      low = answer.size;
      if (!answer.moreData) return { size: low, finished: true };
      step *= 2;
    }
    return { size: low, finished: false };
  }

  /** The shared end of a running build, created at `size` unless too many are followed. */
  private follow(
    key: string,
    upstream: Upstream,
    size: number,
  ): LiveLog | undefined {
    const existing = this.live.get(key);
    if (existing) return existing;
    if (this.live.size >= this.maxFollowed) return undefined;
    const live = new LiveLog(
      upstream,
      // Enough before the end to answer a tail from memory.
      Math.max(0, size - this.ringBytes),
      {
        ringBytes: this.ringBytes,
        refreshMs: this.refreshMs,
        now: this.now,
        onFinished: final => this.rememberFinished(key, final),
      },
    );
    this.live.set(key, live);
    return live;
  }

  private rememberFinished(key: string, size: number): void {
    if (this.sizes.get(key)?.finished) return;
    this.sizes.set(key, { size, finished: true });
    // Bounded: the oldest go first (Map keeps insertion order).
    if (this.sizes.size > 10_000)
      this.sizes.delete(this.sizes.keys().next().value!);
    this.options.cache
      ?.set(sizeKey(key), { size, finished: true }, FINISHED_SIZE_TTL_MS)
      .catch(() => undefined);
  }

  /** Drops followed builds whose lease ran out (nobody asked for `idleMs`). */
  private sweep(): void {
    const expired = this.now() - this.idleMs;
    for (const [key, live] of this.live) {
      if (live.lastAccess < expired) this.live.delete(key);
    }
  }
}

function sizeKey(key: string): string {
  return `batch-jobs:log-size:${key}`;
}

function fromMemory(held: HeldText): LogRead {
  return {
    body: Readable.from([held.bytes]),
    start: held.start,
    end: held.start + held.bytes.length,
    size: held.size,
    moreData: held.moreData,
  };
}
