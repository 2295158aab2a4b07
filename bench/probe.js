#!/usr/bin/env node
/*
 * A probe outside the matrix: one backend (ours or the community's) on a
 * fresh sandbox, nothing else running, one page (or a few in turn) viewed a
 * few times. Prints each round's latencies; optionally each Jenkins request
 * the proxy saw (arrival → finish) and a CPU profile of the backend over the
 * rounds.
 * What bench/README.md calls "a probe" was measured with it.
 *
 *   node bench/probe.js                       (ours, the job list, 0 ms, one cold view)
 *   PROBE_KIND=community-folder PROBE_PAGE=log PROBE_LATENCY_MS=0 \
 *   PROBE_ROUNDS=10 PROBE_GAP_MS=2000 node bench/probe.js
 *
 * PROBE_PAGE: list, build or log, or several (list,build,log) viewed in turn.
 * PROBE_VIEWERS / PROBE_VIEWS: views per round (viewers, views each);
 * PROBE_ARRIVAL_MS: viewers arrive at random in that window (0: at once; the
 * matrix uses 1000);
 * PROBE_WARMUP: rounds before counting (and profiling); PROBE_TRACE=1: the
 * proxy's requests on stderr; PROBE_PROFILE=<file>.cpuprofile: the backend's
 * CPU profile of the counted rounds (open it in Chrome DevTools).
 */
const path = require('node:path');
const { startChild } = require('./lib/proc');
const { pagePaths } = require('./lib/pages');

const env = (name, fallback) => process.env[name] ?? fallback;
const KIND = env('PROBE_KIND', 'ours');
// Several pages (e.g. list,build,log) are viewed in that order each round, as the matrix does.
const PAGES = env('PROBE_PAGE', 'list').split(',');
const LATENCY_MS = Number(env('PROBE_LATENCY_MS', '0'));
const ROUNDS = Number(env('PROBE_ROUNDS', '1'));
const WARMUP = Number(env('PROBE_WARMUP', '0'));
const GAP_MS = Number(env('PROBE_GAP_MS', '3000'));
const VIEWERS = Number(env('PROBE_VIEWERS', '1'));
const VIEWS = Number(env('PROBE_VIEWS', '1'));
const ARRIVAL_MS = Number(env('PROBE_ARRIVAL_MS', '0'));
const PROFILE = process.env.PROBE_PROFILE;
const LIB = path.join(__dirname, 'lib');
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function main() {
  const children = [];
  const start = async (script, options) => {
    const child = startChild(path.join(LIB, script), [], options);
    children.push(child);
    return { child, info: await child.ready };
  };
  try {
    const { child: load } = await start('load.js');
    const { info: sandbox } = await start('sandbox.js', {
      env: {
        BENCH_SANDBOX: JSON.stringify({
          jobsPerService: 20,
          buildsPerJob: [500, 500],
        }),
      },
    });
    const { info: proxy } = await start('proxy.js', {
      env: {
        BENCH_PROXY: JSON.stringify({
          target: sandbox.url,
          latencyMs: LATENCY_MS,
        }),
        ...(process.env.PROBE_TRACE ? { BENCH_PROXY_TRACE: '1' } : {}),
      },
      stderr: process.env.PROBE_TRACE ? process.stderr : undefined,
    });
    const { child: backend, info } = await start('backend.js', {
      env: {
        BENCH_BACKEND: JSON.stringify({
          kind: KIND,
          jenkinsUrl: `http://127.0.0.1:${proxy.port}`,
          apiToken: sandbox.apiToken,
          jobs: sandbox.jobs,
        }),
      },
    });
    const view = page =>
      load.request('views', {
        base: `http://127.0.0.1:${info.port}`,
        auths: info.auths,
        paths: [pagePaths(KIND, sandbox.running)[page]],
        viewers: VIEWERS,
        viewsPerViewer: VIEWS,
        arrivalMs: ARRIVAL_MS,
        thinkMs: [0, 0],
      });
    for (let i = 0; i < WARMUP; i++) {
      for (const page of PAGES) await view(page);
    }
    if (PROFILE) await backend.request('profile', {});
    for (let i = 0; i < ROUNDS; i++) {
      for (const [p, page] of PAGES.entries()) {
        if (i > 0 || p > 0 || WARMUP > 0) await sleep(GAP_MS);
        const out = await view(page);
        const ms = [...out.latencies].sort((a, b) => a - b);
        const at = q => ms[Math.min(ms.length - 1, Math.floor(ms.length * q))];
        console.log(
          `${KIND} ${page} ${LATENCY_MS} ms, round ${i + 1}: ${
            ms.length
          } views, ` +
            `p50 ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, ` +
            `failures ${JSON.stringify(out.failures)}`,
        );
        if (process.env.PROBE_TRACE)
          console.error(
            `  latencies in the order they answered: ${out.latencies
              .map(v => v.toFixed(2))
              .join(' ')}`,
          );
      }
    }
    if (PROFILE) await backend.request('profile', { stopTo: PROFILE });
  } finally {
    for (const child of children.reverse()) await child.stop();
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
