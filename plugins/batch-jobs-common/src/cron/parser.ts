import { CronSpecError } from './errors';
import { CronHash } from './hash';

/**
 * One schedule line with every `H` already resolved: the sets of values each
 * field matches. A minute fires when all five fields match (Jenkins ANDs
 * day-of-month and day-of-week, unlike vixie cron which ORs them).
 *
 * @public
 */
export interface CronLine {
  /** 1-based line number in the spec. */
  lineNumber: number;
  /** The line as written, trimmed. */
  text: string;
  /** The alias used (e.g. `@daily`), if any. */
  alias?: string;
  /** Five-field form of the line (the alias expansion for alias lines). */
  fields: string;
  /**
   * Time zone from a leading `TZ=` line that applies to this line. Jenkins
   * drops it for alias lines (`@daily` etc. are re-parsed without the zone),
   * so those run in the controller's zone.
   */
  timezone?: string;
  /** Sorted values matched by each field; day of week 0-6, Sunday = 0. */
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
}

/** @public */
export interface ParsedCronSpec {
  /** The zone of a leading `TZ=` line, if any. */
  timezone?: string;
  /** Schedule lines (comments and blank lines dropped), in spec order. */
  lines: CronLine[];
}

const FIELD_NAMES = ['minute', 'hour', 'day of month', 'month', 'day of week'];
const LOWER = [0, 0, 1, 1, 0];
const UPPER = [59, 23, 31, 12, 7];
const INT_MAX = 2147483647;
// Plain H narrows days of month to 1-28 (safe in every month) and days of
// week to 0-6 (7 would repeat Sunday), as Jenkins' BaseParser.doHash does.
const HASH_UPPER = [59, 23, 28, 12, 6];

// Jenkins' grammar: these expand into five-field specs using H.
const ALIASES: Record<string, string> = {
  yearly: 'H H H H *',
  annually: 'H H H H *',
  monthly: 'H H H * *',
  weekly: 'H H * * H',
  daily: 'H H * * *',
  midnight: 'H H(0-2) * * *',
  hourly: 'H * * * *',
};

type TokenType =
  | 'NUMBER'
  | 'WS'
  | '-'
  | '*'
  | '/'
  | ','
  | '@'
  | 'H'
  | '('
  | ')'
  | 'KEYWORD'
  | 'EOF';

interface Token {
  type: TokenType;
  text: string;
  /** 0-based offset in the line. */
  at: number;
}

const SINGLE_CHAR: Record<string, TokenType> = {
  '-': '-',
  '*': '*',
  '/': '/',
  ',': ',',
  '@': '@',
  H: 'H',
  '(': '(',
  ')': ')',
};

function shown(token: Token): string {
  if (token.type === 'EOF') return 'the end of the line';
  if (token.type === 'WS') return 'a space';
  return `"${token.text}"`;
}

/** Java's String.trim(): strips every char <= U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

/** Raised inside the line parser; turned into a CronSpecError with the line. */
class LineError extends Error {
  constructor(readonly reason: string, readonly at: number) {
    super(reason);
  }
}

/**
 * Lexes lazily, like the ANTLR token stream Jenkins uses: a bad character is
 * only an error once the parser asks for the token it starts.
 */
class Lexer {
  private pos = 0;

  constructor(private readonly text: string) {}

  nextToken(): Token {
    const text = this.text;
    const at = this.pos;
    if (at >= text.length) return { type: 'EOF', text: '', at };
    const ch = text[at];
    if (ch >= '0' && ch <= '9') {
      let end = at;
      while (end < text.length && text[end] >= '0' && text[end] <= '9') end++;
      this.pos = end;
      return { type: 'NUMBER', text: text.slice(at, end), at };
    }
    if (ch === ' ' || ch === '\t') {
      let end = at;
      while (end < text.length && (text[end] === ' ' || text[end] === '\t')) {
        end++;
      }
      this.pos = end;
      return { type: 'WS', text: text.slice(at, end), at };
    }
    const single = SINGLE_CHAR[ch];
    if (single) {
      this.pos = at + 1;
      return { type: single, text: ch, at };
    }
    for (const keyword of Object.keys(ALIASES)) {
      if (text.startsWith(keyword, at)) {
        this.pos = at + keyword.length;
        return { type: 'KEYWORD', text: keyword, at };
      }
    }
    throw new LineError(describeBadCharacter(text, at), at);
  }
}

