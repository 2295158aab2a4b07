#!/usr/bin/env node
/*
 * The load generator, in its own process: viewers (page views with arrivals
 * spread and think time between a viewer's views) and open tabs (each
 * frontend's own polling, emulated request for request).
 */
const http = require('node:http');
const { serveParent, fatal } = require('./proc');

// Idle sockets close after 4 s, before the backend's server drops them (Node's 5 s keep-alive timeout).
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: Infinity,
  timeout: 4000,
});
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const uniform = ([min, max]) => min + Math.random() * (max - min);

/** One GET, the whole body read; latency until the last byte. */
function get(base, auth, path) {
  return new Promise(resolve => {
    const started = process.hrtime.bigint();
    const req = http.get(
      `${base}${path}`,
      {
        agent,
        headers: { Authorization: auth, 'Accept-Encoding': 'identity' },
      },
      res => {
        const chunks = [];
        res.on('data', chunk => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
        res.on('error', error =>
          resolve({
            status: String(error.code ?? error.message),
            headers: {},
            body: Buffer.alloc(0),
            ms: NaN,
          }),
        );
      },
    );
    req.on('error', error =>
      resolve({
        status: String(error.code ?? error.message),
        headers: {},
        body: Buffer.alloc(0),
        ms: NaN,
      }),
    );
  });
}

/** `viewers` viewers arriving uniformly over `arrivalMs`, each viewing `views` times with think time between. */
async function views({
  base,
  auths,
  paths,
  viewers,
  viewsPerViewer,
  arrivalMs,
  thinkMs,
}) {
  const latencies = [];
  const failures = {};
  await Promise.all(
    Array.from({ length: viewers }, async (_, v) => {
      await sleep(Math.random() * arrivalMs);
      for (let i = 0; i < viewsPerViewer; i++) {
        if (i > 0) await sleep(uniform(thinkMs));
        const res = await get(
          base,
          auths[v % auths.length],
          paths[(v + i) % paths.length],
        );
        if (res.status === 200) latencies.push(res.ms);
        else failures[res.status] = (failures[res.status] ?? 0) + 1;
      }
    }),
  );
  return { latencies, failures };
}

/** Runs `fn` every `delay(result)` ms after each answer (never overlapping), until `deadline`. */
async function poll(deadline, fn, delay) {
  while (Date.now() < deadline) {
    const result = await fn();
    const next = delay(result);
    if (next === null) return;
    await sleep(Math.min(next, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Our frontend, per tab kind (plugins/batch-jobs/src):
 * - jobs: useEntityJobs (15 s, 5 s while a build of the entity runs) and useMissedRuns of the shown VPC (60 s);
 * - build: JobView of the running build: useBuilds (25 newest, 5 s while one runs, else 30 s),
 *   BuildStages (once), LogViewer's useLogFollower (the last 256 KiB, then every 1 s from X-Text-End while X-More-Data);
 * - fleet: BatchFleetPage: useFleet (5 s), each VPC's refresh panel (5 s) when the fleet shows images,
 *   ApprovalsList (10 s).
 */
function ourTab(kind, ctx, deadline) {
  const { call, entityPath, entityRef, running, intervals } = ctx;
  const q = new URLSearchParams({ vpc: running.vpc, job: running.job });
  if (kind === 'jobs') {
    return Promise.all([
      poll(
        deadline,
        () => call(`/api/batch-jobs/entity/${entityPath}/jobs`),
        res => {
          let anyRunning = false;
          try {
            anyRunning = JSON.parse(res.body).vpcs.some(v =>
              v.jobs.some(j => j.lastBuild?.building),
            );
          } catch {
            // A failed refresh keeps the slow interval.
          }
          return anyRunning ? intervals.running : intervals.jobs;
        },
      ),
      poll(
        deadline,
        () =>
          call(
            `/api/batch-jobs/vpcs/DEV/missed-runs?entityRef=${encodeURIComponent(
              entityRef,
            )}`,
          ),
        () => 60_000,
      ),
    ]);
  }
  if (kind === 'build') {
    // useLogFollower: opens at the last 256 KiB, then follows from X-Text-End.
    let offset;
    return Promise.all([
      poll(
        deadline,
        () => call(`/api/batch-jobs/builds?${q}&limit=25`),
        res => {
          let anyRunning = false;
          try {
            anyRunning = JSON.parse(res.body).items.some(b => b.building);
          } catch {
            // as above
          }
          return anyRunning ? intervals.running : intervals.builds;
        },
      ),
      call(`/api/batch-jobs/builds/stages?${q}&number=${running.number}`),
      poll(
        deadline,
        () =>
          call(
            offset === undefined
              ? `/api/batch-jobs/builds/log?${q}&number=${running.number}&tail=262144`
              : `/api/batch-jobs/builds/log?${q}&number=${running.number}&start=${offset}&limit=1048576`,
          ),
        res => {
          if (res.status !== 200) return null;
          const end = Number(res.headers['x-text-end']);
          const size = Number(res.headers['x-text-size']);
          const from = offset ?? 0;
          offset = Number.isFinite(end)
            ? end
            : Number.isFinite(size)
            ? size
            : from + res.body.length;
          return String(res.headers['x-more-data']).toLowerCase() === 'true'
            ? intervals.log
            : null;
        },
      ),
    ]);
  }
  // fleet
  let vpcs = [];
  return Promise.all([
    poll(
      deadline,
      async () => {
        const res = await call('/api/batch-jobs/fleet?');
        try {
          vpcs = JSON.parse(res.body)
            .vpcs.filter(v => v.images)
            .map(v => v.vpc);
        } catch {
          vpcs = [];
        }
        return res;
      },
      () => 5000,
    ),
    poll(
      deadline,
      () =>
        Promise.all(
          vpcs.map(vpc => call(`/api/batch-jobs/vpcs/${vpc}/fleet/refreshes`)),
        ),
      () => 5000,
    ),
    poll(
      deadline,
      () => call('/api/batch-jobs/approvals?status=pending'),
      () => 10_000,
    ),
  ]);
}

/**
 * The community frontend (backstage/community-plugins workspaces/jenkins/plugins/jenkins):
 * - jobs: useBuilds loads the projects once (useAsyncRetry, no polling);
 * - build: BuildWithStepsPage loads the build once; useBuildWithSteps offers startPolling
 *   (every 1.5 s) but the page never calls it. `pollMs` emulates a page that would.
 */
function communityTab(kind, ctx, deadline) {
  const { call, entityPath, running, pollMs } = ctx;
  if (kind === 'build') {
    const path = `/api/jenkins/v1/entity/${entityPath}/job/${encodeURIComponent(
      running.job,
    )}/${running.number}`;
    if (!pollMs) return call(path);
    return poll(
      deadline,
      () => call(path),
      res => {
        try {
          return JSON.parse(res.body).build.building ? pollMs : null;
        } catch {
          return pollMs;
        }
      },
    );
  }
  // jobs, and the fleet tabs (they have no fleet page: those tabs show their job list)
  return call(`/api/jenkins/v1/entity/${entityPath}/projects`);
}

const TAB_KINDS = ['jobs', 'build', 'fleet'];

async function tabs({ runs }) {
  const results = await Promise.all(
    runs.map(async run => {
      const deadline = Date.now() + run.durationMs;
      let requests = 0;
      const failures = {};
      const latencies = [];
      // `tabs` of each page: 1 is a jobs tab, a build page and a fleet page,
      // so every count holds the same pages and only their number changes.
      await Promise.all(
        Array.from({ length: run.tabs * TAB_KINDS.length }, async (_, i) => {
          // One user per tab.
          const auth = run.auths[i % run.auths.length];
          const call = async path => {
            requests++;
            const res = await get(run.base, auth, path);
            if (res.status === 200) latencies.push(res.ms);
            else failures[res.status] = (failures[res.status] ?? 0) + 1;
            return res;
          };
          const ctx = {
            ...run,
            call,
            entityPath: 'default/component/payments-settlement',
            entityRef: 'component:default/payments-settlement',
          };
          // Tabs open spread over the first 5 s.
          await sleep(Math.random() * 5000);
          const kind = TAB_KINDS[i % TAB_KINDS.length];
          await (run.kind === 'ours'
            ? ourTab(kind, ctx, deadline)
            : communityTab(kind, ctx, deadline));
        }),
      );
      const rest = deadline - Date.now();
      if (rest > 0) await sleep(rest);
      return { id: run.id, requests, failures, latencies };
    }),
  );
  return results;
}

serveParent({ views, tabs });
process.send({ type: 'ready' });
process.on('uncaughtException', fatal);
