#!/usr/bin/env node
/*
 * `npm run e2e`: the browser journey against the real portal. Builds the app
 * once, starts the sandbox and the backend (which serves the built app) on
 * free ports, with no file watching so nothing restarts mid-journey, then
 * runs e2e/journey.js in headless Chromium. Screenshots land in
 * e2e-artifacts/ (CI keeps them as artifacts).
 *
 *   --skip-build   reuse packages/app/dist from an earlier run
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const {
  ensureInstalled,
  freePort,
  sandboxPortalConfig,
  yarnArgs,
  buildEnv,
  root,
  waitForHttp,
} = require('./lib');

function startProcess(name, cmd, args, opts) {
  const logFile = path.join(opts.logDir, `${name}.log`);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? root,
    env: buildEnv(opts.env),
    stdio: ['ignore', log, log],
  });
  child.logFile = logFile;
  return child;
}

async function waitForCatalog(backendUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const tokenRes = await fetch(
        `${backendUrl}/api/auth/guest/refresh?env=development`,
        {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        },
      );
      const token = (await tokenRes.json()).backstageIdentity.token;
      const res = await fetch(
        `${backendUrl}/api/catalog/entities/by-name/component/default/payments-settlement`,
        { headers: { Authorization: `Bearer ${token}` } },
      );
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error('the catalog did not load the example entities in time');
    await new Promise(r => setTimeout(r, 1000));
  }
}

/**
 * Starts the sandbox (with `extraNodes` more agents) and the backend serving
 * the built app, on free ports, with `extraConfig` lines under `batchJobs`.
 * Also used by bench/fleet-page.js.
 */
async function startPortal({ extraNodes = 0, extraConfig = [] } = {}) {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-jobs-e2e-'));
  const [sandboxPort, awsPort, backendPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const backendUrl = `http://localhost:${backendPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const override = path.join(logDir, 'app-config.e2e.yaml');
  fs.writeFileSync(
    override,
    [
      ...sandboxPortalConfig({
        backendPort,
        jenkins: {
          name: 'sandbox',
          baseUrl: sandboxUrl,
          apiToken: 'sandbox-token',
        },
      }),
      ...extraConfig,
      '',
    ].join('\n'),
  );

  const children = [];
  const stop = () =>
    children.forEach(c => c.exitCode === null && c.kill('SIGTERM'));
  const dumpLogs = () => {
    for (const c of children) {
      console.error(`--- last lines of ${c.logFile}`);
      console.error(
        fs.readFileSync(c.logFile, 'utf8').split('\n').slice(-30).join('\n'),
      );
    }
  };
  process.on('exit', stop);
  try {
    const sandbox = startProcess(
      'sandbox',
      process.execPath,
      [
        'packages/sandbox/bin/sandbox.js',
        '--port',
        String(sandboxPort),
        '--nodes',
        String(extraNodes),
      ],
      {
        logDir,
        env: { SANDBOX_AWS_PORT: String(awsPort) },
      },
    );
    children.push(sandbox);
    await waitForHttp(`${sandboxUrl}/__sandbox/health`, 60000);

    const backend = startProcess(
      'backend',
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs', {
          paths: [root],
        }),
        'src/index.ts',
        '--config',
        '../../app-config.yaml',
        // The demo: guest sign-in, sandbox, demo grants and ownership.
        '--config',
        '../../app-config.development.yaml',
        '--config',
        override,
      ],
      {
        logDir,
        cwd: path.join(root, 'packages/backend'),
        env: {
          NODE_ENV: 'development',
          AWS_ENDPOINT_URL: `http://127.0.0.1:${awsPort}`,
        },
      },
    );
    children.push(backend);
    await waitForHttp(`${backendUrl}/api/batch-jobs/health`, 180000);
    await waitForCatalog(backendUrl, 120000);
  } catch (e) {
    dumpLogs();
    stop();
    throw e;
  }
  const awsUrl = `http://127.0.0.1:${awsPort}`;
  // The processes' ids, for benchmarks that read their memory from /proc.
  const pids = { sandbox: children[0].pid, backend: children[1].pid };
  return { backendUrl, sandboxUrl, awsUrl, logDir, stop, dumpLogs, pids };
}

/** Builds packages/app/dist unless `skipBuild` and it exists; checks Chromium. */
function prepare(skipBuild) {
  ensureInstalled();
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) {
    console.error(
      `No Chromium at ${chromium}: install it with 'apt-get install -y chromium' (or set CHROMIUM_PATH).`,
    );
    process.exit(2);
  }
  if (
    !skipBuild ||
    !fs.existsSync(path.join(root, 'packages/app/dist/index.html'))
  ) {
    console.log('Building the app (served by the backend)…');
    const [cmd, args] = yarnArgs(['workspace', 'app', 'build']);
    const res = spawnSync(cmd, args, {
      cwd: root,
      stdio: 'inherit',
      env: buildEnv(),
    });
    if (res.status !== 0) process.exit(res.status ?? 1);
  }
}

/**
 * For the journey's outage step (issue 19): a probe every 5 s records a short
 * outage, and a look-back shorter than the grace leaves every run outside an
 * outage unjudged (runs inside one are judged at once), so the missed runs
 * shown are exactly the outage's, not the hours before the journey created
 * its jobs.
 */
const JOURNEY_MISSED_RUNS = [
  '  missedRuns:',
  '    pollIntervalSeconds: 5',
  '    graceMinutes: 20',
  '    lookbackHours: 0.25',
];

async function main() {
  prepare(process.argv.includes('--skip-build'));
  fs.rmSync(path.join(root, 'e2e-artifacts', 'journey.json'), { force: true });
  let portal;
  try {
    portal = await startPortal({ extraConfig: JOURNEY_MISSED_RUNS });
  } catch (e) {
    console.error(`e2e set-up failed: ${e.message}`);
    process.exit(1);
  }
  const journey = spawnSync(
    process.execPath,
    [
      'e2e/journey.js',
      '--base',
      portal.backendUrl,
      '--sandbox',
      portal.sandboxUrl,
      '--sandbox-aws',
      portal.awsUrl,
      '--out',
      'e2e-artifacts',
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: buildEnv(),
    },
  );
  const status = journey.status ?? 1;
  if (status !== 0) portal.dumpLogs();
  portal.stop();
  process.exit(status);
}

module.exports = { startPortal, prepare };

if (require.main === module) main();
