import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { User } from '../world/model';
import { Random } from '../world/random';

/** How a request is authenticated; `token` requests need no crumb. */
export type Authentication =
  | { kind: 'anonymous' }
  | { kind: 'token' | 'password' | 'session'; user: User }
  | { kind: 'invalid'; message: string };

export const CRUMB_FIELD = 'Jenkins-Crumb';

/**
 * Security as a current Jenkins LTS does it: HTTP basic with an API token or
 * a password, HTTP sessions in a `JSESSIONID.<id>` cookie, and crumbs tied to
 * the user and the session (DefaultCrumbIssuer since SECURITY-626).
 */
export class Security {
  readonly cookieName: string;
  private readonly salt: string;
  private readonly sessions = new Map<string, { user: User | null }>();
  private readonly random: Random;

  constructor(private readonly users: Map<string, User>, seed: number) {
    this.random = Random.derive(seed, 'security');
    this.cookieName = `JSESSIONID.${this.random.hex(8)}`;
    this.salt = this.random.hex(32);
  }

  sessionId(req: IncomingMessage): string | undefined {
    const cookies = req.headers.cookie ?? '';
    for (const part of cookies.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === this.cookieName) {
        const id = value.join('=');
        return this.sessions.has(id) ? id : undefined;
      }
    }
    return undefined;
  }

  authenticate(req: IncomingMessage): Authentication {
    const header = req.headers.authorization;
    if (header) {
      const match = /^Basic\s+(.+)$/i.exec(header);
      if (!match) return { kind: 'anonymous' };
      const decoded = Buffer.from(match[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { kind: 'invalid', message: 'Malformed HTTP basic Authorization header' };
      const username = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      const user = this.users.get(username);
      // Jenkins tries the API token first, then the password.
      if (user && secret === user.apiToken) return { kind: 'token', user };
      if (user && secret === user.password) return { kind: 'password', user };
      return { kind: 'invalid', message: `Invalid password/token for user: ${username}` };
    }
    const sessionId = this.sessionId(req);
    const user = sessionId ? this.sessions.get(sessionId)?.user : null;
    return user ? { kind: 'session', user } : { kind: 'anonymous' };
  }

  /** Returns the session of the request, creating one (and its cookie) if needed. */
  ensureSession(req: IncomingMessage, user: User): { id: string; setCookie?: string } {
    const existing = this.sessionId(req);
    if (existing) {
      this.sessions.get(existing)!.user = user;
      return { id: existing };
    }
    const id = `node0${this.random.hex(24)}${this.sessions.size + 1}`;
    this.sessions.set(id, { user });
    return { id, setCookie: `${this.cookieName}=${id}; Path=/; HttpOnly` };
  }

  crumb(user: User, sessionId: string): string {
    return createHash('sha256').update(`${user.id};${sessionId}${this.salt}`).digest('hex');
  }

  /** CrumbFilter: is the crumb sent with this POST the one issued to this user and session? */
  validCrumb(req: IncomingMessage, auth: Authentication, sent: string | undefined): boolean {
    if (auth.kind === 'token') return true;
    if (auth.kind !== 'password' && auth.kind !== 'session') return false;
    const sessionId = this.sessionId(req);
    if (!sent || !sessionId) return false;
    return sent === this.crumb(auth.user, sessionId);
  }
}
