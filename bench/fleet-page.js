#!/usr/bin/env node
/*
 * Benchmark: the Batch Fleet *page* with 1 000 extra Jenkins nodes, in
 * headless Chromium against the real portal (the built app served by the
 * backend, the sandbox with `--nodes`), started the way `npm run e2e` does.
 * Measures, per repetition, the time from navigation to /batch-fleet until
 * every agent row is in the DOM. Prints a table; asserts nothing.
 *
 *   node bench/fleet-page.js [--build]     (BENCH_NODES=1000, BENCH_REPEAT=5)
 */
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startPortal, prepare } = require('../scripts/e2e');

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** Agents the fleet API reports, i.e. the rows the page must render. */
async function expectedRows(backendUrl) {
  const tokenRes = await fetch(
    `${backendUrl}/api/auth/guest/refresh?env=development`,
    {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    },
  );
  const token = (await tokenRes.json()).backstageIdentity.token;
  const res = await fetch(`${backendUrl}/api/batch-jobs/fleet`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET /fleet: HTTP ${res.status}`);
  const body = await res.json();
  // Rows are recognised by the EC2 node name suffix; a seeded agent or two have other names.
  return body.vpcs.reduce(
    (n, v) =>
      n + v.agents.filter(a => JSON.stringify(a).includes('-EC2-AGENT')).length,
    0,
  );
}

async function main() {
  // Builds the app only when packages/app/dist is missing, or with --build.
  prepare(!process.argv.includes('--build'));
  console.log(`Starting sandbox (+${NODES} nodes) and backend…`);
  const portal = await startPortal({ extraNodes: NODES });
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const rows = await expectedRows(portal.backendUrl);
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    page.setDefaultTimeout(120000);
    // Guest sign-in once; the app's SignInPage is `auto`, so reloads stay signed in.
    await page.goto(`${portal.backendUrl}/`);
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.getByText('payments-settlement').first().waitFor();

    const results = [];
    // Repetition 0 warms the browser cache (the app bundle) and is not counted.
    for (let i = 0; i <= REPEAT; i++) {
      const started = Date.now();
      await page.goto(`${portal.backendUrl}/batch-fleet`);
      await page
        .waitForFunction(
          n =>
            [...document.querySelectorAll('tbody tr')].filter(tr =>
              tr.textContent.includes('-EC2-AGENT'),
            ).length >= n,
          rows,
          { polling: 20, timeout: 120000 },
        )
        .catch(async e => {
          const seen = await page.evaluate(() => ({
            rows: document.querySelectorAll('tbody tr').length,
            agentRows: [...document.querySelectorAll('tbody tr')].filter(tr =>
              tr.textContent.includes('-EC2-AGENT'),
            ).length,
          }));
          await page.screenshot({
            path: path.resolve('e2e-artifacts', 'bench-fleet-page-FAILED.png'),
          });
          throw new Error(
            `${e.message.split('\n')[0]}: ${JSON.stringify(
              seen,
            )} of ${rows} agent rows`,
          );
        });
      const ms = Date.now() - started;
      const timing = await page.evaluate(() => {
        const api = performance
          .getEntriesByType('resource')
          .filter(e => e.name.includes('/api/batch-jobs/fleet'))
          .pop();
        return api
          ? { apiMs: Math.round(api.responseEnd - api.startTime) }
          : {};
      });
      if (i > 0) results.push({ ms, ...timing });
      console.log(
        `${i === 0 ? 'warm-up' : `run ${i}`}: ${ms} ms (fleet API ${
          timing.apiMs ?? '?'
        } ms)`,
      );
    }
    await page
      .screenshot({
        path: path.resolve('e2e-artifacts', 'bench-fleet-page.png'),
      })
      .catch(() => {});

    const totals = results.map(r => r.ms);
    const api = results.map(r => r.apiMs).filter(v => v !== undefined);
    const row = {
      agentRows: rows,
      runs: results.length,
      pageP50Ms: percentile(totals, 50),
      pageMaxMs: Math.max(...totals),
      apiP50Ms: api.length ? percentile(api, 50) : '?',
      apiMaxMs: api.length ? Math.max(...api) : '?',
    };
    const columns = Object.keys(row);
    const widths = columns.map(c => Math.max(c.length, String(row[c]).length));
    console.log(
      `\nBatch Fleet page, navigation → all ${rows} agent rows rendered (headless Chromium)`,
    );
    console.log(columns.map((c, i) => c.padEnd(widths[i])).join(' | '));
    console.log(widths.map(w => '-'.repeat(w)).join('-|-'));
    console.log(
      columns.map((c, i) => String(row[c]).padEnd(widths[i])).join(' | '),
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
