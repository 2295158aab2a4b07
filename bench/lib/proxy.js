#!/usr/bin/env node
/*
 * The counting proxy between one backend and the sandbox Jenkins, in its own
 * process: adds a fixed latency before each request goes on, gzips what Jenkins
 * would gzip when the client asks for it, and counts requests and bytes on the
 * wire (status line, headers and body as sent, chunk framing included) with
 * plain numbers that never saturate.
 *
 *   BENCH_PROXY='{"target":"http://127.0.0.1:8080","latencyMs":200}'
 *
 * What Jenkins compresses (Stapler, when Accept-Encoding contains gzip):
 * - `…/api/json|xml|python`: ResponseImpl.serveExposedBean writes through getCompressedWriter;
 * - `…/progressiveText|progressiveHtml`: LargeText.createWriter compresses when more than 4 096 bytes follow.
 * Everything else goes out as is: config.xml, wfapi, and `…/consoleText` of a pipeline build
 * (WorkflowRun.doConsoleText writes to the plain output stream; only freestyle builds' Run.doConsoleText
 * compresses, and every log the bench reads is a pipeline's).
 */
const http = require('node:http');
const zlib = require('node:zlib');
const { serveParent, fatal } = require('./proc');

const options = JSON.parse(process.env.BENCH_PROXY);
const target = new URL(options.target);
const latencyMs = Number(options.latencyMs ?? 0);
// Idle sockets close after 4 s, before the sandbox's server drops them (Node's 5 s keep-alive
// timeout): reusing a socket the server is closing would be a reset Jenkins (Jetty, 30 s) rarely causes.
const upstream = new http.Agent({
  keepAlive: true,
  maxSockets: Infinity,
  timeout: 4000,
});

const counters = {
  requests: 0,
  gzipAsked: 0,
  gzipped: 0,
  errors: 0,
  /** Bytes the proxy wrote to the backend (responses) and read from it (requests), closed sockets. */
  closedOut: 0,
  closedIn: 0,
};
const sockets = new Set();

function compressible(req, res) {
  if (res.statusCode !== 200) return false;
  const pathname = (req.url ?? '').split('?')[0];
  if (/\/api\/(json|xml|python)$/.test(pathname)) return true;
  if (/\/(progressiveText|progressiveHtml)$/.test(pathname)) {
    const length = res.headers['content-length'];
    return length === undefined || Number(length) > 4096;
  }
  return false;
}

function forward(req, res) {
  const headers = { ...req.headers, host: target.host };
  delete headers['accept-encoding'];
  const up = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: upstream,
    },
    upRes => {
      const out = { ...upRes.headers };
      const gzip =
        /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) &&
        compressible(req, upRes);
      if (gzip) {
        counters.gzipped++;
        delete out['content-length'];
        out['content-encoding'] = 'gzip';
        out.vary = 'Accept-Encoding';
      }
      res.writeHead(upRes.statusCode, upRes.statusMessage, out);
      if (gzip) upRes.pipe(zlib.createGzip()).pipe(res);
      else upRes.pipe(res);
    },
  );
  up.on('error', () => {
    counters.errors++;
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.pipe(up);
}

/** Requests per kind: method and path with item names folded, query keys only (a bounded set). */
const kinds = new Map();
function kindOf(req) {
  const [pathname, query = ''] = (req.url ?? '').split('?');
  const folded = pathname
    .replace(/(\/job\/[^/]+)+/g, '/job/…')
    .replace(/\/\d+(?=\/|$)/g, '/N')
    .replace(/\/computer\/[^/]+/g, '/computer/…');
  const keys = [...new URLSearchParams(query).keys()].sort().join('&');
  return `${req.method} ${folded}${keys ? `?${keys}` : ''}`;
}

// BENCH_PROXY_TRACE=1: one stderr line per request, when it arrived and finished (a diagnostic).
const trace = Boolean(process.env.BENCH_PROXY_TRACE);
const t0 = Date.now();
const server = http.createServer((req, res) => {
  counters.requests++;
  if (trace) {
    const arrived = Date.now() - t0;
    res.on('finish', () =>
      process.stderr.write(
        `proxy ${arrived} → ${Date.now() - t0} ms ${req.method} ${req.url}\n`,
      ),
    );
  }
  const kind = kindOf(req);
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
    counters.gzipAsked++;
  if (latencyMs > 0) {
    req.pause();
    setTimeout(() => forward(req, res), latencyMs);
  } else {
    forward(req, res);
  }
});
server.keepAliveTimeout = 30_000;
server.on('connection', socket => {
  sockets.add(socket);
  socket.on('close', () => {
    counters.closedOut += socket.bytesWritten;
    counters.closedIn += socket.bytesRead;
    sockets.delete(socket);
  });
});

function snapshot() {
  let out = counters.closedOut;
  let inBytes = counters.closedIn;
  for (const socket of sockets) {
    out += socket.bytesWritten;
    inBytes += socket.bytesRead;
  }
  return {
    requests: counters.requests,
    gzipAsked: counters.gzipAsked,
    gzipped: counters.gzipped,
    errors: counters.errors,
    bytesOut: out,
    bytesIn: inBytes,
    kinds: Object.fromEntries(kinds),
  };
}

serveParent({ stats: async () => snapshot() });
server.listen(0, '127.0.0.1', () => {
  process.send({ type: 'ready', port: server.address().port });
});
process.on('SIGTERM', () => process.exit(0));
process.on('uncaughtException', fatal);
