import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from './world/clock';
import type { World } from './world/world';
import { Security } from './jenkins/auth';
import { JenkinsRouter } from './jenkins/router';
import { JETTY_SERVER, jettyErrorPage } from './jenkins/pages';
import { Random } from './world/random';
import { JenkinsFaultInjector, JenkinsFaultRule } from './faults';

/** The LTS version the sandbox answers as. */
export const JENKINS_VERSION = '2.479.3';

/** One request the sandbox received, for tests that count calls. */
export interface RecordedRequest {
  method: string;
  /** Path with the query string, as sent. */
  path: string;
}

const MAX_RECORDED = 50_000;
/** Largest form body read, like a servlet container's limit. */
const MAX_BODY = 1024 * 1024;

export interface SandboxServer {
  server: http.Server;
  requests: RecordedRequest[];
  /** Jenkins-side faults (latency, 5xx, HTML pages, resets, bad JSON, crumb expiry). */
  faults: JenkinsFaultInjector;
  /** Response body bytes sent since start, every route. */
  stats: { bytesSent: number };
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The HTTP server: records requests, brings the world up to date, answers
 * the sandbox's own control routes under `/__sandbox/`, and hands everything
 * else to the Jenkins routes.
 */
export function createSandboxServer(
  world: World,
  hooks: {
    /** Called before every request: brings other simulated systems up to date. */
    beforeRequest?: () => void;
    /** Moves a manual clock (the control route); default `advanceWorld`. */
    advance?: (ms: number) => void;
  } = {},
): SandboxServer {
  const security = new Security(world.users, world.seed);
  const jenkins = new JenkinsRouter(world, security);
  const instanceSession = Random.derive(world.seed, 'instance').hex(8);
  const requests: RecordedRequest[] = [];
  const faults = new JenkinsFaultInjector();
  const stats = { bytesSent: 0 };

  const server = http.createServer(async (req, res) => {
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path: rawUrl });
    if (requests.length > MAX_RECORDED) requests.splice(0, requests.length - MAX_RECORDED);
    countBytes(res, n => {
      stats.bytesSent += n;
    });

    res.setHeader('Server', JETTY_SERVER);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Jenkins', JENKINS_VERSION);
    res.setHeader('X-Jenkins-Session', instanceSession);
    // The controller's clock (the sandbox's), as Jetty sends it: clients
    // that compare schedules with the controller's time can read it here.
    res.setHeader('Date', new Date(world.now()).toUTCString());

    const url = new URL(rawUrl, 'http://sandbox.invalid');
    try {
      const { form: body, text } = await readForm(req);
      const params = new URLSearchParams(url.search);
      for (const [key, value] of body) params.append(key, value);

      hooks.beforeRequest?.();
      if (url.pathname === '/__sandbox/faults') {
        faultControl(faults, method, text, res);
        return;
      }
      if (url.pathname.startsWith('/__sandbox/')) {
        control(world, url.pathname, method, params, res, hooks.advance);
        return;
      }
      if (world.isDown(world.now())) {
        // A controller in an outage: nothing listens, the connection is refused.
        if (req.socket.resetAndDestroy) req.socket.resetAndDestroy();
        else req.socket.destroy();
        return;
      }
      if (await faults.apply(method, url.pathname, req, res)) return;
      const host = req.headers.host ?? `${(server.address() as AddressInfo).address}`;
      await jenkins.handle({
        req,
        res,
        method,
        path: url.pathname,
        params,
        body: text,
        root: `http://${host}/`,
      });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      res.writeHead(500, { 'Content-Type': 'text/html;charset=iso-8859-1' });
      res.end(jettyErrorPage(500, message, url.pathname));
    }
  });

  // A real clock keeps the world moving even when nobody asks.
  const ticker =
    world.clock.kind === 'real' ? setInterval(() => world.catchUp(), 1000).unref() : undefined;

  return {
    server,
    requests,
    faults,
    stats,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      if (ticker) clearInterval(ticker);
      return new Promise((resolve, reject) => {
        server.close(err => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** Counts the body bytes of a response as they are written. */
function countBytes(res: http.ServerResponse, add: (n: number) => void): void {
  const size = (chunk: unknown, encoding?: unknown) => {
    if (typeof chunk === 'string') {
      return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    }
    return chunk instanceof Uint8Array ? chunk.byteLength : 0;
  };
  const write = res.write;
  const end = res.end;
  res.write = function countedWrite(this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
    add(size(chunk, rest[0]));
    return (write as Function).call(this, chunk, ...rest);
  } as typeof res.write;
  res.end = function countedEnd(this: http.ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (chunk !== undefined && typeof chunk !== 'function') add(size(chunk, rest[0]));
    return (end as Function).call(this, chunk, ...rest);
  } as typeof res.end;
}

/**
 * `POST /__sandbox/faults` with a JSON rule (or `{ "rules": [...] }`) adds
 * Jenkins-side faults; `GET` lists them; `DELETE` clears them.
 */
function faultControl(
  faults: JenkinsFaultInjector,
  method: string,
  text: string,
  res: http.ServerResponse,
): void {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (method === 'GET') {
    reply(200, { rules: faults.active });
    return;
  }
  if (method === 'DELETE') {
    faults.clear();
    reply(200, { rules: [] });
    return;
  }
  if (method !== 'POST') {
    reply(405, { error: 'Use GET, POST or DELETE' });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text || '{}');
  } catch {
    reply(400, { error: 'The body must be JSON: a fault rule or { "rules": [...] }' });
    return;
  }
  const rules: unknown[] =
    body && typeof body === 'object' && Array.isArray((body as { rules?: unknown }).rules)
      ? (body as { rules: unknown[] }).rules
      : [body];
  try {
    for (const rule of rules) {
      if (!rule || typeof rule !== 'object') throw new Error('A rule must be an object');
      faults.set(rule as JenkinsFaultRule);
    }
  } catch (error) {
    reply(400, { error: (error as Error).message });
    return;
  }
  reply(200, { rules: faults.active });
}

/** Routes that are not Jenkins': health and moving a manual clock. */
function control(
  world: World,
  path: string,
  method: string,
  params: URLSearchParams,
  res: http.ServerResponse,
  advance: (ms: number) => void = ms => advanceWorld(world, ms),
): void {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (path === '/__sandbox/health' && method === 'GET') {
    world.catchUp();
    reply(200, { status: 'ok', clock: world.clock.kind, now: world.now(), seed: world.seed });
    return;
  }
  if (path === '/__sandbox/advance' && method === 'POST') {
    const ms = Number(params.get('ms'));
    if (!(world.clock instanceof ManualClock)) {
      reply(400, { error: 'The sandbox runs on the real clock; only a manual clock can be advanced' });
      return;
    }
    if (!Number.isFinite(ms) || ms < 0) {
      reply(400, { error: 'ms must be a non-negative number' });
      return;
    }
    advance(ms);
    reply(200, { now: world.now() });
    return;
  }
  if (path === '/__sandbox/outage' && method === 'POST') {
    // A controller outage from `start` (epoch ms of sandbox time, default now) for `minutes`.
    const start = params.has('start') ? Number(params.get('start')) : world.now();
    const minutes = Number(params.get('minutes'));
    if (!Number.isFinite(start) || !Number.isFinite(minutes) || minutes <= 0) {
      reply(400, { error: 'Give minutes (> 0) and optionally start (epoch ms of sandbox time)' });
      return;
    }
    world.addOutage(start, start + minutes * 60_000);
    reply(200, { start, end: start + minutes * 60_000 });
    return;
  }
  if (path === '/__sandbox/outage' && method === 'DELETE') {
    world.clearOutages();
    reply(200, {});
    return;
  }
  if (path === '/__sandbox/withheld-label' && method === 'POST') {
    // The "no executor for label" fault: withheld=false lifts it.
    const label = params.get('label');
    if (!label) {
      reply(400, { error: 'Give the label whose executors are withheld' });
      return;
    }
    world.withholdLabel(label, params.get('withheld') !== 'false');
    reply(200, { label, withheld: world.isWithheld(label) });
    return;
  }
  if (path === '/__sandbox/stubborn' && method === 'POST') {
    // Makes a running build ignore stop (or stop and term), to exercise escalation.
    const job = world.item(params.get('job') ?? '');
    const build = job && job.kind !== 'folder' ? world.build(job, Number(params.get('number'))) : undefined;
    const ignores = params.get('ignores');
    if (!build) {
      reply(404, { error: 'No such build: give job (full name) and number' });
      return;
    }
    if (ignores !== 'stop' && ignores !== 'term' && ignores !== 'none') {
      reply(400, { error: 'ignores must be stop, term or none' });
      return;
    }
    world.makeStubborn(build, ignores === 'none' ? undefined : ignores);
    reply(200, { job: build.job.fullName, number: build.number, ignores });
    return;
  }
  reply(404, { error: `No sandbox route ${method} ${path}` });
}

/** Moves a manual clock forward, applying every event at its own time. */
export function advanceWorld(world: World, ms: number): void {
  const clock = world.clock;
  if (!(clock instanceof ManualClock)) {
    throw new Error('advance() needs a sandbox started with clock: "manual"');
  }
  const target = clock.now() + ms;
  world.runUntil(target);
  clock.set(target);
}

/** The form fields of a POST, and its raw text (config.xml bodies). */
async function readForm(req: http.IncomingMessage): Promise<{ form: URLSearchParams; text: string }> {
  if (req.method !== 'POST' && req.method !== 'PUT') {
    req.resume();
    return { form: new URLSearchParams(), text: '' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) break;
    chunks.push(chunk as Buffer);
  }
  const type = String(req.headers['content-type'] ?? '');
  const text = Buffer.concat(chunks).toString('utf8');
  if (!type.startsWith('application/x-www-form-urlencoded')) return { form: new URLSearchParams(), text };
  return { form: new URLSearchParams(text), text };
}
