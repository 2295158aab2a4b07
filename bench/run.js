#!/usr/bin/env node
/*
 * Benchmark (issue 17): the Batch Jobs backend against the community Jenkins
 * backend, each in its own process behind its own counting, latency-adding,
 * gzip-negotiating proxy to one sandbox Jenkins process; viewers and tabs
 * come from a separate load-generator process. Prints tables, writes the raw
 * numbers to bench/results/<date>.json and bench/results/latest.json, and
 * ends with a verdict per criterion of the issue. Asserts nothing.
 *
 *   npm run bench          (root; Node 24 on PATH, see bench/README.md)
 *   BENCH_REPS=1 BENCH_STEADY_S=60 node bench/run.js      (a short run)
 */
const fs = require('node:fs');
const path = require('node:path');
const { startChild, procStats } = require('./lib/proc');
const { pagePaths } = require('./lib/pages');

const env = (name, fallback) => process.env[name] ?? fallback;
const list = (name, fallback) => env(name, fallback).split(',').map(Number);
const range = (name, fallback) => {
  const [min, max = min] = env(name, fallback).split('-').map(Number);
  return [min, max];
};

const KNOBS = {
  reps: Number(env('BENCH_REPS', '5')),
  viewers: list('BENCH_VIEWERS', '1,10,50'),
  latencies: list('BENCH_LATENCIES', '0,200,2000'),
  arrivalMs: Number(env('BENCH_ARRIVAL_MS', '1000')),
  thinkMs: range('BENCH_THINK_MS', '1000-3000'),
  warmViews: Number(env('BENCH_WARM_VIEWS', '2')),
  parallel: Number(env('BENCH_PARALLEL', '4')),
  steadySeconds: Number(env('BENCH_STEADY_S', '300')),
  steadySettleSeconds: Number(env('BENCH_STEADY_SETTLE_S', '30')),
  steadyTabs: list('BENCH_TABS', '1,10,50'),
  communityPollMs: Number(env('BENCH_COMMUNITY_POLL_MS', '1500')),
  jobsPerService: Number(env('BENCH_JOBS_PER_SERVICE', '20')),
  builds: Number(env('BENCH_BUILDS', '500')),
  memoryJobs: Number(env('BENCH_MEMORY_JOBS', '1000')),
};
const BACKENDS = ['ours', 'community-folder', 'community-leaf'];
const PAGES = ['list', 'build', 'log'];
const PAGE_TITLES = {
  list: 'job list',
  build: 'build detail',
  log: 'log (open)',
};
const LIB = path.join(__dirname, 'lib');
// V8 code cache for the children: backends start in ~3 s instead of ~6 s.
const CHILD_ENV = {
  NODE_COMPILE_CACHE: path.join(
    require('node:os').tmpdir(),
    'batch-jobs-bench-compile-cache',
  ),
  // Our backend as adopters run it: the packages' built dist, no TypeScript
  // loader (BENCH_SOURCE=1 runs the sources instead).
  ...(process.env.BENCH_SOURCE ? {} : { BENCH_BUILT: '1' }),
};
const ROOT = path.resolve(__dirname, '..');
const OUR_PACKAGES = [
  'plugins/batch-jobs-common',
  'plugins/batch-jobs-node',
  'plugins/batch-jobs-backend',
];

/** Builds our packages' dist from the current sources (declarations first, as `yarn pack` does). */
function buildOurPackages() {
  const { execFileSync } = require('node:child_process');
  const yarn = [path.join(ROOT, '.yarn/releases/yarn-4.13.0.cjs')];
  const run = (cwd, args) =>
    execFileSync(process.execPath, [...yarn, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  run(ROOT, ['tsc']);
  for (const dir of OUR_PACKAGES)
    run(path.join(ROOT, dir), ['backstage-cli', 'package', 'build']);
}

const median = values => quantile(values, 0.5);
function quantile(values, q) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return (
    sorted[lo] +
    (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo)
  );
}
/** Nearest-rank percentile of one repetition's latencies. */
function percentile(values, p) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}
const spread = values => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
});

