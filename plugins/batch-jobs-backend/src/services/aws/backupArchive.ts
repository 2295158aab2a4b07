/*
 * Reads a whole backup (a tar.gz of JENKINS_HOME) as a stream: gunzip
 * checks each member's trailer (CRC32 and size), a minimal tar reader lists
 * the entries. Only what a restore needs is kept (where `config.xml` and
 * `jobs/` are), so a home of a million files costs no memory.
 */
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** What reading a backup archive to its end found. @public */
export interface ArchiveInspection {
  /** Compressed bytes read. */
  bytesRead: number;
  /** Tar entries listed. */
  entries: number;
  /** Roots (`''` or `top/`) holding `config.xml`. */
  configRoots: string[];
  /** Roots (`''` or `top/`) holding `jobs/`. */
  jobsRoots: string[];
  /** Set when the stream is no complete gzip of a complete tar. */
  error?: { stage: 'gzip' | 'tar'; message: string; truncated: boolean };
}

const BLOCK = 512;

class TarError extends Error {}

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(block: Buffer, offset: number, length: number): number {
  // GNU base-256 for sizes of 8 GiB and more.
  if (block[offset] & 0x80) {
    let n = block[offset] & 0x7f;
    for (let i = 1; i < length; i++) n = n * 256 + block[offset + i];
    return n;
  }
  const text = field(block, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`bad octal field '${text}'`);
  return text ? parseInt(text, 8) : 0;
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === octal(block, 148, 8);
}

/** The root a name sits under, if it is `<root>config.xml` or under `<root>jobs/`. */
function classify(name: string, inspection: ArchiveInspection) {
  const clean = name.replace(/^(\.\/|\/)+/, '');
  const parts = clean.split('/');
  for (const depth of [0, 1]) {
    if (parts.length <= depth) break;
    const root = depth ? `${parts[0]}/` : '';
    if (depth && (parts[0] === 'jobs' || parts[0] === '')) break;
    const rest = parts.slice(depth);
    if (rest.length === 1 && rest[0] === 'config.xml') {
      if (!inspection.configRoots.includes(root))
        inspection.configRoots.push(root);
    }
    if (rest[0] === 'jobs' && rest.length >= 2) {
      if (!inspection.jobsRoots.includes(root)) inspection.jobsRoots.push(root);
    }
  }
}

/** A Writable that lists tar entries (ustar, GNU long names, pax `path`). */
function tarLister(inspection: ArchiveInspection) {
  let pending: Buffer = Buffer.alloc(0);
  let skip = 0;
  let collect: { type: string; size: number; chunks: Buffer[] } | undefined;
  let longName: string | undefined;
  let ended = false;

  const onHeader = (block: Buffer) => {
    if (block.every(b => b === 0)) {
      ended = true;
      return;
    }
    if (!checksumOk(block)) throw new TarError('a header fails its checksum');
    const size = octal(block, 124, 12);
    const type = String.fromCharCode(block[156] || 0x30);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L' || type === 'x') {
      collect = { type, size, chunks: [] };
      skip = padded;
      return;
    }
    if (type === 'g') {
      skip = padded;
      return;
    }
    const prefix =
      field(block, 257, 6) === 'ustar' ? field(block, 345, 155) : '';
    const name =
      longName ??
      (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    longName = undefined;
    inspection.entries++;
    classify(
      type === '5' && !name.endsWith('/') ? `${name}/` : name,
      inspection,
    );
    skip = padded;
  };

  const onCollected = (data: Buffer, type: string) => {
    if (type === 'L') {
      longName = field(data, 0, data.length);
      return;
    }
    // pax records: "<len> path=<name>\n"
    const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
    if (match) longName = match[1];
  };

  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        if (ended) {
          callback();
          return;
        }
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let at = 0;
        while (!ended) {
          if (skip > 0) {
            const take = Math.min(skip, pending.length - at);
            if (
              collect &&
              collect.chunks.reduce((n, c) => n + c.length, 0) < collect.size
            ) {
              collect.chunks.push(pending.subarray(at, at + take));
            }
            at += take;
            skip -= take;
            if (skip > 0) break;
            if (collect) {
              const data = Buffer.concat(collect.chunks).subarray(
                0,
                collect.size,
              );
              onCollected(data, collect.type);
              collect = undefined;
            }
            continue;
          }
          if (pending.length - at < BLOCK) break;
          onHeader(pending.subarray(at, at + BLOCK));
          at += BLOCK;
        }
        pending = Buffer.from(pending.subarray(at));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    final(callback) {
      if (ended) {
        callback();
        return;
      }
      callback(
        new TarError(
          skip > 0 || pending.length > 0
            ? 'the tar archive ends inside an entry'
            : 'the tar archive has no end-of-archive marker',
        ),
      );
    },
  });
  return writable;
}

/**
 * Reads a tar.gz stream to its end. Never throws for what the bytes say:
 * a broken gzip or tar comes back in `error`; failures of the source
 * (S3, network) are thrown.
 * @public
 */
export async function inspectBackupArchive(
  source: Readable | AsyncIterable<Uint8Array>,
): Promise<ArchiveInspection> {
  const inspection: ArchiveInspection = {
    bytesRead: 0,
    entries: 0,
    configRoots: [],
    jobsRoots: [],
  };
  const input = source instanceof Readable ? source : Readable.from(source);
  let sourceError: unknown;
  input.on('error', error => {
    sourceError = error;
  });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inspection.bytesRead += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(input, counter, createGunzip(), tarLister(inspection));
  } catch (error) {
    if (sourceError) throw sourceError;
    const e = error as Error & { code?: string };
    inspection.error =
      error instanceof TarError
        ? {
            stage: 'tar',
            message: e.message,
            truncated: /ends inside/.test(e.message),
          }
        : {
            stage: 'gzip',
            message: e.message,
            truncated:
              e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message),
          };
  }
  return inspection;
}