function describeBadCharacter(text: string, at: number): string {
  const word = /^[A-Za-z]+/.exec(text.slice(at))?.[0];
  if (
    word &&
    /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)/i.test(
      word,
    )
  ) {
    return `"${word}": Jenkins does not accept month or weekday names, use numbers (months 1-12, days of week 0-7 with 0 and 7 = Sunday)`;
  }
  if (text[at] === '#') {
    return `unexpected "#": comments must be on their own line`;
  }
  if (text[at] === '?' || text[at] === 'L' || text[at] === 'W') {
    return `unexpected "${text[at]}": Jenkins cron has no "?", "L" or "W"`;
  }
  if (text[at] === 'h') {
    return `unexpected "h": the hash symbol is an upper-case "H"`;
  }
  return `unexpected character "${text[at]}"`;
}

/** Recursive descent over Jenkins' CrontabParser grammar, for one line. */
class LineParser {
  private readonly lexer: Lexer;
  private current: Token;

  constructor(text: string, private readonly hash: CronHash) {
    this.lexer = new Lexer(text);
    this.current = this.lexer.nextToken();
  }

  /** Returns the field bit sets, or the alias keyword for `@...` lines. */
  parseLine(): { bits: number[][] } | { alias: string } {
    if (this.current.type === '@') {
      const unknown = (at: number) =>
        new LineError(
          `unknown alias; Jenkins knows @${Object.keys(ALIASES).join(', @')}`,
          at,
        );
      try {
        this.advance();
      } catch (error) {
        throw error instanceof LineError ? unknown(error.at) : error;
      }
      const keyword = this.current;
      if (keyword.type !== 'KEYWORD') throw unknown(keyword.at);
      // ANTLR fetches one token past the keyword, so a bad character right
      // after it is an error, but anything later on the line is ignored.
      this.advance();
      return { alias: keyword.text };
    }
    const bits: number[][] = [];
    for (let field = 0; field < 5; field++) {
      if (field > 0) {
        if (this.current.type === 'EOF') {
          throw new LineError(
            `expected 5 fields (minute hour day-of-month month day-of-week) but found ${field}`,
            this.current.at,
          );
        }
        this.expect('WS', `a space before the ${FIELD_NAMES[field]} field`);
      }
      bits.push(this.expr(field));
    }
    if (this.current.type !== 'EOF') {
      const reason =
        this.current.type === 'WS'
          ? 'more than 5 fields (minute hour day-of-month month day-of-week)'
          : `unexpected "${this.current.text}" in the day of week field`;
      throw new LineError(reason, this.current.at);
    }
    return { bits };
  }

  private advance(): Token {
    const token = this.current;
    this.current = this.lexer.nextToken();
    return token;
  }

  private expect(type: TokenType, what: string): Token {
    if (this.current.type !== type) {
      throw new LineError(
        `expected ${what} but found ${shown(this.current)}`,
        this.current.at,
      );
    }
    return this.advance();
  }

  private expr(field: number): number[] {
    const values = new Set(this.term(field));
    while (this.current.type === ',') {
      this.advance();
      for (const v of this.term(field)) values.add(v);
    }
    return [...values].sort((a, b) => a - b);
  }

  private number(field: number, what: string): { value: number; at: number } {
    const token = this.expect(
      'NUMBER',
      `a number (${what}) in the ${FIELD_NAMES[field]} field`,
    );
    const value = Number(token.text);
    if (value > INT_MAX) {
      throw new LineError(`${token.text} is too large`, token.at);
    }
    return { value, at: token.at };
  }

