#!/usr/bin/env node
/*
 * Benchmark: the console log view in headless Chromium against the real
 * portal (the built app served by the backend in its own process, the
 * sandbox with `--log-mb`), started the way `npm run e2e` does.
 *   - a finished 1 GB log opened on its build page (a full navigation):
 *     ms until its last lines are on screen, the tab's JS heap after load
 *     (CDP Runtime.getHeapUsage after a GC), and the backend's peak RSS
 *     growth over all runs (VmHWM from /proc, reset first);
 *   - a running build whose lines carry the time the sandbox writes them:
 *     the delay until each line is on screen, over BENCH_LIVE_S seconds.
 * Prints a table; asserts nothing.
 *
 *   node bench/log-page.js [--build]   (BENCH_LOG_MB=1024, BENCH_REPEAT=5, BENCH_LIVE_S=20)
 */
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = require('../scripts/lib');
const { startPortal, prepare } = require('../scripts/e2e');

const LOG_MB = Number(process.env.BENCH_LOG_MB ?? 1024);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const LIVE_S = Number(process.env.BENCH_LIVE_S ?? 20);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** kB fields of /proc/<pid>/status, in MB. */
function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = name =>
    Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))[1]) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets the peak RSS (VmHWM) to the current RSS; false where the kernel does not allow it. */
