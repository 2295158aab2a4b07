#!/usr/bin/env node
/*
 * `npm test`: installs dependencies if needed, type-checks, runs every jest
 * test of the repo once (never in watch mode) and ends with a plain
 * `N passed, N failed` line. Exits non-zero on any failure.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const { ensureInstalled, yarnArgs, buildEnv, root } = require('./lib');

function step(title, args, env = {}) {
  console.log(`\n=== ${title}`);
  const [cmd, a] = yarnArgs(args);
  const res = spawnSync(cmd, a, {
    cwd: root,
    stdio: 'inherit',
    env: buildEnv({ CI: 'true', ...env }),
  });
  return res.status ?? 1;
}

/** True when something accepts TCP connections on host:port. */
function reachable(host, port) {
  return new Promise(resolve => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function main() {
  ensureInstalled();

  let failedChecks = 0;
  // Stores and migrations run on SQLite and on PostgreSQL. .ci/run starts
  // PostgreSQL; on a developer machine without it the PostgreSQL cases are
  // skipped (and said so), in CI its absence is a failure.
  const testEnv = {};
  const pgUrl =
    process.env.BATCH_JOBS_TEST_POSTGRES_URL ||
    'postgresql://postgres@127.0.0.1:5432';
  if (
    await reachable(
      new URL(pgUrl).hostname,
      Number(new URL(pgUrl).port || 5432),
    )
  ) {
    testEnv.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING = pgUrl;
  } else {
    testEnv.BACKSTAGE_TEST_DISABLE_DOCKER = '1';
    if (process.env.CI) {
      console.error(
        `PostgreSQL is not reachable at ${pgUrl}: the PostgreSQL store tests cannot run.`,
      );
      failedChecks += 1;
    } else {
      console.warn(
        `PostgreSQL is not reachable at ${pgUrl}: PostgreSQL store tests are skipped.`,
      );
    }
  }

  if (step('Type check (tsc)', ['tsc']) !== 0) failedChecks += 1;

  const report = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'batch-jobs-test-')),
    'jest.json',
  );
  const jestStatus = step(
    'Tests (jest, every package)',
    [
      'backstage-cli',
      'repo',
      'test',
      '--ci',
      '--json',
      `--outputFile=${report}`,
      ...process.argv.slice(2),
    ],
    testEnv,
  );

  let passed = 0;
  let failed = 0;
  if (fs.existsSync(report)) {
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    passed = r.numPassedTests;
    // A suite that fails to run (syntax error, crash) has no failed test of its own.
    failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  } else {
    failed = 1;
    console.error('jest wrote no report: the test run itself failed.');
  }
  failed += failedChecks;
  if (failedChecks)
    console.error(
      `${failedChecks} check(s) outside jest failed (type check or PostgreSQL), counted as failures.`,
    );

  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || jestStatus !== 0 ? 1 : 0);
}

main();
