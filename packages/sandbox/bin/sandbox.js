#!/usr/bin/env node
/*
 * Runs the sandbox on its own:
 *   node packages/sandbox/bin/sandbox.js [--port 8080] [--aws-port 4566] [--seed 42] [--host 127.0.0.1]
 * Jenkins on --port, the AWS endpoint (EC2 Query API + S3, any access key) on --aws-port.
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
  },
});

const { startSandbox } = require('../src/index.ts');

startSandbox({
  port: Number(values.port),
  awsPort: Number(values['aws-port']),
  host: values.host,
  seed: Number(values.seed),
  clock: 'real',
})
  .then(sandbox => {
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
