/**
 * Thrown for a timer spec that Jenkins would refuse. The message says what is
 * wrong and where (line and column, 1-based, in the spec as written).
 *
 * @public
 */
export class CronSpecError extends Error {
  /** 1-based line of the spec the problem is on. */
  readonly line: number;
  /** 1-based column within that line (after Jenkins' trimming), when known. */
  readonly column?: number;
  /** The offending line, trimmed the way Jenkins trims it. */
  readonly lineText: string;
  /** What is wrong, without the location prefix. */
  readonly reason: string;

  constructor(options: {
    line: number;
    column?: number;
    lineText: string;
    reason: string;
  }) {
    const where =
      options.column !== undefined
        ? `line ${options.line}, column ${options.column}`
        : `line ${options.line}`;
    super(
      `Invalid schedule at ${where} ("${options.lineText}"): ${options.reason}`,
    );
    this.name = 'CronSpecError';
    this.line = options.line;
    this.column = options.column;
    this.lineText = options.lineText;
    this.reason = options.reason;
  }
}