  private rangeCheck(value: number, at: number, field: number): void {
    if (value < LOWER[field] || value > UPPER[field]) {
      throw new LineError(
        `${value} is not a valid ${FIELD_NAMES[field]}: must be within ${LOWER[field]} and ${UPPER[field]}`,
        at,
      );
    }
  }

  private optionalStep(
    field: number,
  ): { value: number; at: number } | undefined {
    if (this.current.type !== '/') return undefined;
    this.advance();
    return this.number(field, 'step');
  }

  private term(field: number): number[] {
    const start = this.current;
    if (start.type === 'NUMBER') {
      const from = this.number(field, 'value');
      if (this.current.type !== '-') {
        this.rangeCheck(from.value, from.at, field);
        return [from.value];
      }
      this.advance();
      const to = this.number(field, 'end of range');
      const step = this.optionalStep(field);
      return this.range(from, to, step, field);
    }
    if (start.type === '*') {
      this.advance();
      const step = this.optionalStep(field);
      return this.range(
        { value: LOWER[field], at: start.at },
        { value: UPPER[field], at: start.at },
        step,
        field,
      );
    }
    if (start.type === 'H') {
      this.advance();
      let from = { value: LOWER[field], at: start.at };
      let to = { value: HASH_UPPER[field], at: start.at };
      if (this.current.type === '(') {
        this.advance();
        from = this.number(field, 'start of the H range');
        this.expect('-', '"-" in H(start-end)');
        to = this.number(field, 'end of the H range');
        this.expect(')', '")" closing H(start-end)');
      }
      const step = this.optionalStep(field);
      return this.hashed(from, to, step, field, start.at);
    }
    throw new LineError(
      `expected a value, range, "*" or "H" in the ${
        FIELD_NAMES[field]
      } field but found ${shown(start)}`,
      start.at,
    );
  }

  private range(
    from: { value: number; at: number },
    to: { value: number; at: number },
    step: { value: number; at: number } | undefined,
    field: number,
  ): number[] {
    this.rangeCheck(from.value, from.at, field);
    this.rangeCheck(to.value, to.at, field);
    const by = step?.value ?? 1;
    if (by <= 0) {
      throw new LineError(`step must be positive, but found ${by}`, step!.at);
    }
    if (from.value > to.value) {
      throw new LineError(
        `range ${from.value}-${to.value} is reversed; did you mean ${to.value}-${from.value}?`,
        from.at,
      );
    }
    const values: number[] = [];
    for (let i = from.value; i <= to.value; i += by) values.push(i);
    return values;
  }

  /** Jenkins' BaseParser.doHash: H picks one value; H/n picks an offset then steps by n. */
  private hashed(
    from: { value: number; at: number },
    to: { value: number; at: number },
    step: { value: number; at: number } | undefined,
    field: number,
    at: number,
  ): number[] {
    this.rangeCheck(from.value, from.at, field);
    this.rangeCheck(to.value, to.at, field);
    const width = to.value - from.value + 1;
    if (width <= 0) {
      throw new LineError(
        `H(${from.value}-${to.value}) is reversed; did you mean H(${to.value}-${from.value})?`,
        at,
      );
    }
    if (step === undefined || step.value === 1) {
      return [from.value + this.hash.next(width)];
    }
    if (step.value > width) {
      throw new LineError(
        `step ${step.value} is larger than the ${width} values of the H range ${from.value}-${to.value}`,
        step.at,
      );
    }
    if (step.value <= 0) {
      throw new LineError(
        `step must be positive, but found ${step.value}`,
        step.at,
      );
    }
    const values: number[] = [];
    for (
      let i = from.value + this.hash.next(step.value);
      i <= to.value;
      i += step.value
    ) {
      values.push(i);
    }
    return values;
  }
}

