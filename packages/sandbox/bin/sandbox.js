#!/usr/bin/env node
/*
 * Runs the sandbox on its own:
 *   node packages/sandbox/bin/sandbox.js [--port 8080] [--aws-port 4566] [--seed 42] [--host 127.0.0.1] [--nodes 0]
 * Jenkins on --port, the AWS endpoint (EC2 Query API + S3, any access key) on --aws-port.
 * --nodes N (or SANDBOX_EXTRA_NODES) adds N online EC2 batch agents, spread over DEV/STG/PROD, for
 * measuring the fleet page (bench/fleet-page.js); they have no EC2 instance behind them.
 * --log-mb N (or SANDBOX_BIG_LOG_MB) gives DEV daily-settlement-report's last finished build an N MB
 * log, and DEV-worker's running build a live log whose every line (5 a second) starts with the epoch ms
 * it appears at, for measuring the log view (bench/log-page.js); it prints `Big logs: {json}`.
 * The TypeScript sources are loaded through Backstage's node transform, so no build step is needed.
 */
const { parseArgs } = require('node:util');

require('@backstage/cli/config/nodeTransform.cjs');

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.SANDBOX_PORT ?? '8080' },
    'aws-port': { type: 'string', default: process.env.SANDBOX_AWS_PORT ?? '4566' },
    host: { type: 'string', default: process.env.SANDBOX_HOST ?? '127.0.0.1' },
    seed: { type: 'string', default: process.env.SANDBOX_SEED ?? '42' },
    nodes: { type: 'string', default: process.env.SANDBOX_EXTRA_NODES ?? '0' },
    'log-mb': { type: 'string', default: process.env.SANDBOX_BIG_LOG_MB ?? '0' },
  },
});

const extraNodes = Number(values.nodes);
if (!Number.isInteger(extraNodes) || extraNodes < 0) {
  console.error(`--nodes must be a whole number >= 0, not '${values.nodes}'`);
  process.exit(2);
}

/** Copies of a seeded batch agent, like bench/run.js adds them. */
function addExtraNodes(world, count) {
  const vpcs = ['DEV', 'STG', 'PROD'];
  const template = world.nodes.find(n => !n.builtIn && n.labels.includes('DEV-batch-agent'));
  for (let i = 0; i < count; i++) {
    const vpc = vpcs[i % vpcs.length];
    world.addNode({
      ...template,
      name: `i-0bench${String(i).padStart(12, '0')}-EC2-AGENT`,
      labels: [`${vpc}-batch-agent`],
      executors: new Array(template.numExecutors).fill(null),
      description: `${vpc} batch agent (EC2)`,
    });
  }
}

const logMb = Number(values['log-mb']);
if (!Number.isFinite(logMb) || logMb < 0) {
  console.error(`--log-mb must be a number >= 0, not '${values['log-mb']}'`);
  process.exit(2);
}

/** A huge finished log and a live one whose lines carry the time they appear. */
function addBigLogs(world, mb) {
  const { BuildLog } = require('../src/world/logs');
  const finishedJob = world.item('DEV/payments-settlement/daily-settlement-report');
  const finished = finishedJob.builds.filter(b => b.result !== null).slice(-1)[0];
  const line = i => `${String(i).padStart(10, '0')} [batch] processed settlement record batch with checksum 0123456789abcdef ok`;
  const lines = Math.floor((mb * 1024 * 1024) / (Buffer.byteLength(line(0)) + 1));
  finished.log = new BuildLog().repeat(world.now() - lines - 60_000, 1, lines, line);
  const worker = world.item('DEV/push-notifier/DEV-worker');
  const running = worker.builds.filter(b => b.result === null).slice(-1)[0];
  if (running) {
    running.log = new BuildLog().repeat(world.now() - 60_000, 200, Infinity, (i, time) =>
      `${time} live line ${String(i).padStart(9, '0')}`,
    );
  }
  return {
    finished: {
      job: finishedJob.fullName,
      number: finished.number,
      bytes: finished.log.length(world.now()),
      lastLine: line(lines - 1),
    },
    running: running && { job: worker.fullName, number: running.number },
  };
}

const { startSandbox } = require('../src/index.ts');

startSandbox({
  port: Number(values.port),
  awsPort: Number(values['aws-port']),
  host: values.host,
  seed: Number(values.seed),
  clock: 'real',
})
  .then(sandbox => {
    if (extraNodes > 0) {
      addExtraNodes(sandbox.world, extraNodes);
      console.log(`Added ${extraNodes} extra batch agents (${sandbox.world.nodes.length} nodes in all)`);
    }
    if (logMb > 0) {
      console.log(`Big logs: ${JSON.stringify(addBigLogs(sandbox.world, logMb))}`);
    }
    const { username, apiToken, password } = sandbox.credentials;
    console.log(`Jenkins sandbox listening on ${sandbox.jenkinsUrl}`);
    console.log(`  user ${username}, API token ${apiToken}, password ${password}`);
    console.log(`  try: curl -u ${username}:${apiToken} '${sandbox.jenkinsUrl}/api/json?pretty=true'`);
    console.log(`AWS sandbox (EC2 + S3) listening on ${sandbox.awsUrl}; any access key and secret are accepted`);
    console.log(`  try: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --region us-east-1 --endpoint-url ${sandbox.awsUrl} ec2 describe-instances`);
    const stop = () => {
      sandbox.close().then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })
  .catch(error => {
    console.error(`Could not start the sandbox: ${error.message}`);
    process.exit(1);
  });
