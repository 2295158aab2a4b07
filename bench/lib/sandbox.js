#!/usr/bin/env node
/*
 * The sandbox Jenkins in its own process, on a manual clock (a frozen world,
 * so every repetition reads the same data), with one build of the entity
 * running: DEV/payments-settlement/migrate-ledger (a pipeline without a
 * timer), started two minutes before "now" and planned to run for hours.
 * `tick` makes the clock follow real time (logs grow, timers fire): the
 * steady-state runs use it.
 *
 *   BENCH_SANDBOX='{"jobsPerService":20,"buildsPerJob":[500,500]}'
 */
const path = require('node:path');
const { serveParent, fatal } = require('./proc');

const root = path.resolve(__dirname, '../..');
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', {
  paths: [root],
}));
const { startSandbox } = require('@internal/batch-jobs-sandbox');
const {
  defaultParams,
} = require('@internal/batch-jobs-sandbox/src/world/world');

const SERVICE = 'payments-settlement';
const RUNNING_JOB = `DEV/${SERVICE}/migrate-ledger`;

async function main() {
  const options = JSON.parse(process.env.BENCH_SANDBOX ?? '{}');
  const sandbox = await startSandbox({
    port: 0,
    awsPort: 0,
    clock: 'manual',
    startTime: Date.UTC(2026, 10, 2, 9, 0),
    jobsPerService: options.jobsPerService,
    buildsPerJob: options.buildsPerJob,
  });
  const world = sandbox.world;
  const jobs = [...world.jobs()].filter(
    j => j.fullName.split('/')[1] === SERVICE,
  );

  // The running build, put on a free DEV agent executor like the seeded running builds.
  const job = world.item(RUNNING_JOB);
  const now = world.now();
  const agent = world.nodes.find(
    n =>
      n.labels.includes('DEV-batch-agent') &&
      !n.offline &&
      n.executors.includes(null),
  );
  const started = now - 2 * 60_000;
  const build = {
    job,
    number: job.nextBuildNumber++,
    queueId: 9_000_000,
    causes: [{ kind: 'user', userId: 'jane.doe', userName: 'Jane Doe' }],
    params: defaultParams(job),
    timestamp: started,
    agentAt: started + 600,
    workMs: 12 * 3600_000,
    plannedResult: 'SUCCESS',
    result: null,
    completedAt: null,
    builtOn: agent?.name ?? null,
    log: null,
    abortedBy: null,
    bigLog: false,
    queuedAt: started - 5000,
  };
  const previous = job.builds[job.builds.length - 1];
  if (previous && previous.result === null)
    throw new Error(`${RUNNING_JOB} already runs a build`);
  job.builds.push(build);
  if (agent) agent.executors[agent.executors.indexOf(null)] = build;

  let ticker;
  serveParent({
    async tick() {
      if (ticker) return world.now();
      let last = Date.now();
      ticker = setInterval(() => {
        const t = Date.now();
        sandbox.advance(t - last);
        last = t;
      }, 500);
      return world.now();
    },
    async logSize() {
      return world.logOf(build).size?.() ?? null;
    },
  });
  process.on('SIGTERM', () => {
    clearInterval(ticker);
    sandbox.close().finally(() => process.exit(0));
  });
  process.send({
    type: 'ready',
    url: sandbox.jenkinsUrl,
    apiToken: sandbox.credentials.apiToken,
    jobs: jobs.map(j => j.fullName),
    builds: [
      Math.min(...jobs.map(j => j.builds.length)),
      Math.max(...jobs.map(j => j.builds.length)),
    ],
    running: { vpc: 'DEV', job: RUNNING_JOB, number: build.number },
  });
}

main().catch(fatal);
