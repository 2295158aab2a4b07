/*
 * Helpers shared by the root scripts. They run before dependencies exist, so
 * only Node built-ins are used here.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const yarnRelease = path.join(root, '.yarn', 'releases', 'yarn-4.13.0.cjs');

/** Runs the committed yarn release; a fresh machine has no yarn on the PATH. */
function yarnArgs(args) {
  return [process.execPath, [yarnRelease, ...args]];
}

function buildEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // Native modules (better-sqlite3) build against Node's local headers:
  // nodejs.org is unreachable from our machines.
  if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node.h')) {
    env.npm_config_nodedir = '/usr';
  }
  return env;
}

/** Installs dependencies when node_modules is missing or older than the lockfile. */
function ensureInstalled() {
  const state = path.join(root, 'node_modules', '.yarn-state.yml');
  const lock = path.join(root, 'yarn.lock');
  if (
    fs.existsSync(state) &&
    fs.statSync(state).mtimeMs >= fs.statSync(lock).mtimeMs
  ) {
    return;
  }
  console.log('Installing dependencies (yarn 4, committed in .yarn/releases)…');
  const [cmd, args] = yarnArgs(
    process.env.CI ? ['install', '--immutable'] : ['install'],
  );
  const res = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: buildEnv(),
  });
  if (res.status !== 0) {
    console.error('Dependency installation failed (see the output above).');
    process.exit(res.status ?? 1);
  }
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

module.exports = {
  root,
  yarnArgs,
  buildEnv,
  ensureInstalled,
  run,
  waitForHttp,
};
