import { LogBuffer, utf8Length } from './logBuffer';

const big = { maxLines: 100, maxBytes: 1_000_000 };

describe('LogBuffer', () => {
  it('joins lines split across chunks and counts their bytes', () => {
    const buffer = new LogBuffer(big);
    buffer.reset(40);
    buffer.append('Started by timer\nRunning on DEV-ba');
    buffer.append('tch-agent\r\n[Pipeline] ');
    expect(buffer.toString()).toBe(
      'Started by timer\nRunning on DEV-batch-agent\n[Pipeline] ',
    );
    expect(buffer.lineCount).toBe(3);
    expect(buffer.start).toBe(40);
    expect(buffer.end).toBe(40 + 17 + 28 + 11);
  });

  it('keeps a window of lines and bytes, dropping from the start as text arrives', () => {
    const lines = new LogBuffer({ maxLines: 3, maxBytes: 1000 });
    lines.append('1\n2\n3\n4\n5\n');
    expect(lines.toString()).toBe('3\n4\n5');
    expect([lines.start, lines.end]).toEqual([4, 10]);

    const bytes = new LogBuffer({ maxLines: 100, maxBytes: 8 });
    bytes.append('aaa\nbbb\nccc\n');
    expect(bytes.toString()).toBe('bbb\nccc');
    expect([bytes.start, bytes.end]).toEqual([4, 12]);
  });

  it('prepends an earlier block from its first whole line, dropping the end past the window', () => {
    const buffer = new LogBuffer({ maxLines: 4, maxBytes: 1000 });
    // The log: "line 1\nline 2\n…line 5\npart", 7 bytes a line.
    buffer.reset(14);
    buffer.append('line 3\nline 4\nline 5\npart');
    expect(buffer.endDropped).toBe(false);
    // Bytes 1–14 begin inside line 1: it is dropped.
    buffer.prepend('ine 1\nline 2\n', 1);
    expect(buffer.start).toBe(7);
    expect(buffer.toString()).toBe('line 2\nline 3\nline 4\nline 5');
    expect(buffer.endDropped).toBe(true);
    expect(buffer.end).toBe(35);
  });

  it('prepends from the log start without dropping anything', () => {
    const buffer = new LogBuffer(big);
    buffer.reset(7);
    buffer.append('line 2\n');
    buffer.prepend('line 1\n', 0);
    expect(buffer.toString()).toBe('line 1\nline 2');
    expect([buffer.start, buffer.end, buffer.endDropped]).toEqual([
      0,
      14,
      false,
    ]);
  });

  it('counts UTF-8 bytes, not UTF-16 units', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    const buffer = new LogBuffer(big);
    buffer.append('é\n');
    expect(buffer.end).toBe(3);
  });

  it('strips console notes and colour codes', () => {
    const buffer = new LogBuffer(big);
    buffer.append(
      '\u001b[8mha:////4JfakeNote==\u001b[0m[Pipeline] echo\n\u001b[31mred\u001b[0m\n',
    );
    expect(buffer.toString()).toBe('[Pipeline] echo\nred');
  });
});
