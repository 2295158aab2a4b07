#!/usr/bin/env node
/*
 * Runs the sandbox on its own:
 *   node packages/sandbox/bin/sandbox.js [--port 8080] [--aws-port 4566] [--seed 42] [--host 127.0.0.1] [--nodes 0]
 * Jenkins on --port, the AWS endpoint (EC2 Query API + S3, any access key) on --aws-port.
 * --nodes N (or SANDBOX_EXTRA_NODES) adds N online EC2 batch agents, spread over DEV/STG/PROD, for
 * measuring the fleet page (bench/fleet-page.js); they have no EC2 instance behind them.
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
