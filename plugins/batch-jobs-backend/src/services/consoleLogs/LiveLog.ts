import { LogChunk } from '../jenkins/JenkinsClient';
import { fromLineStart, headerNumber, readLast } from './logStreams';

/** Jenkins' LargeText sends at most this many lines of a running build per read. */
export const JENKINS_MAX_LINES_READ = 10_000;
// Reads one refresh may chain to catch up with a fast-writing build.
const MAX_READS_PER_REFRESH = 8;

/** A slice of a log held in memory. */
export interface HeldText {
  bytes: Buffer;
  /** Offset of the first byte. */
  start: number;
  /** Length of the log known so far. */
  size: number;
  moreData: boolean;
}

/**
 * The end of one running build's log, shared by every reader following it:
 * a ring of the last `ringBytes` and the length known so far. A read inside
 * the ring is answered from memory; the ring refreshes from Jenkins at most
 * once per `refreshMs`, whoever asks, so N tabs polling cost one upstream
 * read per interval.
 */
export class LiveLog {
  private chunks: Buffer[] = [];
  private held = 0;
  private size: number;
  private moreData = true;
  private lastRead = Number.NEGATIVE_INFINITY;
  private reading?: Promise<void>;
  /** When a reader last asked: the lease the owner checks. */
  lastAccess: number;

  constructor(
    private readonly upstream: (start: number) => Promise<LogChunk>,
    /** Where the ring starts filling (a line start or not: readers snap). */
    base: number,
    private readonly options: {
      ringBytes: number;
      refreshMs: number;
      now: () => number;
      /** Told once, when Jenkins says the log is complete. */
      onFinished?: (size: number) => void;
      /** Bytes from `base` just read from Jenkins: the ring starts with them, fresh. */
      initial?: Buffer;
    },
  ) {
    this.size = base;
    this.lastAccess = options.now();
    if (options.initial) {
      this.append(options.initial);
      this.lastRead = options.now();
    }
  }

  get finished(): boolean {
    return !this.moreData;
  }

  private get ringStart(): number {
    return this.size - this.held;
  }

  /** Bytes [start, start + limit) if the ring holds `start`, else undefined. */
  async read(start: number, limit: number): Promise<HeldText | undefined> {
    await this.refresh();
    if (start < this.ringStart || start > this.size) return undefined;
    const end = Math.min(this.size, start + limit);
    return this.slice(start, end);
  }

  /** The last `bytes` held (fewer if the ring holds less), from a line start. */
  async tail(bytes: number): Promise<HeldText> {
    await this.refresh();
    const start = Math.max(this.ringStart, this.size - bytes);
    const held = this.slice(start, this.size);
    const previous =
      start > this.ringStart
        ? this.slice(start - 1, start).bytes[0]
        : undefined;
    return { ...held, ...fromLineStart(held.bytes, start, previous) };
  }

  private slice(start: number, end: number): HeldText {
    const whole =
      this.chunks.length === 1
        ? this.chunks[0]
        : Buffer.concat(this.chunks, this.held);
    this.chunks = whole.length ? [whole] : [];
    const from = start - this.ringStart;
    return {
      bytes: whole.subarray(from, from + (end - start)),
      start,
      size: this.size,
      moreData: this.moreData,
    };
  }

  private async refresh(): Promise<void> {
    this.lastAccess = this.options.now();
    if (!this.moreData) return;
    if (!this.reading) {
      if (this.options.now() - this.lastRead < this.options.refreshMs) return;
      this.reading = this.catchUp().finally(() => {
        this.reading = undefined;
        this.lastRead = this.options.now();
      });
    }
    await this.reading;
  }

  /** Reads from the end until Jenkins sends less than a full batch of lines. */
  private async catchUp(): Promise<void> {
    for (let i = 0; i < MAX_READS_PER_REFRESH; i++) {
      const chunk = await this.upstream(this.size);
      const size = headerNumber(chunk.textSize);
      if (size !== undefined && size < this.size) {
        // Jenkins started over at 0: the log was replaced. Drop what we hold.
        chunk.stream.destroy();
        this.chunks = [];
        this.held = 0;
        this.size = 0;
        continue;
      }
      // The newest ringBytes of what Jenkins sent (memory stays bounded
      // when the follower starts, or falls, far behind the end).
      const { bytes, total, newlines } = await readLast(
        chunk.stream,
        this.options.ringBytes,
      );
      this.append(bytes, total - bytes.length);
      this.moreData = chunk.moreData === 'true';
      if (!this.moreData) {
        this.options.onFinished?.(this.size);
        return;
      }
      if (newlines < JENKINS_MAX_LINES_READ) return;
    }
  }

  /** Adds `bytes` at the end, after `skipped` bytes never held (the ring restarts past them). */
  private append(bytes: Buffer, skipped = 0): void {
    if (skipped > 0) {
      this.chunks = [];
      this.held = 0;
      this.size += skipped;
    }
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.held += bytes.length;
    this.size += bytes.length;
    const { ringBytes } = this.options;
    while (this.held - this.chunks[0].length >= ringBytes) {
      this.held -= this.chunks.shift()!.length;
    }
    if (this.held > ringBytes) {
      const drop = this.held - ringBytes;
      this.chunks[0] = this.chunks[0].subarray(drop);
      this.held -= drop;
    }
  }
}
