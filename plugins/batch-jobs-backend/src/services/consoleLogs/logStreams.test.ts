import { PassThrough, Readable } from 'node:stream';
import { cutStream, fromLineStart, readAtMost } from './logStreams';

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('log streams', () => {
  it('cuts a stream at a byte count and closes the source', async () => {
    const source = Readable.from([Buffer.from('abcdef'), Buffer.from('ghij')]);
    expect(await readAll(cutStream(source, 8))).toBe('abcdefgh');
    expect(source.destroyed).toBe(true);
  });

  it('reads at most a byte count into memory', async () => {
    const source = Readable.from([Buffer.from('abcdef'), Buffer.from('ghij')]);
    expect((await readAtMost(source, 7)).toString()).toBe('abcdefg');
    expect(source.destroyed).toBe(true);
    const short = Readable.from([Buffer.from('abc')]);
    expect((await readAtMost(short, 7)).toString()).toBe('abc');
  });

  it('fails, rather than hangs, when the source closes before its end', async () => {
    const source = new PassThrough();
    const reading = readAtMost(source, 100);
    source.write('abc');
    source.destroy();
    await expect(reading).rejects.toThrow(
      'Jenkins closed the log stream early',
    );

    const other = new PassThrough();
    const cut = cutStream(other, 100);
    other.write('abc');
    other.destroy();
    await expect(readAll(cut)).rejects.toThrow(
      'Jenkins closed the log stream early',
    );
  });

  it('starts at the first whole line unless the byte before is a newline', () => {
    const bytes = Buffer.from('ne 1\nline 2\n');
    expect(fromLineStart(bytes, 10)).toEqual({
      bytes: Buffer.from('line 2\n'),
      start: 15,
    });
    expect(fromLineStart(bytes, 10, 10).start).toBe(10);
    expect(fromLineStart(bytes, 0).start).toBe(0);
  });
});
