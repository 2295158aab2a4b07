#!/usr/bin/env node
/*
 * Markdown tables of one bench run (for bench/README.md):
 *   node bench/report.js [bench/results/latest.json]
 * Each cell reads "ours / community folder / community leaf", medians over the repetitions;
 * the spread (min–max) is in the JSON and in the console tables of `npm run bench`.
 */
const path = require('node:path');

const file = process.argv[2] ?? path.join(__dirname, 'results', 'latest.json');
const run = require(path.resolve(file));
const BACKENDS = ['ours', 'community-folder', 'community-leaf'];
const TITLES = {
  list: 'Job list',
  build: 'Build detail',
  log: 'Log (start=0)',
};

function fmt(n) {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100)
    return Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2).replace(/\.?0+$/, '') || '0';
}
const cell = (phase, page, viewers, latencyMs, backend) =>
  run.viewCells.find(
    c =>
      c.phase === phase &&
      c.page === page &&
      c.viewers === viewers &&
      c.latencyMs === latencyMs &&
      c.backend === backend,
  );
const triple = (phase, page, viewers, latencyMs, get) =>
  BACKENDS.map(b => {
    const c = cell(phase, page, viewers, latencyMs, b);
    return c ? get(c) : '–';
  }).join(' / ');
/** Ours in bold where it is no worse than the community folder configuration. */
function mark(phase, page, viewers, latencyMs, get, text) {
  const ours = cell(phase, page, viewers, latencyMs, 'ours');
  const theirs = cell(phase, page, viewers, latencyMs, 'community-folder');
  if (!ours || !theirs) return text;
  const [first, ...rest] = text.split(' / ');
  return get(ours) <= get(theirs)
    ? [`**${first}**`, ...rest].join(' / ')
    : text;
}

const out = [];
const { knobs } = run;
out.push(
  `Run of ${run.date.slice(0, 16).replace('T', ' ')} UTC, Node ${run.node}, ${
    run.cpus
  } CPUs, ${knobs.reps} repetitions, ` +
    `${fmt(
      run.seconds.total / 60,
    )} min. Cells: ours / community folder / community leaf (medians); ours in bold where ≤ the folder configuration.`,
);
for (const page of ['list', 'build', 'log']) {
  out.push('', `**${TITLES[page]}**`, '');
  out.push(
    '| phase | viewers | Jenkins latency | Jenkins requests / view | Jenkins KB / view | p50 ms | p95 ms |',
  );
  out.push('|---|---|---|---|---|---|---|');
  for (const phase of ['cold', 'warm']) {
    for (const viewers of knobs.viewers) {
      for (const latencyMs of knobs.latencies) {
        const req = c => c.requestsPerView.median;
        const kb = c => c.bytesPerView.median / 1024;
        const p50 = c => c.p50.median;
        const p95 = c => c.p95.median;
        const col = get =>
          mark(
            phase,
            page,
            viewers,
            latencyMs,
            get,
            triple(phase, page, viewers, latencyMs, c => fmt(get(c))),
          );
        out.push(
          `| ${phase} | ${viewers} | ${latencyMs} ms | ${col(req)} | ${col(
            kb,
          )} | ${col(p50)} | ${col(p95)} |`,
        );
      }
    }
  }
}
if (run.steady?.length) {
  out.push(
    '',
    `**Steady state** (${fmt(run.steady[0].minutes)} min counted after ${
      knobs.steadySettleSeconds
    } s of settling; Jenkins latency 0)`,
    '',
  );
  out.push(
    '| variant | tabs of each page | Jenkins requests / min | Jenkins KB / min | backend CPU s / min | backend peak RSS MB |',
  );
  out.push('|---|---|---|---|---|---|');
  for (const r of run.steady) {
    out.push(
      `| ${r.variant} | ${r.tabs} | ${fmt(r.jenkinsRequestsPerMin)} | ${fmt(
        r.jenkinsBytesPerMin / 1024,
      )} | ${fmt(r.backendCpuSecondsPerMin)} | ${fmt(
        r.backendPeakRss / 1024 / 1024,
      )} |`,
    );
  }
}
if (run.memory?.variants) {
  const mb = n => fmt(n / 1024 / 1024);
  out.push(
    '',
    `**Memory**: our backend after listing an entity of ${run.memory.jobs} jobs across 3 VPCs, every schedule and stat read and cached (median of ${run.memory.variants[0].runs.length} fresh backends each, min–max):`,
    '',
    '| Node | peak RSS MB (VmHWM) | before the first view MB | V8 heap kept after a full collection, before → after MB | CPU s |',
    '|---|---|---|---|---|',
  );
  for (const m of run.memory.variants)
    out.push(
      `| ${m.name} | ${mb(m.peakRss)} (${mb(m.peakRssRange[0])}–${mb(
        m.peakRssRange[1],
      )}) | ${mb(m.idlePeakRss)} | ${mb(m.idleHeapUsed)} → ${mb(
        m.heapUsed,
      )} | ${fmt(m.cpuSeconds)} |`,
    );
} else if (run.memory) {
  out.push(
    '',
    `**Memory**: our backend's peak RSS (VmHWM) after listing an entity of ${run.memory.jobs} jobs across 3 VPCs: ` +
      `${fmt(run.memory.peakRss / 1024 / 1024)} MB (${fmt(
        run.memory.idlePeakRss / 1024 / 1024,
      )} MB before the first view)` +
      (run.memory.heapUsed
        ? `; V8 heap kept after a full collection: ${fmt(
            run.memory.idleHeapUsed / 1024 / 1024,
          )} MB before, ${fmt(run.memory.heapUsed / 1024 / 1024)} MB after.`
        : '.'),
  );
}
out.push('', '**Verdict**', '');
for (const v of run.verdict)
  out.push(`- ${v.met ? 'met' : '**not met**'} — ${v.criterion}: ${v.detail}`);
console.log(out.join('\n'));
