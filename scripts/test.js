#!/usr/bin/env node
/*
 * `npm test`: installs dependencies if needed, type-checks, runs every jest
 * test of the repo once (never in watch mode) and ends with a plain
 * `N passed, N failed` line. Exits non-zero on any failure.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureInstalled, yarnArgs, buildEnv, root } = require('./lib');

function step(title, args, env = {}) {
  console.log(`\n=== ${title}`);
  const [cmd, a] = yarnArgs(args);
  const res = spawnSync(cmd, a, { cwd: root, stdio: 'inherit', env: buildEnv({ CI: 'true', ...env }) });
  return res.status ?? 1;
}

ensureInstalled();

let failedChecks = 0;
if (step('Type check (tsc)', ['tsc']) !== 0) failedChecks += 1;

const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'batch-jobs-test-')), 'jest.json');
const jestStatus = step('Tests (jest, every package)', [
  'backstage-cli',
  'repo',
  'test',
  '--ci',
  '--json',
  `--outputFile=${report}`,
  ...process.argv.slice(2),
]);

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
if (failedChecks) console.error('The type check failed (counted as one failure).');

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || jestStatus !== 0 ? 1 : 0);
