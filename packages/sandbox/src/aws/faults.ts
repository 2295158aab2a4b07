import { DEFAULT_MESSAGES } from './errors';

/**
 * A fault for tests: make the next call(s) of an action fail, slow down, or
 * (for RunInstances) start instances whose Jenkins agent never connects.
 *
 * @public
 */
export interface FaultRule {
  /**
   * The EC2 action (`RunInstances`, `DescribeInstances`, …) or S3 operation
   * (`PutObject`, `GetObject`, `HeadObject`, `ListObjectsV2`, `DeleteObject`,
   * `DeleteObjects`, `CreateBucket`, `HeadBucket`, `ListBuckets`), or `*` for all.
   */
  action: string;
  /**
   * The AWS error code to answer with, e.g. `InsufficientInstanceCapacity`
   * (500), `RequestLimitExceeded` (503), `UnauthorizedOperation` (403),
   * `InternalError`, S3's `SlowDown` (503) or `AccessDenied` (403).
   * The HTTP status is the one AWS uses for that code unless `status` is given.
   */
  error?: string;
  message?: string;
  status?: number;
  /** Real milliseconds to wait before answering. */
  latencyMs?: number;
  /** RunInstances succeeds, but the instances' agents never connect to Jenkins. */
  agentNeverConnects?: boolean;
  /** How many matching requests the rule applies to; forever when absent. */
  times?: number;
}

/** What a request hit: at most one rule, the first that matches. */
export interface FaultHit {
  error?: { code: string; message: string; status?: number };
  latencyMs: number;
  agentNeverConnects: boolean;
}

/** @public */
export class FaultInjector {
  private rules: Array<FaultRule & { remaining: number }> = [];

  /** Adds a rule; earlier rules win when several match. */
  set(rule: FaultRule): void {
    if (
      rule.times !== undefined &&
      (!Number.isInteger(rule.times) || rule.times < 1)
    ) {
      throw new Error('times must be a positive integer');
    }
    this.rules.push({ ...rule, remaining: rule.times ?? Infinity });
  }

  /** Removes the rules of one action, or all rules. */
  clear(action?: string): void {
    this.rules = action ? this.rules.filter(r => r.action !== action) : [];
  }

  get active(): readonly FaultRule[] {
    return this.rules;
  }

  /** Consumes one use of the first rule matching `action`. */
  take(action: string, service: 'ec2' | 's3'): FaultHit | undefined {
    const index = this.rules.findIndex(
      r => r.action === action || r.action === '*',
    );
    if (index < 0) return undefined;
    const rule = this.rules[index];
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return {
      error: rule.error
        ? {
            code: rule.error,
            message: rule.message ?? defaultMessage(rule.error, service),
            status: rule.status,
          }
        : undefined,
      latencyMs: rule.latencyMs ?? 0,
      agentNeverConnects: rule.agentNeverConnects ?? false,
    };
  }
}

function defaultMessage(code: string, service: 'ec2' | 's3'): string {
  if (code === 'InternalError' && service === 's3') {
    return 'We encountered an internal error. Please try again.';
  }
  return DEFAULT_MESSAGES[code] ?? `Injected fault: ${code}`;
}
