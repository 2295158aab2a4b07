import { jenkinsHash } from './hash';
import { JavaRandom } from './javaRandom';
import { md5, utf8Bytes } from './md5';

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');

// Expected values below were produced by a JVM (java.util.Random,
// java.security.MessageDigest) running the same calls.
describe('md5', () => {
  it('matches RFC 1321 test vectors', () => {
    expect(hex(md5(utf8Bytes('')))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(hex(md5(utf8Bytes('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(
      hex(
        md5(
          utf8Bytes(
            '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
          ),
        ),
      ),
    ).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  it('digests UTF-8 like Java getBytes(UTF_8), including astral characters', () => {
    expect(hex(md5(utf8Bytes('DEV/push-notifier/push-dispatch')))).toBe(
      '597aa7bd482e229df2940d7183fe6e8b',
    );
    expect(hex(md5(utf8Bytes('héllo wörld € 😀')))).toBe(
      '45417fcd4b5054a0d8ce01fffa484775',
    );
  });
});

describe('JavaRandom', () => {
  it('reproduces java.util.Random.nextInt, including the rejection loop and power-of-two path', () => {
    const random = new JavaRandom(BigInt(-1));
    const bounds = [
      2147483647, 1073741825, 1073741825, 1073741825, 1073741825, 1073741825,
      1073741825, 16, 60,
    ];
    expect(bounds.map(b => random.nextInt(b))).toEqual([
      577549913, 943952225, 26349579, 894294477, 857465478, 121412731,
      665220512, 0, 16,
    ]);
  });

  it('rejects a non-positive bound like Java', () => {
    expect(() => new JavaRandom(BigInt(1)).nextInt(0)).toThrow(RangeError);
  });
});

describe('jenkinsHash', () => {
  it('gives the H values asserted in Jenkins CronTabTest', () => {
    // hashedMinute: "H * * * *" with Hash.from("stuff") fires at :56, "@hourly" with "junk" at :20.
    expect(jenkinsHash('stuff').next(60)).toBe(56);
    expect(jenkinsHash('junk').next(60)).toBe(20);
    // repeatedHash: two "H * * * *" lines with Hash.from("seed") fire at :35 and :56.
    const seed = jenkinsHash('seed');
    expect([seed.next(60), seed.next(60)]).toEqual([35, 56]);
  });

  it('draws the same stream as Hash.from(jobFullName) on a JVM', () => {
    const hash = jenkinsHash('DEV/push-notifier/push-dispatch');
    const bounds = [
      60, 24, 28, 12, 7, 15, 30, 4, 3, 16, 1, 2, 1073741825, 2147483647,
    ];
    expect(bounds.map(b => hash.next(b))).toEqual([
      21, 12, 3, 1, 6, 3, 11, 1, 0, 12, 0, 1, 589687664, 2115543315,
    ]);
  });
});