/** Day-of-week 7 is Sunday: fold it onto 0 like CronTab does. */
function foldSunday(daysOfWeek: number[]): number[] {
  if (!daysOfWeek.includes(7)) return daysOfWeek;
  return [...new Set(daysOfWeek.map(d => (d === 7 ? 0 : d)))].sort(
    (a, b) => a - b,
  );
}

// Building an Intl formatter to ask costs 0.04–0.1 ms: a list of a few hundred
// jobs asks for the same one or two zones every time it is mapped.
const ZONES_KNOWN_MAX = 1000;
const zonesKnown = new Map<string, boolean>();

/** True when `zone` is a zone ID Jenkins (Java) would also accept, as far as Intl can tell. */
export function isValidTimezone(zone: string): boolean {
  let valid = zonesKnown.get(zone);
  if (valid === undefined) {
    valid = checkTimezone(zone);
    if (zonesKnown.size >= ZONES_KNOWN_MAX) zonesKnown.clear();
    zonesKnown.set(zone, valid);
  }
  return valid;
}

function checkTimezone(zone: string): boolean {
  if (!zone || zone.trim() !== zone) return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
    }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  // Intl ignores case, Java's TimeZone IDs do not.
  return resolved === zone || resolved.toLowerCase() !== zone.toLowerCase();
}

function parseFields(
  text: string,
  hash: CronHash,
): { bits: number[][]; alias?: string; fields: string } {
  const parsed = new LineParser(text, hash).parseLine();
  if ('alias' in parsed) {
    const fields = ALIASES[parsed.alias];
    const expanded = new LineParser(fields, hash).parseLine() as {
      bits: number[][];
    };
    return { bits: expanded.bits, alias: `@${parsed.alias}`, fields };
  }
  return { bits: parsed.bits, fields: text };
}

/**
 * Parses a TimerTrigger spec the way Jenkins' `CronTabList.create` does,
 * resolving every `H` with `hash` (one stream, consumed line by line).
 *
 * @public
 */
export function parseCronSpecLines(
  spec: string,
  hash: CronHash,
): ParsedCronSpec {
  const lines: CronLine[] = [];
  let timezone: string | undefined;
  // Java's String.split drops trailing empty strings; harmless here since
  // blank lines are skipped anyway.
  spec.split(/\r?\n/).forEach((raw, index) => {
    const lineNumber = index + 1;
    const text = javaTrim(raw);
    const indent = raw.indexOf(text);
    if (lineNumber === 1 && text.startsWith('TZ=')) {
      const zone = text.split('TZ=').join('');
      if (!isValidTimezone(zone)) {
        throw new CronSpecError({
          line: lineNumber,
          column: indent + 4,
          lineText: text,
          reason: `invalid or unsupported time zone "${zone}" (use an IANA name such as Europe/Paris)`,
        });
      }
      timezone = zone;
      return;
    }
    if (text.length === 0 || text.startsWith('#')) return;
    if (text.startsWith('TZ=')) {
      throw new CronSpecError({
        line: lineNumber,
        column: indent + 1,
        lineText: text,
        reason: 'a TZ= line is only allowed as the very first line',
      });
    }
    try {
      const { bits, alias, fields } = parseFields(text, hash);
      lines.push({
        lineNumber,
        text,
        ...(alias ? { alias } : {}),
        fields,
        ...(timezone && !alias ? { timezone } : {}),
        minutes: bits[0],
        hours: bits[1],
        daysOfMonth: bits[2],
        months: bits[3],
        daysOfWeek: foldSunday(bits[4]),
      });
    } catch (error) {
      if (error instanceof LineError) {
        throw new CronSpecError({
          line: lineNumber,
          column: indent + error.at + 1,
          lineText: text,
          reason: error.reason,
        });
      }
      throw error;
    }
  });
  return { ...(timezone ? { timezone } : {}), lines };
}
