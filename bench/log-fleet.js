#!/usr/bin/env node
/*
 * The big-log and fleet-API figures of issue 8 (the page-view comparison moved
 * to bench/run.js, issue 17): a console log of BENCH_LOG_MB read from offset 0
 * through each backend, and GET /fleet with BENCH_NODES extra Jenkins nodes.
 * Everything in this one process (RSS growth is an upper bound). Prints
 * tables; asserts nothing.
 *
 *   node bench/log-fleet.js
 *   BENCH_LOG_MB=1024 BENCH_NODES=1000 BENCH_COMMUNITY_LOG_MB=100 node bench/log-fleet.js
 */
const path = require('node:path');
const http = require('node:http');

// Loads the TypeScript sources (sandbox, our plugin) without a build.
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', {
  paths: [path.resolve(__dirname, '..')],
}));

const { startSandbox } = require('@internal/batch-jobs-sandbox');
const { BuildLog } = require('@internal/batch-jobs-sandbox/src/world/logs');
const {
  startTestBackend,
  mockServices,
  mockCredentials,
} = require('@backstage/backend-test-utils');
const {
  catalogServiceMock,
} = require('@backstage/plugin-catalog-node/testUtils');
const { batchJobsPlugin } = require('@batch-jobs/plugin-batch-jobs-backend');
const communityJenkins =
  require('@backstage-community/plugin-jenkins-backend').default;

