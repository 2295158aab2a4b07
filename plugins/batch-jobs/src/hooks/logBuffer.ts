// Jenkins console notes (hidden hyperlinks) and ANSI colour codes; shown raw
// they are noise.
// eslint-disable-next-line no-control-regex
const CONSOLE_NOTE = /\u001b\[8mha:[^\u001b]*\u001b\[0m/g;
// eslint-disable-next-line no-control-regex
const ANSI_SGR = /\u001b\[[0-9;]*m/g;

function clean(line: string): string {
  return line.replace(CONSOLE_NOTE, '').replace(ANSI_SGR, '');
}

/**
 * The tail of a log that keeps growing: complete lines plus the unfinished
 * last one, capped at `maxLines` so that huge logs stay cheap to render.
 */
export class LogBuffer {
  private lines: string[] = [];
  private partial = '';
  private dropped = 0;

  constructor(private readonly maxLines: number) {}

  append(text: string): void {
    if (!text) return;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) {
      this.lines.push(clean(line.endsWith('\r') ? line.slice(0, -1) : line));
    }
    const excess = this.lines.length - this.maxLines;
    if (excess > 0) {
      this.lines.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Lines no longer kept, counted from the start of the log. */
  get droppedLines(): number {
    return this.dropped;
  }

  get lineCount(): number {
    return this.lines.length + (this.partial ? 1 : 0);
  }

  toString(): string {
    const tail = this.partial ? clean(this.partial) : '';
    if (this.lines.length === 0) return tail;
    return tail ? `${this.lines.join('\n')}\n${tail}` : this.lines.join('\n');
  }
}
