#!/usr/bin/env node
/*
 * One backend under test in its own process: ours (@batch-jobs/plugin-batch-jobs-backend)
 * or the community Jenkins backend, each in `startTestBackend` with a mock catalog
 * holding the entity. Reports its port and the auth header to use over IPC.
 *
 *   BENCH_BACKEND='{"kind":"ours"|"community-folder"|"community-leaf","jenkinsUrl":…,"apiToken":…,"jobs":[…]}'
 */
const path = require('node:path');
const { serveParent, fatal } = require('./proc');

const root = path.resolve(__dirname, '../..');
if (process.env.BENCH_BUILT) {
  // As installed from npm: our packages' built `dist` (what publishConfig
  // points at), no TypeScript loader in the process.
  const Module = require('node:module');
  const built = {
    '@batch-jobs/plugin-batch-jobs-backend': 'plugins/batch-jobs-backend',
    '@batch-jobs/plugin-batch-jobs-common': 'plugins/batch-jobs-common',
    '@batch-jobs/plugin-batch-jobs-node': 'plugins/batch-jobs-node',
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveBuilt(request, ...rest) {
    if (built[request])
      return path.join(root, built[request], 'dist/index.cjs.js');
    return resolve.call(this, request, ...rest);
  };
} else {
  // Loads our plugin's TypeScript sources without a build.
  require(require.resolve('@backstage/cli/config/nodeTransform.cjs', {
    paths: [root],
  }));
}

const {
  startTestBackend,
  mockServices,
  mockCredentials,
} = require('@backstage/backend-test-utils');
const {
  catalogServiceMock,
} = require('@backstage/plugin-catalog-node/testUtils');

const SERVICE = 'payments-settlement';
const VPCS = ['DEV', 'STG', 'PROD'];

function entity(annotations) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: SERVICE, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  };
}

let session;
async function profile(stopTo) {
  const inspector = require('node:inspector/promises');
  if (!stopTo) {
    session = new inspector.Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    return {};
  }
  const { profile: taken } = await session.post('Profiler.stop');
  require('node:fs').writeFileSync(stopTo, JSON.stringify(taken));
  session.disconnect();
  return {};
}

async function main() {
  const options = JSON.parse(process.env.BENCH_BACKEND);
  const jenkins = { baseUrl: options.jenkinsUrl, username: 'admin' };
  let features;
  if (options.kind === 'ours') {
    const {
      batchJobsPlugin,
    } = require('@batch-jobs/plugin-batch-jobs-backend');
    features = [
      batchJobsPlugin,
      // Product defaults for everything else (cache TTLs included).
      mockServices.rootConfig.factory({
        data: {
          batchJobs: {
            jenkins: [
              { name: 'sandbox', ...jenkins, apiToken: options.apiToken },
            ],
            vpcs: VPCS.map(name => ({
              name,
              jenkins: 'sandbox',
              folder: name,
            })),
            // The operator's binding that lets the entity's annotation claim the folder's jobs.
            ownership: [
              { entity: `component:default/${SERVICE}`, jobs: [SERVICE] },
            ],
          },
        },
      }),
      catalogServiceMock.factory({
        entities: [entity({ 'batch-jobs.io/jobs': SERVICE })],
      }),
      mockServices.permissions.factory(),
    ];
  } else {
    const communityJenkins =
      require('@backstage-community/plugin-jenkins-backend').default;
    // Best configuration: one folder per VPC, listed with one request each. Leaf: every job named.
    const names =
      options.kind === 'community-folder'
        ? VPCS.map(vpc => `${vpc}/${SERVICE}`)
        : options.jobs;
    features = [
      communityJenkins,
      mockServices.rootConfig.factory({
        data: {
          jenkins: {
            instances: [
              { name: 'default', ...jenkins, apiKey: options.apiToken },
            ],
          },
        },
      }),
      catalogServiceMock.factory({
        entities: [entity({ 'jenkins.io/job-full-name': names.join(',') })],
      }),
      mockServices.permissions.factory(),
    ];
  }
  const backend = await startTestBackend({ features });
  serveParent({
    cpu: async () => process.cpuUsage(),
    // A CPU profile of a window (a diagnostic for probes): start, then stop with the file to write.
    profile: async ({ stopTo }) => profile(stopTo),
    // What stays after a full collection (with --expose-gc): retained, not transient.
    heap: async () => {
      global.gc?.();
      return process.memoryUsage();
    },
  });
  process.on('SIGTERM', () => {
    backend.stop().finally(() => process.exit(0));
  });
  process.send({
    type: 'ready',
    port: backend.server.address().port,
    // One user per viewer or tab (up to 64): our backend caps log streams per user.
    auths: Array.from({ length: 64 }, (_, i) =>
      mockCredentials.user.header(`user:default/viewer-${i + 1}`),
    ),
  });
}

main().catch(fatal);