function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The sandbox's "Big logs: {…}" line: which builds hold the seeded logs. */
async function bigLogs(logDir) {
  for (let i = 0; i < 100; i++) {
    const text = fs.readFileSync(path.join(logDir, 'sandbox.log'), 'utf8');
    const match = text.match(/^Big logs: (.*)$/m);
    if (match) return JSON.parse(match[1]);
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error('the sandbox did not report its big logs');
}

function buildPage(base, entity, build, withBuild = true) {
  const query = new URLSearchParams({ vpc: 'DEV', job: build.job });
  if (withBuild) query.set('build', String(build.number));
  return `${base}/catalog/default/component/${entity}/batch-jobs?${query}`;
}

/** In the job's page: clicks build #number's row; ms until `last` is in the log, and when the log request went and came back. */
function clickBuildUntilShown(page, number, last) {
  return page.evaluate(
    ({ number: n, last: l }) =>
      new Promise((resolve, reject) => {
        const cell = [...document.querySelectorAll('td')].find(
          td => td.textContent.trim() === `#${n}`,
        );
        if (!cell) {
          reject(new Error(`no row for build #${n}`));
          return;
        }
        // The resource timing buffer holds 250 entries: room for the log request.
        performance.clearResourceTimings();
        const started = performance.now();
        cell.click();
        const check = () => {
          const log = document.querySelector('[data-testid="build-log"]');
          if (log && log.textContent.includes(l)) {
            const shown = performance.now();
            const api = performance
              .getEntriesByType('resource')
              .filter(
                e =>
                  e.name.includes('/api/batch-jobs/builds/log') &&
                  e.startTime >= started,
              )
              .pop();
            resolve({
              ms: Math.round(shown - started),
              requestAt: api && Math.round(api.startTime - started),
              responseAt: api && Math.round(api.responseEnd - started),
            });
          } else if (performance.now() - started > 60000) {
            reject(new Error(`"${l}" not shown 60 s after the click`));
          } else {
            requestAnimationFrame(check);
          }
        };
        requestAnimationFrame(check);
      }),
    { number, last },
  );
}

function printTable(title, rows) {
  const columns = Object.keys(rows[0]);
  const widths = columns.map(c =>
    Math.max(c.length, ...rows.map(r => String(r[c]).length)),
  );
  console.log(`\n${title}`);
  console.log(columns.map((c, i) => c.padEnd(widths[i])).join(' | '));
  console.log(widths.map(w => '-'.repeat(w)).join('-|-'));
  for (const r of rows) {
    console.log(
      columns.map((c, i) => String(r[c]).padEnd(widths[i])).join(' | '),
    );
  }
}

async function main() {
  prepare(!process.argv.includes('--build'));
  process.env.SANDBOX_BIG_LOG_MB = String(LOG_MB);
  console.log(`Starting sandbox (${LOG_MB} MB log) and backend…`);
  const portal = await startPortal();
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_ARGS,
  });
  try {
    const logs = await bigLogs(portal.logDir);
    const { lastLine } = logs.finished;
    console.log(
      `Finished: ${logs.finished.job} #${logs.finished.number} (${(
        logs.finished.bytes /
        1024 /
        1024
      ).toFixed(0)} MB); running: ${logs.running.job} #${logs.running.number}`,
    );
    const context = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
    });
    const signIn = await context.newPage();
    signIn.setDefaultTimeout(120000);
    await signIn.goto(`${portal.backendUrl}/`);
    await signIn.getByRole('button', { name: 'Enter' }).click();
    await signIn.getByText('payments-settlement').first().waitFor();
    await signIn.close();

    const backendPid = portal.pids.backend;
    const before = memoryOf(backendPid);
    const peakReset = resetPeak(backendPid);
    const runs = [];
    // Run 0 warms the browser cache (the app bundle) and the backend's code paths; not counted.
    for (let i = 0; i <= REPEAT; i++) {
      const page = await context.newPage();
      page.setDefaultTimeout(120000);
      const cdp = await context.newCDPSession(page);
      await page.goto(
        buildPage(portal.backendUrl, 'payments-settlement', logs.finished),
        {
          waitUntil: 'commit',
        },
      );
      // performance.now() counts from the navigation's start.
      const handle = await page.waitForFunction(
        last => {
          const log = document.querySelector('[data-testid="build-log"]');
          return log && log.textContent.includes(last)
            ? performance.now()
            : false;
        },
        lastLine,
        { polling: 'raf', timeout: 120000 },
      );
      const firstLinesMs = Math.round(await handle.jsonValue());
      const shown = await page.evaluate(
        () =>
          document.querySelector('[data-testid="build-log"]').textContent
            .length,
      );
      const apiMs = await page.evaluate(() => {
        const e = performance
          .getEntriesByType('resource')
          .filter(r => r.name.includes('/api/batch-jobs/builds/log'))
          .pop();
        return e ? Math.round(e.responseEnd - e.startTime) : undefined;
      });
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = await cdp.send('Runtime.getHeapUsage');
      // In the app: from the job's builds table, a click on the build.
      await page.goto(
        buildPage(
          portal.backendUrl,
          'payments-settlement',
          logs.finished,
          false,
        ),
      );
      await page
        .getByRole('cell', { name: `#${logs.finished.number}`, exact: true })
        .first()
        .waitFor();
      const inApp = await clickBuildUntilShown(
        page,
        logs.finished.number,
        lastLine,
      );
      const r = {
        inAppMs: inApp.ms,
        inAppRequestAt: inApp.requestAt,
        inAppResponseAt: inApp.responseAt,
        firstLinesMs,
        logApiMs: apiMs,
        heapMb: +(heap.usedSize / 1024 / 1024).toFixed(1),
        shownKb: Math.round(shown / 1024),
      };
      console.log(`${i === 0 ? 'warm-up' : `run ${i}`}: ${JSON.stringify(r)}`);
      if (i > 0) runs.push(r);
      if (i === REPEAT) {
        // The log view (toolbar and text), below the job's cards.
        await page
          .locator('[data-testid="build-log"]')
          .locator('xpath=..')
          .screenshot({
            path: path.resolve('e2e-artifacts', 'bench-log-page-finished.png'),
          })
          .catch(() => {});
      }
      await page.close();
    }
    const after = memoryOf(backendPid);
    const peakGrowth = peakReset
      ? after.hwm - before.rss
      : after.hwm - before.hwm;

    // A running build: the sandbox writes a line every 200 ms starting with its epoch ms.
    const live = await context.newPage();
    live.setDefaultTimeout(120000);
    await live.goto(
      buildPage(portal.backendUrl, 'push-notifier', logs.running),
    );
    await live.getByText('Following live…').waitFor();
    const delays = await live.evaluate(
      seconds =>
        new Promise(resolve => {
          const seen = new Set();
          const out = [];
          const started = Date.now();
          const check = () => {
            const text = document.querySelector(
              '[data-testid="build-log"]',
            ).textContent;
            const lines = text.slice(-4000).split('\n');
            const now = Date.now();
            for (const line of lines) {
              const m = line.match(/^(\d{13}) live line (\d+)$/);
              if (m && !seen.has(m[2])) {
                seen.add(m[2]);
                if (now - started > 3000) out.push(now - Number(m[1]));
              }
            }
            if (now - started > seconds * 1000) resolve(out);
            else requestAnimationFrame(check);
          };
          check();
        }),
      LIVE_S,
    );
    await live
      .locator('[data-testid="build-log"]')
      .locator('xpath=..')
      .screenshot({
        path: path.resolve('e2e-artifacts', 'bench-log-page-live.png'),
      })
      .catch(() => {});
    await live.close();

    const stat = key => {
      const values = runs.map(r => r[key]).filter(v => v !== undefined);
      return `${percentile(values, 50)} / ${Math.max(...values)}`;
    };
    printTable(
      `Console log view, headless Chromium, ${runs.length} runs (p50 / max)`,
      [
        {
          measure: `finished ${LOG_MB} MB log, in the app: click on the build → its last lines on screen (ms)`,
          value: stat('inAppMs'),
          target: '< 1000',
        },
        {
          measure:
            '  same by a full navigation to the build page (app boot included)',
          value: stat('firstLinesMs'),
          target: '',
        },
        {
          measure: '  of which GET /builds/log (ms)',
          value: stat('logApiMs'),
          target: '',
        },
        {
          measure: '  log text on screen (KB)',
          value: stat('shownKb'),
          target: '',
        },
        {
          measure: 'tab JS heap after load, after GC (MB)',
          value: stat('heapMb'),
          target: '< 50',
        },
        {
          measure: `backend peak RSS growth over ${
            runs.length + 1
          } opens (MB, VmHWM${peakReset ? ' reset' : ' delta'})`,
          value: peakGrowth.toFixed(1),
          target: '< 50',
        },
        {
          measure: `running build: line written → on screen (ms, ${delays.length} lines over ${LIVE_S} s)`,
          value: delays.length
            ? `${percentile(delays, 50)} / ${Math.max(...delays)}`
            : 'no lines seen',
          target: '< 2000',
        },
      ],
    );
  } catch (e) {
    portal.dumpLogs();
    throw e;
  } finally {
    await browser.close();
    portal.stop();
  }
}

main().then(
  () => process.exit(0),
  e => {
    console.error(e.stack || e.message);
    process.exit(1);
  },
);
