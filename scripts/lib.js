/*
 * Helpers shared by the root scripts. They run before dependencies exist, so
 * only Node built-ins are used here.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { isSupported, ensurePinnedNode } = require('./nodeRuntime');

const root = path.resolve(__dirname, '..');
const yarnRelease = path.join(root, '.yarn', 'releases', 'yarn-4.13.0.cjs');

/** Runs the committed yarn release; a fresh machine has no yarn on the PATH. */
function yarnArgs(args) {
  return [process.execPath, [yarnRelease, ...args]];
}

/**
 * Makes the running script run on a Node Backstage supports (22 or 24).
 * On an older Node it fetches the pinned Node 24 (scripts/nodeRuntime.js)
 * and runs the same script again under it, with that Node first on the
 * PATH so every child (yarn, jest, the backend) uses it too. Returns only
 * when the current process is on a supported Node.
 */
function useSupportedNode() {
  if (isSupported()) return;
  const pinned = ensurePinnedNode();
  console.log(
    `Running on Node ${
      require('./nodeRuntime').PINNED_NODE
    } from ${path.relative(root, pinned.dir)} (this machine has ${
      process.version
    }).`,
  );
  const res = spawnSync(pinned.bin, process.argv.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      PATH: `${pinned.dir}${path.delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: pinned.nodedir,
    },
  });
  process.exit(res.status ?? 1);
}

/** The headers native addons build against for the running Node. */
function nodedirForThisNode() {
  // The pinned Node from the npm registry ships include/node beside bin/; a
  // distribution's Node keeps them under /usr (nodejs.org, where node-gyp
  // would download them, is unreachable from our machines).
  const running = Number(process.versions.node.split('.')[0]);
  const beside = path.resolve(path.dirname(process.execPath), '..');
  return [beside, '/usr'].find(dir => headersMajor(dir) === running);
}

/** The Node major version whose headers `dir` holds (include/node), if any. */
function headersMajor(dir) {
  try {
    const v = fs.readFileSync(
      path.join(dir, 'include', 'node', 'node_version.h'),
      'utf8',
    );
    return Number(/#define NODE_MAJOR_VERSION (\d+)/.exec(v)?.[1]);
  } catch {
    return undefined;
  }
}

function buildEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // Children must run on this Node, not an older one earlier on the PATH.
  const dir = path.dirname(process.execPath);
  if (!(env.PATH ?? '').split(path.delimiter).includes(dir)) {
    env.PATH = `${dir}${path.delimiter}${env.PATH ?? ''}`;
  }
  // An npmrc `nodedir` (npm exports it to scripts) may hold another Node's
  // headers: native modules built against them crash this Node on load.
  const running = Number(process.versions.node.split('.')[0]);
  const given = env.npm_config_nodedir;
  if (!given || (headersMajor(given) ?? running) !== running) {
    const nodedir = nodedirForThisNode();
    if (nodedir) env.npm_config_nodedir = nodedir;
  }
  return env;
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
function ensureInstalled() {
  useSupportedNode();
  const state = path.join(root, 'node_modules', '.yarn-state.yml');
  const lock = path.join(root, 'yarn.lock');
  // Native addons (better-sqlite3) are built for one Node ABI: the stamp
  // says which, so switching Node rebuilds them instead of crashing later.
  const stamp = path.join(root, 'node_modules', '.node-abi');
  const abi = `${process.versions.modules} ${process.platform}-${process.arch}`;
  const installed =
    fs.existsSync(state) &&
    fs.statSync(state).mtimeMs >= fs.statSync(lock).mtimeMs;
  const sameAbi =
    fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === abi;
  if (installed && sameAbi) return;
  const yarn = (args, title) => {
    console.log(title);
    const [cmd, a] = yarnArgs(args);
    const res = spawnSync(cmd, a, {
      cwd: root,
      stdio: 'inherit',
      env: buildEnv(),
    });
    if (res.status !== 0) {
      console.error('Dependency installation failed (see the output above).');
      process.exit(res.status ?? 1);
    }
  };
  if (!installed) {
    yarn(
      process.env.CI ? ['install', '--immutable'] : ['install'],
      `Installing dependencies on Node ${process.versions.node} (yarn 4, committed in .yarn/releases)…`,
    );
  } else {
    yarn(
      ['rebuild'],
      `Rebuilding native modules for Node ${process.versions.node}…`,
    );
  }
  fs.writeFileSync(stamp, `${abi}\n`);
}

function run(cmd, args, opts = {}) {
  return spawn(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: buildEnv(opts.env),
  });
}

/** Resolves when `url` answers (any HTTP status), rejects after `timeoutMs`. */
async function waitForHttp(url, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise(r => setTimeout(r, 300));
    }
  }
}

/**
 * Runs a command to completion and returns its stdout; throws, with the
 * end of its output (also written to `logFile` when given), if it fails.
 */
function runOrThrow(
  cmd,
  args,
  { cwd, env = buildEnv(), input, what, logFile },
) {
  const res = spawnSync(cmd, args, {
    cwd,
    env,
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (logFile) fs.writeFileSync(logFile, out);
  if (res.status !== 0) {
    throw new Error(
      `${what} failed (exit ${res.status ?? res.signal})${
        logFile ? `, log ${logFile}` : ''
      }:\n${out.slice(-3000)}`,
    );
  }
  return res.stdout;
}

/** A TCP port free on this machine now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = require('node:net').createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The config lines that put a portal's backend on `backendPort` and point
 * `batchJobs.jenkins` (one controller) at a sandbox: for the journey and the
 * adopter apps. The caller adds what else it needs.
 */
function sandboxPortalConfig({ backendPort, jenkins }) {
  const backendUrl = `http://localhost:${backendPort}`;
  return [
    'app:',
    `  baseUrl: ${backendUrl}`,
    'backend:',
    `  baseUrl: ${backendUrl}`,
    '  listen:',
    `    port: ${backendPort}`,
    '  cors:',
    `    origin: ${backendUrl}`,
    'batchJobs:',
    '  jenkins:',
    `    - name: ${jenkins.name}`,
    `      baseUrl: ${jenkins.baseUrl}`,
    '      username: admin',
    `      apiToken: ${jenkins.apiToken}`,
  ];
}

/**
 * Headless Chromium as these machines need it: without the background
 * networking flags it keeps dialling hosts the closed network refuses.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Headless Chromium with one page, as the journey and the adopter smoke
 * drive it: a large viewport, 30 s waits, and the page's errors collected.
 */
async function openBrowserPage(executablePath) {
  // Required here: this file runs before dependencies are installed.
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  page.setDefaultTimeout(30000);
  const pageErrors = [];
  page.on('pageerror', e => pageErrors.push(e.message));
  return { browser, page, pageErrors };
}

module.exports = {
  CHROMIUM_ARGS,
  runOrThrow,
  openBrowserPage,
  freePort,
  sandboxPortalConfig,
  root,
  yarnArgs,
  buildEnv,
  useSupportedNode,
  ensureInstalled,
  run,
  waitForHttp,
};