const LOG_MB = Number(process.env.BENCH_LOG_MB ?? 1024);
const NODES = Number(process.env.BENCH_NODES ?? 1000);
const COMMUNITY_LOG_MB = Number(process.env.BENCH_COMMUNITY_LOG_MB ?? 100);
const JOBS_PER_SERVICE = 20;
const BUILDS = 50;
const SERVICE = 'payments-settlement';
const VPCS = ['DEV', 'STG', 'PROD'];
const AUTH = mockCredentials.user.header('user:default/jane');

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        headers: { Authorization: AUTH },
      },
      res => {
        let bytes = 0;
        let ttfb;
        res.on('data', chunk => {
          if (ttfb === undefined)
            ttfb = Number(process.hrtime.bigint() - started) / 1e6;
          bytes += chunk.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            bytes,
            ttfb,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

const fmt = n =>
  typeof n === 'number'
    ? Number.isInteger(n)
      ? String(n)
      : n.toFixed(1)
    : String(n);
function table(title, rows) {
  const columns = Object.keys(rows[0]);
  const widths = columns.map(c =>
    Math.max(c.length, ...rows.map(r => fmt(r[c]).length)),
  );
  console.log(`\n${title}`);
  console.log(columns.map((c, i) => c.padEnd(widths[i])).join(' | '));
  console.log(widths.map(w => '-'.repeat(w)).join('-|-'));
  for (const r of rows)
    console.log(columns.map((c, i) => fmt(r[c]).padEnd(widths[i])).join(' | '));
}

function entity(annotations) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: SERVICE, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  };
}

async function main() {
  const t0 = Date.now();
  const sandbox = await startSandbox({
    port: 0,
    awsPort: 0,
    clock: 'manual',
    startTime: Date.UTC(2026, 10, 2, 9, 0),
    jobsPerService: JOBS_PER_SERVICE,
    buildsPerJob: [BUILDS, BUILDS],
  });
  const world = sandbox.world;
  const jobs = world.jobs
    ? [...world.jobs()].filter(j => j.fullName.split('/')[1] === SERVICE)
    : VPCS.flatMap(vpc => world.item(`${vpc}/${SERVICE}`).children);
  console.log(
    `Sandbox: ${jobs.length} jobs of ${SERVICE} in ${VPCS.length} VPCs, ` +
      `${Math.min(...jobs.map(j => j.builds.length))}-${Math.max(
        ...jobs.map(j => j.builds.length),
      )} builds each ` +
      `(seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const jenkins = { baseUrl: sandbox.jenkinsUrl, username: 'admin' };
  const ours = await startTestBackend({
    features: [
      batchJobsPlugin,
      mockServices.rootConfig.factory({
        data: {
          batchJobs: {
            jenkins: [
              {
                name: 'sandbox',
                ...jenkins,
                apiToken: sandbox.credentials.apiToken,
              },
            ],
            vpcs: VPCS.map(name => ({
              name,
              jenkins: 'sandbox',
              folder: name,
            })),
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
    ],
  });
  const community = await startTestBackend({
    features: [
      communityJenkins,
      mockServices.rootConfig.factory({
        data: {
          jenkins: {
            instances: [
              {
                name: 'default',
                ...jenkins,
                apiKey: sandbox.credentials.apiToken,
              },
            ],
          },
        },
      }),
      catalogServiceMock.factory({
        entities: [
          entity({
            'jenkins.io/job-full-name': jobs.map(j => j.fullName).join(','),
          }),
        ],
      }),
      mockServices.permissions.factory(),
    ],
  });
  const ourPort = ours.server.address().port;
  const communityPort = community.server.address().port;

  // --- a 1 GB log --------------------------------------------------------
  const logJob = jobs.find(
    j => j.fullName === `DEV/${SERVICE}/daily-settlement-report`,
  );
  const build = logJob.builds.filter(b => b.result !== null).slice(-1)[0];
  const line = i =>
    `${String(i).padStart(
      10,
      '0',
    )} [batch] processed settlement record batch with checksum 0123456789abcdef ok`;
  const width = Buffer.byteLength(line(0)) + 1;
  const lines = Math.floor((LOG_MB * 1024 * 1024) / width);
  const now = world.now();
  build.log = new BuildLog().repeat(now - lines - 60_000, 1, lines, line);
  const logRows = [];
  for (const [backend, port, url] of [
    [
      'ours',
      ourPort,
      `/api/batch-jobs/builds/log?vpc=DEV&job=${encodeURIComponent(
        logJob.fullName,
      )}&number=${build.number}&start=0`,
    ],
    [
      'community',
      communityPort,
      `/api/jenkins/v1/entity/default/component/${SERVICE}/job/${encodeURIComponent(
        logJob.fullName,
      )}/${build.number}/consoleText`,
    ],
  ]) {
    if (backend === 'community') {
      // It reads the whole log into memory before answering: a smaller log keeps the process alive.
      const mb = Math.min(LOG_MB, COMMUNITY_LOG_MB);
      const n = Math.floor((mb * 1024 * 1024) / width);
      build.log = new BuildLog().repeat(now - n - 60_000, 1, n, line);
    }
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    let res;
    try {
      res = await get(port, url);
    } catch (error) {
      res = {
        status: String(error.code ?? error.message),
        bytes: 0,
        ms: NaN,
        ttfb: NaN,
      };
    }
    clearInterval(sampler);
    logRows.push({
      backend,
      status: res.status,
      MB: Math.round(res.bytes / 1024 / 1024),
      ttfbMs: res.ttfb ?? NaN,
      seconds: res.ms / 1000,
      'MB/s': res.bytes / 1024 / 1024 / (res.ms / 1000),
      rssGrowthMB: Math.round((peak - rssBefore) / 1024 / 1024),
    });
  }
  table(
    `A ${LOG_MB} MB console log (the community backend: ${Math.min(
      LOG_MB,
      COMMUNITY_LOG_MB,
    )} MB; one process holds sandbox and backend: RSS growth is an upper bound)`,
    logRows,
  );

  // --- the fleet with 1 000 nodes -------------------------------------
  const template = world.nodes.find(
    n => !n.builtIn && n.labels.includes('DEV-batch-agent'),
  );
  for (let i = 0; i < NODES; i++) {
    const vpc = VPCS[i % 3];
    world.addNode({
      ...template,
      name: `i-0bench${String(i).padStart(12, '0')}-EC2-AGENT`,
      labels: [`${vpc}-batch-agent`],
      executors: new Array(template.numExecutors).fill(null),
      description: `${vpc} batch agent (EC2)`,
    });
  }
  const fleetMark = sandbox.requests.length;
  const fleetBytes = sandbox.bytesSent();
  const fleet = [];
  let agents = 0;
  for (let i = 0; i < 10; i++) {
    const started = Date.now();
    const res = await get(ourPort, '/api/batch-jobs/fleet');
    fleet.push(Date.now() - started);
    if (i === 0 && res.status !== 200) console.log(`fleet: HTTP ${res.status}`);
  }
  const body = await new Promise(resolve =>
    http.get(
      {
        host: '127.0.0.1',
        port: ourPort,
        path: '/api/batch-jobs/fleet',
        headers: { Authorization: AUTH },
      },
      r => {
        let text = '';
        r.on('data', c => (text += c));
        r.on('end', () => resolve(JSON.parse(text)));
      },
    ),
  );
  agents = body.vpcs.reduce((n, v) => n + v.agents.length, 0);
  table(`GET /fleet with ${world.nodes.length} Jenkins nodes (10 calls)`, [
    {
      agentsShown: agents,
      p50Ms: percentile(fleet, 50),
      maxMs: Math.max(...fleet),
      jenkinsRequestsPerCall: (sandbox.requests.length - fleetMark - 1) / 10,
      jenkinsKBPerCall: Math.round(
        (sandbox.bytesSent() - fleetBytes) / 11 / 1024,
      ),
    },
  ]);

  console.log(`\nTotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  await Promise.all([ours.stop(), community.stop()]);
  await sandbox.close();
  process.exit(0);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
