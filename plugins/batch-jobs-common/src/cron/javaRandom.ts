/**
 * A bit-exact port of the algorithm of `java.util.Random` (the 48-bit linear
 * congruential generator and `nextInt(bound)`), because Jenkins seeds one with
 * the job's name to resolve `H`. BigInt keeps the 48-bit products exact.
 */
const MULTIPLIER = BigInt('0x5DEECE66D');
const ADDEND = BigInt(0xb);
const MASK = (BigInt(1) << BigInt(48)) - BigInt(1);
const INT32_MAX = 2147483647;

export class JavaRandom {
  private seed: bigint;

  /** `seed` is a Java `long`: any BigInt, reduced like Java does. */
  constructor(seed: bigint) {
    this.seed = (BigInt.asIntN(64, seed) ^ MULTIPLIER) & MASK;
  }

  /** `Random.next(bits)`: the top `bits` bits of the new seed, as a signed int. */
  next(bits: number): number {
    this.seed = (this.seed * MULTIPLIER + ADDEND) & MASK;
    return Number(BigInt.asIntN(32, this.seed >> BigInt(48 - bits)));
  }

  /** `Random.nextInt(bound)`: uniform in [0, bound), same draws as Java. */
  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > INT32_MAX) {
      throw new RangeError(`bound must be a positive int, got ${bound}`);
    }
    let r = this.next(31);
    const m = bound - 1;
    if ((bound & m) === 0) {
      // Power of two: take the high bits, as Java does ((bound * (long) r) >> 31).
      return Number((BigInt(bound) * BigInt(r)) >> BigInt(31));
    }
    // Rejection loop; `u - r + m` overflows int32 exactly when u is in the
    // final partial bucket, which is what Java tests with "< 0".
    for (let u = r; ; u = this.next(31)) {
      r = u % bound;
      if (((u - r + m) | 0) >= 0) return r;
    }
  }
}
