import { PassThrough, Readable } from 'node:stream';

/*
 * Byte-bounded reads of Jenkins log streams: what we take from upstream is
 * never more than we answer, and the upstream socket closes as soon as we
 * have it, so a limit on a 1 GB log costs Jenkins' spool, not our memory.
 */

/** The first `bytes` of `stream`, which is then closed. */
export function cutStream(stream: Readable, bytes: number): Readable {
  const out = new PassThrough();
  let left = bytes;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    stream.destroy();
    out.end();
  };
  if (left <= 0) {
    finish();
    return out;
  }
  stream.on('data', (chunk: Buffer) => {
    if (done) return;
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    if (!out.write(part)) stream.pause();
    if (left <= 0) finish();
  });
  out.on('drain', () => stream.resume());
  stream.on('end', finish);
  stream.on('error', error => {
    done = true;
    out.destroy(error);
  });
  // Closed before its end (Jenkins went away): fail the answer, never hang it.
  stream.on('close', () => {
    if (done) return;
    done = true;
    out.destroy(new Error('Jenkins closed the log stream early'));
  });
  // The reader went away: stop reading Jenkins too.
  out.on('close', () => stream.destroy());
  return out;
}

/** At most `max` bytes of `stream` in memory; the stream is closed after them. */
export function readAtMost(stream: Readable, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stream.destroy();
      resolve(Buffer.concat(chunks, Math.min(total, max)));
    };
    if (max <= 0) {
      finish();
      return;
    }
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      total += chunk.length;
      if (total >= max) finish();
    });
    stream.on('end', finish);
    stream.on('error', error => {
      if (done) return;
      done = true;
      reject(error);
    });
    // Closed before its end (Jenkins went away): fail, never hang the readers.
    stream.on('close', () => {
      if (done) return;
      done = true;
      reject(new Error('Jenkins closed the log stream early'));
    });
  });
}

/**
 * `bytes` from `start`, without the partial line they may begin with.
 * `previous` is the byte before `start` when known: after a newline, or at
 * the log's start, the first line is whole.
 */
export function fromLineStart(
  bytes: Buffer,
  start: number,
  previous?: number,
): { bytes: Buffer; start: number } {
  if (start === 0 || previous === 10) return { bytes, start };
  const newline = bytes.indexOf(10);
  // One line longer than the whole window: show it cut rather than nothing.
  if (newline < 0) return { bytes, start };
  return { bytes: bytes.subarray(newline + 1), start: start + newline + 1 };
}

/** Jenkins' numeric header, or undefined when absent or garbled. */
export function headerNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** How many times `byte` occurs in `bytes`. */
export function countByte(bytes: Buffer, byte: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte); i >= 0; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}

/**
 * The last `max` bytes of `stream` read to its end, how many it had and how
 * many newlines: memory stays bounded however far behind the read started.
 */
export async function readLast(
  stream: Readable,
  max: number,
): Promise<{ bytes: Buffer; total: number; newlines: number }> {
  const chunks: Buffer[] = [];
  let held = 0;
  let total = 0;
  let newlines = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    held += chunk.length;
    total += chunk.length;
    newlines += countByte(chunk, 10);
    while (chunks.length > 1 && held - chunks[0].length >= max) {
      held -= chunks.shift()!.length;
    }
  }
  let bytes = Buffer.concat(chunks, held);
  if (bytes.length > max) bytes = bytes.subarray(bytes.length - max);
  return { bytes, total, newlines };
}