function fmtNum(n) {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100)
    return Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2).replace(/\.?0+$/, '') || '0';
}
const fmtSpread = s =>
  s.min === s.max
    ? fmtNum(s.median)
    : `${fmtNum(s.median)} (${fmtNum(s.min)}–${fmtNum(s.max)})`;

function table(title, rows) {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const widths = columns.map(c =>
    Math.max(c.length, ...rows.map(r => String(r[c]).length)),
  );
  console.log(`\n${title}`);
  console.log(columns.map((c, i) => c.padEnd(widths[i])).join(' | '));
  console.log(widths.map(w => '-'.repeat(w)).join('-|-'));
  for (const r of rows)
    console.log(
      columns.map((c, i) => String(r[c]).padEnd(widths[i])).join(' | '),
    );
}

async function startPair(sandbox, kind, latencyMs, execArgv) {
  const proxy = startChild(path.join(LIB, 'proxy.js'), [], {
    env: { BENCH_PROXY: JSON.stringify({ target: sandbox.url, latencyMs }) },
  });
  const { port: proxyPort } = await proxy.ready;
  const backend = startChild(path.join(LIB, 'backend.js'), [], {
    env: {
      ...CHILD_ENV,
      BENCH_BACKEND: JSON.stringify({
        kind,
        jenkinsUrl: `http://127.0.0.1:${proxyPort}`,
        apiToken: sandbox.apiToken,
        jobs: sandbox.jobs,
      }),
    },
    execArgv,
  });
  let info;
  try {
    info = await backend.ready;
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  return {
    proxy,
    backend,
    base: `http://127.0.0.1:${info.port}`,
    auths: info.auths,
    async stop() {
      await backend.stop();
      await proxy.stop();
    },
  };
}

/** One cell of the matrix: a fresh backend; cold views of each page, then warm ones. */
async function runCell(sandbox, load, cell) {
  const pair = await startPair(sandbox, cell.backend, cell.latencyMs);
  const urls = pagePaths(cell.backend, sandbox.running);
  const results = [];
  try {
    for (const phase of ['cold', 'warm']) {
      for (const page of PAGES) {
        const before = await pair.proxy.request('stats');
        const cpuBefore = pair.backend.stats().cpuSeconds;
        const cpuStarted = Date.now();
        const views = phase === 'cold' ? 1 : KNOBS.warmViews;
        const out = await load.request('views', {
          base: pair.base,
          auths: pair.auths,
          paths: [urls[page]],
          viewers: cell.viewers,
          viewsPerViewer: views,
          arrivalMs: KNOBS.arrivalMs,
          thinkMs: KNOBS.thinkMs,
        });
        // Count what the views caused, also after they answered (a cold list
        // reads schedules in the background): wait until Jenkins is quiet.
        const after = await untilQuiet(pair.proxy, cpuStarted);
        const count = cell.viewers * views;
        results.push({
          ...cell,
          phase,
          page,
          views: count,
          failures: out.failures,
          jenkinsRequests: after.requests - before.requests,
          jenkinsBytes: after.bytesOut - before.bytesOut,
          gzipAsked: after.gzipAsked - before.gzipAsked,
          proxyErrors: after.errors - before.errors,
          kinds: kindDiff(before, after),
          requestsPerView: (after.requests - before.requests) / count,
          bytesPerView: (after.bytesOut - before.bytesOut) / count,
          p50: percentile(out.latencies, 50),
          p95: percentile(out.latencies, 95),
          backendCpuSeconds: pair.backend.stats().cpuSeconds - cpuBefore,
        });
      }
    }
    const stats = pair.backend.stats();
    for (const r of results) r.backendPeakRss = stats.peakRss;
  } finally {
    await pair.stop();
  }
  return results;
}

async function pool(items, size, fn) {
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, size) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        out.push(...(await fn(item)));
      }
    }),
  );
  return out;
}

