import type http from 'node:http';
import { jettyErrorPage } from './jenkins/pages';

/**
 * A fault on the Jenkins side, for tests and the browser journey: what a
 * flaky controller or the proxy in front of it does to some requests.
 *
 * @public
 */
export interface JenkinsFaultRule {
  /**
   * Which paths (without the query): a glob where `*` matches within one
   * segment and `**` across segments, e.g. `/job/DEV/**`; default every path.
   */
  path?: string;
  /** `GET`, `POST`, …; default any method. */
  method?: string;
  /** Real milliseconds to wait before answering (or before the other fault). */
  latencyMs?: number;
  /** Answer with this status and Jetty's error page (`sendError`), e.g. 500 or 503. */
  status?: number;
  /**
   * Answer with an HTML page instead: Jenkins' "Oops!" page (500) or the
   * 502 page of an nginx proxy in front of Jenkins.
   */
  html?: 'oops' | 'proxy-502';
  /** Drop the connection without an answer (ECONNRESET for the client). */
  reset?: boolean;
  /** Answer 200 with a JSON body cut off half-way. */
  malformedJson?: boolean;
  /** Reject the request's crumb as an expired session's would be (403 "No valid crumb"). */
  crumbExpired?: boolean;
  /** How many matching requests the rule applies to; forever when absent. */
  times?: number;
}

/** @public */
export interface JenkinsFaults {
  /** Adds a rule; earlier rules win when several match. */
  set(rule: JenkinsFaultRule): void;
  /** Removes every rule. */
  clear(): void;
  readonly active: readonly JenkinsFaultRule[];
}

interface ActiveRule extends JenkinsFaultRule {
  remaining: number;
  pattern: RegExp;
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') {
      out += '[^/]*';
    } else {
      out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

/** Jenkins' own page for an uncaught exception (since 2.2xx), trimmed. */
function oopsPage(): string {
  return `<!DOCTYPE html><html><head><title>Jenkins</title></head><body>
<div id="main-panel"><h1 style="text-align: center">Oops!</h1>
<div id="error-description"><h2 style="text-align: center">A problem occurred while processing the request</h2>
<p style="text-align: center">Logging ID=3f1c9a2e-5b7d-4e0a-9c1f-6a2b8d4e7f10</p></div></div>
</body></html>
`;
}

function proxy502Page(): string {
  return `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.24.0</center>
</body>
</html>
`;
}

/** Rules and their application to requests; `apply` answers true when it handled the response. */
export class JenkinsFaultInjector implements JenkinsFaults {
  private rules: ActiveRule[] = [];

  set(rule: JenkinsFaultRule): void {
    validate(rule);
    this.rules.push({
      ...rule,
      remaining: rule.times ?? Infinity,
      pattern: globToRegExp(rule.path ?? '**'),
    });
  }

  clear(): void {
    this.rules = [];
  }

  get active(): readonly JenkinsFaultRule[] {
    return this.rules.map(({ pattern: _p, remaining: _r, ...rule }) => rule);
  }

  /** Consumes one use of the first rule matching the request. */
  take(method: string, path: string): JenkinsFaultRule | undefined {
    const index = this.rules.findIndex(
      r =>
        (!r.method || r.method.toUpperCase() === method.toUpperCase()) &&
        r.pattern.test(path),
    );
    if (index < 0) return undefined;
    const rule = this.rules[index];
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return rule;
  }

  /**
   * Applies the matching rule, if any: waits its latency, then answers with
   * its fault. Returns `false` when the request should go on to Jenkins.
   */
  async apply(
    method: string,
    path: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<boolean> {
    const rule = this.take(method, path);
    if (!rule) return false;
    if (rule.latencyMs) {
      await new Promise(resolve => setTimeout(resolve, rule.latencyMs));
      // The client gave up meanwhile.
      if (req.socket.destroyed) return true;
    }
    if (rule.reset) {
      if (req.socket.resetAndDestroy) req.socket.resetAndDestroy();
      else req.socket.destroy();
      return true;
    }
    if (rule.html) {
      const status = rule.html === 'oops' ? 500 : 502;
      if (rule.html === 'proxy-502') res.setHeader('Server', 'nginx/1.24.0');
      res.writeHead(status, { 'Content-Type': 'text/html;charset=utf-8' });
      res.end(rule.html === 'oops' ? oopsPage() : proxy502Page());
      return true;
    }
    if (rule.status) {
      const message = rule.status === 503 ? 'Service Unavailable' : 'Server Error';
      res.writeHead(rule.status, { 'Content-Type': 'text/html;charset=iso-8859-1' });
      res.end(jettyErrorPage(rule.status, message, path));
      return true;
    }
    if (rule.malformedJson) {
      res.writeHead(200, { 'Content-Type': 'application/json;charset=utf-8' });
      res.end('{"_class":"com.cloudbees.hudson.plugins.folder.Folder","jobs":[{"_class":"org.jenk');
      return true;
    }
    if (rule.crumbExpired) {
      res.writeHead(403, { 'Content-Type': 'text/html;charset=iso-8859-1' });
      res.end(jettyErrorPage(403, 'No valid crumb was included in the request', path));
      return true;
    }
    // Latency only: the request goes on.
    return false;
  }
}

function validate(rule: JenkinsFaultRule): void {
  if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
    throw new Error('times must be a positive integer');
  }
  if (rule.latencyMs !== undefined && (!Number.isFinite(rule.latencyMs) || rule.latencyMs < 0)) {
    throw new Error('latencyMs must be a non-negative number');
  }
  if (rule.status !== undefined && (!Number.isInteger(rule.status) || rule.status < 400 || rule.status > 599)) {
    throw new Error('status must be an HTTP error status (400-599)');
  }
  if (rule.html !== undefined && rule.html !== 'oops' && rule.html !== 'proxy-502') {
    throw new Error("html must be 'oops' or 'proxy-502'");
  }
  if (rule.path !== undefined && (typeof rule.path !== 'string' || !rule.path.startsWith('/'))) {
    throw new Error('path must be a glob starting with /');
  }
}
