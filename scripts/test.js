#!/usr/bin/env node
/*
 * `npm test`: installs dependencies if needed, type-checks, lints, runs
 * every jest test of the repo once (never in watch mode) and ends with a
 * plain `N passed, N failed` line. Exits non-zero on any failure.
 */
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
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

/** Runs a yarn command, streaming its output live and keeping it for parsing. */
function runTee(title, args, env = {}) {
  console.log(`\n=== ${title}`);
  const [cmd, a] = yarnArgs(args);
  const child = spawn(cmd, a, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: buildEnv({ CI: 'true', ...env }),
  });
  let output = '';
  child.stdout.on('data', d => {
    output += d;
    process.stdout.write(d);
  });
  child.stderr.on('data', d => {
    output += d;
    process.stderr.write(d);
  });
  return new Promise(resolve =>
    child.on('close', code => resolve({ status: code ?? 1, output })),
  );
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

/**
 * Runs a script that writes e2e-artifacts/<report> with a list of
 * `{ ok }` items (journey steps, checks); each item counts as a test, and a
 * script that failed without a failed item counts as one failure.
 */
function runReported({ title, args, report, list, broken }) {
  console.log(`\n=== ${title}`);
  const res = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: buildEnv(),
  });
  const file = path.join(root, 'e2e-artifacts', report);
  const items = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, 'utf8'))[list] ?? []
    : [];
  const counted = {
    passed: items.filter(i => i.ok).length,
    failed: items.filter(i => !i.ok).length,
  };
  if (res.status !== 0 && counted.failed === 0) {
    console.error(broken);
    counted.failed += 1;
  }
  return counted;
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

  let passedChecks = 0;
  if (step('Type check (tsc)', ['tsc']) !== 0) failedChecks += 1;
  // ESLint over every package, as the root `lint` script runs it.
  if (step('Lint (backstage-cli repo lint)', ['lint']) !== 0) {
    console.error('Lint failed: run `yarn lint` and fix what it reports.');
    failedChecks += 1;
  } else {
    passedChecks += 1;
  }
  // The public API of each publishable package, as checked in (report.api.md
  // beside its package.json): a change to it must be a visible diff.
  // `yarn api-reports` updates them. Needs the declarations tsc just wrote.
  if (
    step('API reports (backstage-repo-tools api-reports --ci)', [
      'api-reports',
      '--ci',
    ]) !== 0
  ) {
    console.error(
      'An API report differs from the code: run `yarn api-reports` and commit the reports.',
    );
    failedChecks += 1;
  } else {
    passedChecks += 1;
  }

  // Jest's own --json report is unreliable here (it crashes serializing
  // circular errors), so the counts come from its summary, which is streamed
  // through as it runs.
  const jest = await runTee(
    'Tests (jest, every package)',
    ['backstage-cli', 'repo', 'test', '--ci', ...process.argv.slice(2)],
    testEnv,
  );
  const counts = /^Tests:\s+(.*)$/m.exec(jest.output);
  const count = word => {
    const m = counts && new RegExp(`(\\d+) ${word}`).exec(counts[1]);
    return m ? Number(m[1]) : 0;
  };
  let passed = count('passed') + passedChecks;
  // A suite that cannot run (syntax error, crash) has no failed test of its own.
  const brokenSuites = (jest.output.match(/Test suite failed to run/g) || [])
    .length;
  let failed = count('failed') + brokenSuites;
  if (!counts) {
    failed += 1;
    console.error('jest printed no summary: the test run itself failed.');
  }
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  /** Whether a browser step can run; in CI a missing Chromium is a failure. */
  const browserFor = what => {
    if (fs.existsSync(chromium)) return true;
    if (process.env.CI) {
      console.error(`No Chromium at ${chromium}: ${what} cannot run.`);
      failedChecks += 1;
    } else {
      console.warn(
        `No Chromium at ${chromium}: ${what} is skipped (apt-get install -y chromium).`,
      );
    }
    return false;
  };
  const add = counted => {
    passed += counted.passed;
    failed += counted.failed;
  };

  // The browser journey: each of its steps counts as a test.
  if (process.env.BATCH_JOBS_SKIP_E2E) {
    console.warn('BATCH_JOBS_SKIP_E2E is set: the browser journey is skipped.');
  } else if (browserFor('the browser journey')) {
    add(
      runReported({
        title: 'Browser journey (e2e/journey.js in headless Chromium)',
        args: ['scripts/e2e.js'],
        report: 'journey.json',
        list: 'steps',
        broken: 'The browser journey could not start (see above).',
      }),
    );
  }

  // The publishable packages: packed to tarballs, installed outside the
  // workspace and loaded (scripts/pack.js); each of its checks counts as a test.
  add(
    runReported({
      title: 'Publishable packages (scripts/pack.js --verify)',
      args: ['scripts/pack.js', '--verify'],
      report: 'packages.json',
      list: 'checks',
      broken: 'Packing the publishable packages failed (see above).',
    }),
  );

  // An adopter's two apps (new frontend system and legacy), made fresh with
  // create-app, wired from the plugin READMEs, installed from the tarballs
  // packed above, built and smoke-tested in a browser (scripts/adopter-smoke.js);
  // each of its checks counts as a test.
  if (process.env.BATCH_JOBS_SKIP_ADOPTER) {
    console.warn(
      'BATCH_JOBS_SKIP_ADOPTER is set: the adopter smoke is skipped.',
    );
  } else if (browserFor('the adopter smoke')) {
    const started = Date.now();
    add(
      runReported({
        title: 'Adopter apps (scripts/adopter-smoke.js)',
        args: ['scripts/adopter-smoke.js', '--skip-pack'],
        report: 'adopter.json',
        list: 'checks',
        broken: 'The adopter smoke failed before its checks (see above).',
      }),
    );
    console.log(
      `Adopter smoke: ${Math.round((Date.now() - started) / 1000)} s`,
    );
  }

  failed += failedChecks;
  if (failedChecks)
    console.error(
      `${failedChecks} check(s) outside jest failed (type check, lint, API reports, PostgreSQL or Chromium), counted as failures.`,
    );

  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || jest.status !== 0 ? 1 : 0);
}

main();