/** Request kinds sent between two proxy snapshots, most frequent first. */
function kindDiff(before, after) {
  return Object.entries(after.kinds)
    .map(([kind, n]) => [kind, n - (before.kinds[kind] ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}

function aggregateViews(rows) {
  const groups = new Map();
  for (const r of rows) {
    const key = [r.phase, r.page, r.viewers, r.latencyMs, r.backend].join('|');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const cells = [];
  for (const reps of groups.values()) {
    const r0 = reps[0];
    const failed = reps.reduce(
      (n, r) => n + Object.values(r.failures).reduce((a, b) => a + b, 0),
      0,
    );
    cells.push({
      phase: r0.phase,
      page: r0.page,
      viewers: r0.viewers,
      latencyMs: r0.latencyMs,
      backend: r0.backend,
      reps: reps.length,
      failedViews: failed,
      requestsPerView: spread(reps.map(r => r.requestsPerView)),
      bytesPerView: spread(reps.map(r => r.bytesPerView)),
      p50: spread(reps.map(r => r.p50)),
      p95: spread(reps.map(r => r.p95)),
    });
  }
  return cells;
}

async function steadyState(sandbox, load) {
  await sandbox.child.request('tick');
  const variants = [
    { name: 'ours', backend: 'ours', kind: 'ours' },
    {
      name: 'community (as their UI does: no polling)',
      backend: 'community-folder',
      kind: 'community',
      pollMs: 0,
    },
    {
      name: `community (build page polling every ${KNOBS.communityPollMs} ms)`,
      backend: 'community-folder',
      kind: 'community',
      pollMs: KNOBS.communityPollMs,
    },
  ];
  const runs = await Promise.all(
    variants.flatMap(variant =>
      KNOBS.steadyTabs.map(async tabs => ({
        variant,
        tabs,
        pair: await startPair(sandbox, variant.backend, 0),
      })),
    ),
  );
  // Counted from the end of the settle period (tabs opened, first loads done) for steadySeconds.
  const settleMs = KNOBS.steadySettleSeconds * 1000;
  const durationMs = KNOBS.steadySeconds * 1000;
  const snapshot = () =>
    Promise.all(
      runs.map(async r => ({
        proxy: await r.pair.proxy.request('stats'),
        cpu: r.pair.backend.stats().cpuSeconds,
      })),
    );
  let before;
  const settled = new Promise(resolve => setTimeout(resolve, settleMs)).then(
    async () => {
      before = await snapshot();
    },
  );
  const resultsPromise = load.request('tabs', {
    runs: runs.map((r, id) => ({
      id,
      base: r.pair.base,
      auths: r.pair.auths,
      kind: r.variant.kind,
      tabs: r.tabs,
      durationMs: settleMs + durationMs,
      pollMs: r.variant.pollMs,
      running: sandbox.running,
      // plugins/batch-jobs/src/hooks/intervals.tsx defaultPollIntervals
      intervals: { jobs: 15_000, running: 5_000, builds: 30_000, log: 1_000 },
    })),
  });
  const results = await resultsPromise;
  await settled;
  const afterAll = await snapshot();
  const rows = [];
  for (const [i, r] of runs.entries()) {
    const after = afterAll[i].proxy;
    const stats = r.pair.backend.stats();
    const minutes = durationMs / 60_000;
    const res = results.find(x => x.id === i);
    rows.push({
      variant: r.variant.name,
      backend: r.variant.backend,
      tabs: r.tabs,
      minutes,
      backendRequests: res.requests,
      failures: res.failures,
      jenkinsRequestsPerMin:
        (after.requests - before[i].proxy.requests) / minutes,
      jenkinsBytesPerMin: (after.bytesOut - before[i].proxy.bytesOut) / minutes,
      backendCpuSecondsPerMin: (afterAll[i].cpu - before[i].cpu) / minutes,
      backendPeakRss: stats.peakRss,
      p95: percentile(res.latencies, 95),
      kinds: kindDiff(before[i].proxy, after),
    });
  }
  await Promise.all(runs.map(r => r.pair.stop()));
  return rows;
}

/** The sandbox of the memory figure: 3 VPCs × ceil(N / 3) jobs in the entity's folder. */
function memorySandbox() {
  return startSandbox({
    jobsPerService: Math.ceil(KNOBS.memoryJobs / 3),
    buildsPerJob: [20, 20],
  });
}

// The memory figure with V8's own young-generation sizing, and with the
// cap the README suggests for production (V8 sizes the young generation
// from the machine's memory: up to 3 × 64 MB semi-spaces here, on 24 GB).
const MEMORY_VARIANTS = [
  { name: 'Node defaults', execArgv: [] },
  {
    name: 'NODE_OPTIONS=--max-semi-space-size=8',
    execArgv: ['--max-semi-space-size=8'],
  },
];
const MEMORY_REPS = 3;

/** Each variant MEMORY_REPS times on fresh backends; the median run (by peak RSS) and the range. */
async function memoryFigure(load, sandboxPromise) {
  const sandbox = await sandboxPromise;
  try {
    const variants = [];
    for (const variant of MEMORY_VARIANTS) {
      const runs = [];
      for (let i = 0; i < MEMORY_REPS; i++)
        runs.push(await memoryRun(load, sandbox, variant.execArgv));
      runs.sort((a, b) => a.peakRss - b.peakRss);
      const mid = runs[Math.floor(runs.length / 2)];
      variants.push({
        name: variant.name,
        execArgv: variant.execArgv,
        ...mid,
        peakRssRange: [runs[0].peakRss, runs[runs.length - 1].peakRss],
        failures: Object.assign({}, ...runs.map(r => r.failures)),
        runs,
      });
    }
    // Top level: Node defaults (what earlier results files hold).
    return { jobs: sandbox.jobs.length, ...variants[0], variants };
  } finally {
    await sandbox.child.stop();
  }
}

/** The proxy's stats once it has seen no request for 2 s (at most 2 min after `since`). */
async function untilQuiet(proxy, since) {
  let after = await proxy.request('stats');
  for (let quietSince = Date.now(); Date.now() - quietSince < 2000; ) {
    await new Promise(resolve => setTimeout(resolve, 250));
    const now = await proxy.request('stats');
    if (now.requests !== after.requests) quietSince = Date.now();
    after = now;
    if (Date.now() - since > 120_000) break;
  }
  return after;
}

async function memoryRun(load, sandbox, execArgv) {
  const pair = await startPair(sandbox, 'ours', 0, [
    '--expose-gc',
    ...execArgv,
  ]);
  try {
    const idle = pair.backend.stats();
    const idleHeap = await pair.backend.request('heap');
    const list = pagePaths('ours', sandbox.running).list;
    const out = await load.request('views', {
      base: pair.base,
      auths: pair.auths,
      paths: [list],
      viewers: 1,
      viewsPerViewer: 3,
      arrivalMs: 0,
      thinkMs: [500, 500],
    });
    // Every schedule and stat read (a cold list reads them after it answers), so all is cached.
    const read = await untilQuiet(pair.proxy, Date.now());
    const res = await load.request('views', {
      base: pair.base,
      auths: pair.auths,
      paths: [list],
      viewers: 1,
      viewsPerViewer: 1,
      arrivalMs: 0,
      thinkMs: [0, 0],
    });
    const stats = pair.backend.stats();
    const heap = await pair.backend.request('heap');
    return {
      cpuSeconds: stats.cpuSeconds - idle.cpuSeconds,
      jenkinsRequests: read.requests,
      // After a full collection: what the listing keeps (caches) vs its transient peak.
      idleHeapUsed: idleHeap.heapUsed,
      heapUsed: heap.heapUsed,
      external: heap.external,
      failures: { ...out.failures, ...res.failures },
      idlePeakRss: idle.peakRss,
      peakRss: stats.peakRss,
      rss: stats.rss,
    };
  } finally {
    await pair.stop();
  }
}

async function startSandbox(options) {
  const child = startChild(path.join(LIB, 'sandbox.js'), [], {
    env: { ...CHILD_ENV, BENCH_SANDBOX: JSON.stringify(options) },
  });
  return { child, ...(await child.ready) };
}

function verdicts(cells, steady, memory) {
  const out = [];
  const find = (phase, page, viewers, latencyMs, backend) =>
    cells.find(
      c =>
        c.phase === phase &&
        c.page === page &&
        c.viewers === viewers &&
        c.latencyMs === latencyMs &&
        c.backend === backend,
    );
  for (const page of PAGES) {
    const misses = [];
    let total = 0;
    for (const c of cells.filter(
      x => x.backend === 'ours' && x.page === page,
    )) {
      const theirs = find(
        c.phase,
        page,
        c.viewers,
        c.latencyMs,
        'community-folder',
      );
      if (!theirs) continue;
      total++;
      const lost = [];
      if (c.requestsPerView.median > theirs.requestsPerView.median)
        lost.push(
          `requests ${fmtNum(c.requestsPerView.median)} > ${fmtNum(
            theirs.requestsPerView.median,
          )}`,
        );
      if (c.bytesPerView.median > theirs.bytesPerView.median)
        lost.push(
          `bytes ${fmtNum(c.bytesPerView.median)} > ${fmtNum(
            theirs.bytesPerView.median,
          )}`,
        );
      if (!(c.p95.median <= theirs.p95.median))
        lost.push(
          `p95 ${fmtNum(c.p95.median)} > ${fmtNum(theirs.p95.median)} ms`,
        );
      if (c.failedViews > 0) lost.push(`${c.failedViews} failed views`);
      if (lost.length)
        misses.push(
          `${c.phase} ${c.viewers} viewers ${c.latencyMs} ms: ${lost.join(
            ', ',
          )}`,
        );
    }
    out.push({
      criterion: `${PAGE_TITLES[page]}: every cell, ours ≤ community folder config (requests, bytes per view, p95)`,
      met: total > 0 && misses.length === 0,
      detail:
        total === 0
          ? 'not measured'
          : misses.length === 0
          ? `${total}/${total} cells`
          : `${total - misses.length}/${total} cells; lost: ${misses.join(
              '; ',
            )}`,
    });
  }
  if (steady.length) {
    const max = Math.max(...KNOBS.steadyTabs);
    const min = Math.min(...KNOBS.steadyTabs);
    const row = (backend, variantStart, tabs) =>
      steady.find(
        r =>
          r.backend === backend &&
          r.variant.startsWith(variantStart) &&
          r.tabs === tabs,
      );
    const ours = row('ours', 'ours', max);
    const oursOne = row('ours', 'ours', min);
    for (const [label, prefix] of [
      ['polling build page', 'community (build page polling'],
      ['their UI as it is', 'community (as their UI'],
    ]) {
      const theirs = row('community-folder', prefix, max);
      if (!ours || !theirs) continue;
      const ratio = theirs.jenkinsRequestsPerMin / ours.jenkinsRequestsPerMin;
      out.push({
        criterion: `steady state, ${max} tabs of each page: ≥ 10× fewer Jenkins requests/min than the community UI (${label})`,
        met: ratio >= 10,
        detail: `ours ${fmtNum(
          ours.jenkinsRequestsPerMin,
        )}/min, theirs ${fmtNum(theirs.jenkinsRequestsPerMin)}/min (${fmtNum(
          ratio,
        )}×)`,
      });
    }
    if (ours && oursOne) {
      const r = ours.jenkinsRequestsPerMin / oursOne.jenkinsRequestsPerMin;
      const b = ours.jenkinsBytesPerMin / oursOne.jenkinsBytesPerMin;
      out.push({
        criterion: `steady state: our ${max} tabs of each page cost ≤ 2× our ${min} of each (Jenkins requests and bytes per min)`,
        met: r <= 2 && b <= 2,
        detail: `requests ${fmtNum(ours.jenkinsRequestsPerMin)} vs ${fmtNum(
          oursOne.jenkinsRequestsPerMin,
        )}/min (${fmtNum(r)}×), bytes ${fmtNum(
          ours.jenkinsBytesPerMin / 1024,
        )} vs ${fmtNum(oursOne.jenkinsBytesPerMin / 1024)} KB/min (${fmtNum(
          b,
        )}×)`,
      });
    }
  }
  for (const m of memory ? memory.variants ?? [memory] : []) {
    const mb = n => fmtNum(n / 1024 / 1024);
    out.push({
      criterion: `backend peak RSS < 300 MB with ${
        memory.jobs
      } jobs across 3 VPCs cached${m.name ? ` (${m.name})` : ''}`,
      met:
        m.peakRss < 300 * 1024 * 1024 && Object.keys(m.failures).length === 0,
      detail: `${mb(m.peakRss)} MB peak (VmHWM${
        m.peakRssRange
          ? `, median of ${m.runs.length}: ${mb(m.peakRssRange[0])}–${mb(
              m.peakRssRange[1],
            )}`
          : ''
      }), ${mb(m.idlePeakRss)} MB before the first view${
        Object.keys(m.failures).length
          ? `; failures ${JSON.stringify(m.failures)}`
          : ''
      }`,
    });
  }
  return out;
}

async function main() {
  const t0 = Date.now();
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24)
    console.warn(
      `Node ${process.versions.node}: the repo needs Node 24 (see bench/README.md)`,
    );
  console.log(`Knobs: ${JSON.stringify(KNOBS)}`);
  if (CHILD_ENV.BENCH_BUILT) {
    console.log(
      'Building our packages (yarn tsc, backstage-cli package build)…',
    );
    buildOurPackages();
  }

  const load = startChild(path.join(LIB, 'load.js'));
  await load.ready;
  const sandbox = await startSandbox({
    jobsPerService: KNOBS.jobsPerService,
    buildsPerJob: [KNOBS.builds, KNOBS.builds],
  });
  console.log(
    `Sandbox: ${sandbox.jobs.length} jobs of payments-settlement in 3 VPCs, ${sandbox.builds[0]}–${sandbox.builds[1]} builds each; ` +
      `running build ${sandbox.running.job} #${
        sandbox.running.number
      } (started in ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );

  // Repetition-major, so a repetition's cells of ours and theirs run side by side.
  const cells = [];
  for (let rep = 1; rep <= KNOBS.reps; rep++) {
    for (const latencyMs of KNOBS.latencies) {
      for (const viewers of KNOBS.viewers) {
        for (const backend of BACKENDS)
          cells.push({ rep, latencyMs, viewers, backend });
      }
    }
  }
  let done = 0;
  const viewRows = await pool(cells, KNOBS.parallel, async cell => {
    const rows = await runCell(sandbox, load, cell);
    done++;
    if (done % 9 === 0 || done === cells.length) {
      console.log(
        `  page views: ${done}/${cells.length} cells (${(
          (Date.now() - t0) /
          60_000
        ).toFixed(1)} min)`,
      );
    }
    return rows;
  });
  const viewCells = aggregateViews(viewRows);
  const tViews = Date.now();

  for (const phase of ['cold', 'warm']) {
    for (const page of PAGES) {
      const rows = [];
      for (const viewers of KNOBS.viewers) {
        for (const latencyMs of KNOBS.latencies) {
          for (const backend of BACKENDS) {
            const c = viewCells.find(
              x =>
                x.phase === phase &&
                x.page === page &&
                x.viewers === viewers &&
                x.latencyMs === latencyMs &&
                x.backend === backend,
            );
            if (!c) continue;
            rows.push({
              viewers,
              'latency ms': latencyMs,
              backend,
              'Jenkins req/view': fmtSpread(c.requestsPerView),
              'Jenkins KB/view': fmtSpread({
                median: c.bytesPerView.median / 1024,
                min: c.bytesPerView.min / 1024,
                max: c.bytesPerView.max / 1024,
              }),
              'p50 ms': fmtSpread(c.p50),
              'p95 ms': fmtSpread(c.p95),
              failed: c.failedViews,
            });
          }
        }
      }
      table(
        `${phase.toUpperCase()} ${PAGE_TITLES[page]} — median over ${
          KNOBS.reps
        } repetitions (min–max); KB on the wire incl. status line and headers`,
        rows,
      );
    }
  }

  // Seeded while the steady state runs (its numbers are per process; the seeding only shares the CPU).
  const nextSandbox = KNOBS.memoryJobs > 0 ? memorySandbox() : undefined;
  nextSandbox?.catch(() => {});
  let steady = [];
  if (KNOBS.steadySeconds > 0) {
    console.log(
      `\nSteady state: ${
        KNOBS.steadySeconds
      } s of open tabs (${KNOBS.steadyTabs.join(
        '/',
      )}) per variant, all at once…`,
    );
    steady = await steadyState(sandbox, load);
    table(
      'Steady state (tabs = that many of each page: jobs tab, running build page, fleet page; community: their job list for the fleet page)',
      steady.map(r => ({
        variant: r.variant,
        tabs: r.tabs,
        'Jenkins req/min': fmtNum(r.jenkinsRequestsPerMin),
        'Jenkins KB/min': fmtNum(r.jenkinsBytesPerMin / 1024),
        'backend CPU s/min': fmtNum(r.backendCpuSecondsPerMin),
        'backend peak RSS MB': fmtNum(r.backendPeakRss / 1024 / 1024),
        'backend req': r.backendRequests,
        failed: Object.values(r.failures).reduce((a, b) => a + b, 0),
      })),
    );
  }
  await sandbox.child.stop();

  // What the Jenkins requests are: the cold job list of one viewer (first repetition) and the steady tabs.
  const kindsOf = (title, kinds, per = 1, unit = '') => {
    if (!kinds?.length) return;
    console.log(`\n${title}`);
    for (const [kind, n] of kinds.slice(0, 8))
      console.log(`  ${fmtNum(n / per).padStart(8)}${unit}  ${kind}`);
    if (kinds.length > 8) console.log(`  … ${kinds.length - 8} more kinds`);
  };
  const firstCold = backend =>
    viewRows.find(
      r =>
        r.phase === 'cold' &&
        r.page === 'list' &&
        r.viewers === Math.min(...KNOBS.viewers) &&
        r.latencyMs === Math.min(...KNOBS.latencies) &&
        r.backend === backend &&
        r.rep === 1,
    );
  for (const backend of BACKENDS)
    kindsOf(
      `Jenkins requests of one cold job-list view, ${backend}:`,
      firstCold(backend)?.kinds,
    );
  for (const r of steady.filter(
    x => x.backend === 'ours' || x.variant.includes('polling'),
  )) {
    kindsOf(
      `Jenkins requests per minute in the steady state, ${r.variant}, ${r.tabs} tabs:`,
      r.kinds,
      r.minutes,
      '/min',
    );
  }

  let memory;
  if (KNOBS.memoryJobs > 0) {
    memory = await memoryFigure(load, nextSandbox);
    table(
      `Memory: our backend after listing an entity of ${memory.jobs} jobs across 3 VPCs (median of ${MEMORY_REPS} fresh backends each)`,
      memory.variants.map(m => ({
        node: m.name,
        'peak RSS MB (VmHWM)': `${fmtNum(m.peakRss / 1024 / 1024)} (${fmtNum(
          m.peakRssRange[0] / 1024 / 1024,
        )}–${fmtNum(m.peakRssRange[1] / 1024 / 1024)})`,
        'RSS now MB': fmtNum(m.rss / 1024 / 1024),
        'peak before first view MB': fmtNum(m.idlePeakRss / 1024 / 1024),
        'heap kept MB (after GC, before → after)': `${fmtNum(
          m.idleHeapUsed / 1024 / 1024,
        )} → ${fmtNum(m.heapUsed / 1024 / 1024)}`,
        'CPU s': fmtNum(m.cpuSeconds),
        failures: JSON.stringify(m.failures),
      })),
    );
  }
  await load.stop();

  const verdict = verdicts(viewCells, steady, memory);
  console.log('\nVerdict (computed from this run)');
  for (const v of verdict)
    console.log(
      `  ${v.met ? 'MET    ' : 'NOT MET'}  ${v.criterion}: ${v.detail}`,
    );

  const results = {
    date: new Date().toISOString(),
    node: process.versions.node,
    cpus: require('node:os').cpus().length,
    knobs: KNOBS,
    seconds: {
      pageViews: (tViews - t0) / 1000,
      total: (Date.now() - t0) / 1000,
    },
    viewRows,
    viewCells,
    steady,
    memory,
    verdict,
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${results.date.slice(0, 19).replace(/:/g, '-')}.json`,
  );
  fs.writeFileSync(file, JSON.stringify(results, null, 1));
  fs.writeFileSync(
    path.join(dir, 'latest.json'),
    JSON.stringify(results, null, 1),
  );
  console.log(
    `\nRaw numbers: ${path.relative(
      process.cwd(),
      file,
    )} (and latest.json). Total ${((Date.now() - t0) / 60_000).toFixed(1)} min`,
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
