#!/usr/bin/env node
/*
 * `npm start`: installs dependencies if needed, starts the sandbox (a local
 * Jenkins/EC2/S3-compatible server on :8080) and then the portal
 * (frontend :3000 + backend :7007).
 *
 *   --backend-only   backend + sandbox, no frontend dev server
 *   --no-sandbox     point at the Jenkins/AWS named in the config instead
 *
 * Config: app-config.yaml, then app-config.development.yaml (the demo:
 * guest sign-in, sandbox, demo grants) through BACKSTAGE_ENV, then
 * app-config.local.yaml if present.
 */
const { ensureInstalled, run, yarnArgs, waitForHttp } = require('./lib');

async function main() {
  const argv = process.argv.slice(2);
  const backendOnly = argv.includes('--backend-only');
  const withSandbox = !argv.includes('--no-sandbox');
  ensureInstalled();

  const children = [];
  const stopAll = code => {
    for (const c of children) c.kill('SIGTERM');
    process.exit(code);
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  if (withSandbox) {
    const port = process.env.SANDBOX_PORT || '8080';
    const awsPort = process.env.SANDBOX_AWS_PORT || '4566';
    const sandbox = run(process.execPath, [
      'packages/sandbox/bin/sandbox.js',
      '--port',
      port,
      '--aws-port',
      awsPort,
    ]);
    children.push(sandbox);
    sandbox.on('exit', code => {
      console.error(`The sandbox stopped (exit ${code}).`);
      stopAll(code ?? 1);
    });
    await waitForHttp(`http://localhost:${port}/__sandbox/health`);
  }

  const [cmd, args] = backendOnly
    ? yarnArgs(['workspace', 'backend', 'start'])
    : yarnArgs(['backstage-cli', 'repo', 'start']);
  // Without --config, Backstage loads app-config.yaml, then
  // app-config.<BACKSTAGE_ENV>.yaml, then app-config.local.yaml.
  const portal = run(cmd, args, {
    env: { BACKSTAGE_ENV: process.env.BACKSTAGE_ENV || 'development' },
  });
  children.push(portal);
  portal.on('exit', code => stopAll(code ?? 0));
}

main().catch(e => {
  console.error(e.message);
  process.exit(1);
});
