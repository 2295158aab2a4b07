import { LogBuffer } from './logBuffer';

describe('LogBuffer', () => {
  it('joins lines split across chunks', () => {
    const buffer = new LogBuffer(100);
    buffer.append('Started by timer\nRunning on DEV-ba');
    buffer.append('tch-agent\r\n[Pipeline] ');
    expect(buffer.toString()).toBe(
      'Started by timer\nRunning on DEV-batch-agent\n[Pipeline] ',
    );
    expect(buffer.lineCount).toBe(3);
  });

  it('keeps only the last lines and counts the dropped ones', () => {
    const buffer = new LogBuffer(3);
    buffer.append('1\n2\n3\n4\n5\n');
    expect(buffer.toString()).toBe('3\n4\n5');
    expect(buffer.droppedLines).toBe(2);
  });

  it('strips console notes and colour codes', () => {
    const buffer = new LogBuffer(10);
    buffer.append(
      '\u001b[8mha:////4JfakeNote==\u001b[0m[Pipeline] echo\n\u001b[31mred\u001b[0m\n',
    );
    expect(buffer.toString()).toBe('[Pipeline] echo\nred');
  });
});
