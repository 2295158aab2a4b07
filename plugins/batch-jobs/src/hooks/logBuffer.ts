// Jenkins console notes (hidden hyperlinks) and ANSI colour codes; shown raw
// they are noise.
// eslint-disable-next-line no-control-regex
const CONSOLE_NOTE = /\u001b\[8mha:[^\u001b]*\u001b\[0m/g;
// eslint-disable-next-line no-control-regex
const ANSI_SGR = /\u001b\[[0-9;]*m/g;

function clean(line: string): string {
  return line.replace(CONSOLE_NOTE, '').replace(ANSI_SGR, '');
}

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair: one 4-byte character.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** How much of a log the page keeps at once. */
export interface LogWindow {
  maxLines: number;
  maxBytes: number;
}

/**
 * A window on a log, by byte offsets: whole lines from `start` to `end`
 * (plus the unfinished last line while it grows). Appending past the window
 * drops lines at the start; prepending an earlier block drops them at the
 * end, so huge logs stay cheap to hold and render.
 */
export class LogBuffer {
  private lines: string[] = [];
  /** Raw bytes of each line, newline included. */
  private sizes: number[] = [];
  private partial = '';
  private bytes = 0;
  private first = 0;
  private cutEnd = false;

  constructor(private readonly window: LogWindow) {}

  /** Empties the buffer, to hold the log from `start` on. */
  reset(start: number): void {
    this.lines = [];
    this.sizes = [];
    this.partial = '';
    this.bytes = 0;
    this.first = start;
    this.cutEnd = false;
  }

  /** Offset of the first byte held. */
  get start(): number {
    return this.first;
  }

  /** Offset just after the last byte held. */
  get end(): number {
    return this.first + this.bytes;
  }

  /** True once an earlier block pushed the log's end out of the window. */
  get endDropped(): boolean {
    return this.cutEnd;
  }

  get lineCount(): number {
    return this.lines.length + (this.partial ? 1 : 0);
  }

  /** Text that follows the held bytes; lines over the window go at the start. */
  append(text: string): void {
    if (!text) return;
    const parts = (this.partial + text).split('\n');
    const rest = parts.pop()!;
    for (const line of parts) {
      this.lines.push(clean(line.endsWith('\r') ? line.slice(0, -1) : line));
      this.sizes.push(utf8Length(line) + 1);
    }
    this.bytes += utf8Length(text);
    this.partial = rest;
    let drop = 0;
    let dropped = 0;
    while (
      drop < this.lines.length &&
      (this.lines.length - drop > this.window.maxLines ||
        this.bytes - dropped > this.window.maxBytes)
    ) {
      dropped += this.sizes[drop];
      drop++;
    }
    if (drop > 0) {
      this.lines.splice(0, drop);
      this.sizes.splice(0, drop);
      this.bytes -= dropped;
      this.first += dropped;
    }
  }

  /**
   * Text that ends where the held bytes start (`start` is its first byte's
   * offset); its partial first line is dropped unless it is the log's start.
   * Lines over the window go at the end.
   */
  prepend(text: string, start: number): void {
    let from = start;
    let body = text;
    if (start > 0) {
      const newline = body.indexOf('\n');
      if (newline < 0) return;
      from += utf8Length(body.slice(0, newline + 1));
      body = body.slice(newline + 1);
    }
    const parts = body.split('\n');
    // Ends on a line start (where the held bytes begin), so this is empty.
    const tail = parts.pop()!;
    if (tail) parts.push(tail);
    const lines = parts.map(line =>
      clean(line.endsWith('\r') ? line.slice(0, -1) : line),
    );
    const sizes = parts.map(line => utf8Length(line) + 1);
    if (tail) sizes[sizes.length - 1] -= 1;
    this.lines = lines.concat(this.lines);
    this.sizes = sizes.concat(this.sizes);
    this.bytes += utf8Length(body);
    this.first = from;
    if (
      this.lineCount > this.window.maxLines ||
      this.bytes > this.window.maxBytes
    ) {
      // The end goes: so does the unfinished line.
      this.bytes -= utf8Length(this.partial);
      this.partial = '';
      this.cutEnd = true;
    }
    while (
      this.lines.length > 1 &&
      (this.lines.length > this.window.maxLines ||
        this.bytes > this.window.maxBytes)
    ) {
      this.lines.pop();
      this.bytes -= this.sizes.pop()!;
    }
  }

  toString(): string {
    const tail = this.partial ? clean(this.partial) : '';
    if (this.lines.length === 0) return tail;
    return tail ? `${this.lines.join('\n')}\n${tail}` : this.lines.join('\n');
  }
}
