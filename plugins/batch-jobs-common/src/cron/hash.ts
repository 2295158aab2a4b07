import { JavaRandom } from './javaRandom';
import { md5, utf8Bytes } from './md5';

/**
 * The stream of numbers Jenkins draws to resolve `H`: each `next(n)` is in
 * [0, n). One stream per job, consumed left to right across all lines.
 *
 * @public
 */
export interface CronHash {
  next(n: number): number;
}

/**
 * Jenkins' `hudson.scheduler.Hash.from(seed)`: MD5 of the UTF-8 seed, bytes
 * 8..15 XOR-folded onto bytes 0..7, read big-endian into a `long` that seeds a
 * `java.util.Random`; `next(n)` is that Random's `nextInt(n)`.
 * The seed for a timer trigger is the job's full name, e.g. `DEV/svc/job`.
 *
 * @public
 */
export function jenkinsHash(seed: string): CronHash {
  const digest = md5(utf8Bytes(seed));
  for (let i = 8; i < digest.length; i++) digest[i % 8] ^= digest[i];
  let seedLong = BigInt(0);
  for (let i = 0; i < 8; i++) {
    seedLong = (seedLong << BigInt(8)) + BigInt(digest[i]);
  }
  const random = new JavaRandom(seedLong);
  return { next: n => random.nextInt(n) };
}
