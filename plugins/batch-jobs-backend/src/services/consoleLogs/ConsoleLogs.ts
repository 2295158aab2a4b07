import { LoggerService } from '@backstage/backend-plugin-api';
import { Readable } from 'node:stream';
import { VpcConfig } from '../../config';
import { JenkinsClient, LogChunk } from '../jenkins/JenkinsClient';
import { JobDirectory } from '../jenkins/JobDirectory';
import { ReadCache } from '../jobs/ReadCache';
import { HeldText, JENKINS_MAX_LINES_READ, LiveLog } from './LiveLog';
import {
  countByte,
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
  /**
   * The bytes: held in memory (a followed build's end, a bounded tail), so
   * sent in one write with a length, or streamed from Jenkins.
   */
  body: Buffer | Readable;
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

/** What the first read of a log nobody follows found. */
type Opened =
  /** Everything Jenkins has of it now, from byte 0 (no longer than the tail asked). */
  | { whole: Buffer; size: number; moreData: boolean }
  /** Its length (or, running, about where it ends). */
  | { known: KnownSize };

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
  private readonly opening = new Map<string, Promise<Opened>>();
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

    const opened = await this.open(key, upstream, tail);
    if ('whole' in opened) {
      const live = this.live.get(key);
      if (live) return fromMemory(await live.tail(tail));
      return tailOf(opened.whole, tail, opened.size, opened.moreData);
    }
    const known = opened.known;
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
      body: snapped.bytes,
      start: snapped.start,
      end: snapped.start + snapped.bytes.length,
      size: Math.max(size, from + bytes.length),
      moreData,
    };
  }

  /** The first read of a log nobody follows, shared by everyone opening it at once. */
  private open(key: string, upstream: Upstream, tail: number): Promise<Opened> {
    const pending = this.opening.get(key);
    if (pending) return pending;
    const promise = this.firstRead(key, upstream, tail).finally(() =>
      this.opening.delete(key),
    );
    this.opening.set(key, promise);
    return promise;
  }

  /**
   * A read from byte 0. Jenkins spools a read before it answers, so its
   * length (`X-Text-Size`) comes with the headers: a log no longer than the
   * tail is answered by this one read (and a running one is followed from
   * it); a longer one is dropped after the headers (little crosses the
   * wire) and its end read next.
   */
  private async firstRead(
    key: string,
    upstream: Upstream,
    tail: number,
  ): Promise<Opened> {
    const remembered = await this.rememberedSize(key);
    if (remembered) return { known: remembered };
    const chunk = await upstream(0);
    const size = headerNumber(chunk.textSize);
    const moreData = chunk.moreData === 'true';
    if (size === undefined) {
      // Not Jenkins' progressiveText as we know it: its first bytes, uncut.
      const bytes = await readAtMost(chunk.stream, tail);
      return { whole: bytes, size: bytes.length, moreData };
    }
    if (size > tail) {
      chunk.stream.destroy();
      if (!moreData) {
        this.rememberFinished(key, size);
        return { known: { size, finished: true } };
      }
      return { known: await this.probe(upstream, size) };
    }
    const whole = await readAtMost(chunk.stream, tail);
    if (!moreData) {
      this.rememberFinished(key, size);
      return { whole, size, moreData };
    }
    if (countByte(whole, 10) >= JENKINS_MAX_LINES_READ) {
      // Jenkins stopped at its line cap for a running build: the end is further.
      return { known: await this.probe(upstream, size) };
    }
    this.follow(key, upstream, 0, whole);
    return { whole, size: whole.length, moreData };
  }

  /** A finished log's length, when this replica or another remembers it. */
  private async rememberedSize(key: string): Promise<KnownSize | undefined> {
    const remembered = this.sizes.get(key);
    if (remembered?.finished) return remembered;
    const shared = await this.options.cache
      ?.peek<{ size: number; finished: boolean }>(sizeKey(key))
      .catch(() => undefined);
    return shared?.finished ? shared : undefined;
  }

  /**
   * Where a running log ends, from headers alone (each body is dropped as
   * soon as they arrive): a running build's read stops after 10 000 lines,
   * so its X-Text-Size is not the length; a start past the end makes Jenkins
   * start over (X-Text-Size < start), so gallop and bisect on that from
   * `seen`, a length already seen.
   */
  private async probe(upstream: Upstream, seen: number): Promise<KnownSize> {
    const head = async (start: number) => {
      const chunk = await upstream(start);
      chunk.stream.destroy();
      return {
        size: headerNumber(chunk.textSize) ?? 0,
        moreData: chunk.moreData === 'true',
      };
    };
    let low = seen;
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
    /** The log from byte 0 to `size`, when just read whole. */
    whole?: Buffer,
  ): LiveLog | undefined {
    const existing = this.live.get(key);
    if (existing) return existing;
    if (this.live.size >= this.maxFollowed) return undefined;
    const live = new LiveLog(
      upstream,
      // Enough before the end to answer a tail from memory.
      whole ? 0 : Math.max(0, size - this.ringBytes),
      {
        ringBytes: this.ringBytes,
        refreshMs: this.refreshMs,
        now: this.now,
        onFinished: final => this.rememberFinished(key, final),
        initial: whole,
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
    body: held.bytes,
    start: held.start,
    end: held.start + held.bytes.length,
    size: held.size,
    moreData: held.moreData,
  };
}

/** The last `tail` bytes of a log held whole, from a line start. */
function tailOf(
  whole: Buffer,
  tail: number,
  size: number,
  moreData: boolean,
): LogRead {
  const start = Math.max(0, whole.length - tail);
  const snapped = fromLineStart(
    whole.subarray(start),
    start,
    start > 0 ? whole[start - 1] : undefined,
  );
  return {
    body: snapped.bytes,
    start: snapped.start,
    end: snapped.start + snapped.bytes.length,
    size: Math.max(size, whole.length),
    moreData,
  };
}
