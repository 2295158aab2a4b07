#!/usr/bin/env node
/*
 * Benchmark: the Batch Fleet *page* with 1 000 extra Jenkins nodes, in
 * headless Chromium against the real portal (the built app served by the
 * backend, the sandbox with `--nodes`), started the way `npm run e2e` does.
 * Per repetition it times, until the first page of every VPC's agent table
 * is on screen (the tables page at 20 rows; the rest is one click away):
 *   - in-app: a click on "Batch Fleet" in the sidebar, from the catalog;
 *   - reload: a full navigation to /batch-fleet (app boot from cache included);
 * then, on the biggest VPC, the "Offline" state filter and "Next page",
 * and the main thread's long tasks over two live refreshes (5 s poll).
 * Prints a table; asserts nothing.
 *
 *   node bench/fleet-page.js [--build]     (BENCH_NODES=1000, BENCH_REPEAT=5)
 */
const { CHROMIUM_ARGS } = require('../scripts/lib');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startPortal, prepare } = require('../scripts/e2e');

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const PAGE_SIZE = 20; // AGENTS_PAGE_SIZE of the BatchFleet component
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

/** Agents per VPC as the fleet API reports them: what the tables must show. */
async function fleetShape(backendUrl) {
  const tokenRes = await fetch(
    `${backendUrl}/api/auth/guest/refresh?env=development`,
    { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  );
  const token = (await tokenRes.json()).backstageIdentity.token;
  const res = await fetch(`${backendUrl}/api/batch-jobs/fleet`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET /fleet: HTTP ${res.status}`);
  const body = await res.json();
  return body.vpcs.map(v => ({
    vpc: v.vpc,
    agents: v.agents.length,
    offline: v.agents.filter(a => a.status && a.status !== 'online').length,
  }));
}

/**
 * Resolves once every VPC card shows the first page of its agents and the
 * pager's "1-20 of <all>" (so the whole fleet was received and counted).
 */
function firstPagesShown(page, shape) {
  return page.waitForFunction(
    vpcs => {
      const rows = document.querySelectorAll('tbody tr');
      const agentRows = [...rows].filter(tr =>
        /-EC2-AGENT|\(no node\)/.test(tr.textContent),
      ).length;
      const expectedRows = vpcs.reduce(
        (n, v) => n + Math.min(v.agents, v.pageSize),
        0,
      );
      const text = document.body.innerText;
      return (
        agentRows >= expectedRows &&
        vpcs.every(
          v =>
            v.agents <= v.pageSize ||
            text.includes(`1-${v.pageSize} of ${v.agents}`),
        )
      );
    },
    shape.map(v => ({ ...v, pageSize: PAGE_SIZE })),
    { polling: 10, timeout: 120000 },
  );
}

/** material-table renders its pager caption twice, one copy hidden: wait on what is shown. */
function visibleText(page, text) {
  return page.waitForFunction(t => document.body.innerText.includes(t), text, {
    polling: 10,
    timeout: 120000,
  });
}

/** Clicks `selector` in the page and resolves with the ms until `text` is shown. */
function clickUntilShown(page, selector, text) {
  return page.evaluate(
    ({ selector: sel, text: t }) =>
      new Promise((resolve, reject) => {
        const button = document.querySelector(sel);
        if (!button) {
          reject(new Error(`no element ${sel}`));
          return;
        }
        const started = performance.now();
        button.click();
        const check = () => {
          if (document.body.innerText.includes(t)) {
            resolve(Math.round(performance.now() - started));
          } else if (performance.now() - started > 60000) {
            reject(new Error(`"${t}" not shown 60 s after clicking ${sel}`));
          } else {
            requestAnimationFrame(check);
          }
        };
        requestAnimationFrame(check);
      }),
    { selector, text },
  );
}

async function fleetApiMs(page) {
  return page.evaluate(() => {
    const api = performance
      .getEntriesByType('resource')
      .filter(e => e.name.includes('/api/batch-jobs/fleet'))
      .pop();
    return api ? Math.round(api.responseEnd - api.startTime) : undefined;
  });
}

async function timed(fn) {
  const started = Date.now();
  await fn();
  return Date.now() - started;
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
  // Builds the app only when packages/app/dist is missing, or with --build.
  prepare(!process.argv.includes('--build'));
  console.log(`Starting sandbox (+${NODES} nodes) and backend…`);
  const portal = await startPortal({ extraNodes: NODES });
  const browser = await chromium.launch({
    executablePath,
    args: CHROMIUM_ARGS,
  });
  try {
    const shape = await fleetShape(portal.backendUrl);
    const total = shape.reduce((n, v) => n + v.agents, 0);
    const biggest = [...shape].sort((a, b) => b.agents - a.agents)[0];
    console.log(
      `Fleet: ${shape
        .map(v => `${v.vpc} ${v.agents}`)
        .join(', ')} agents (${total} in all)`,
    );
    const page = await browser.newPage({
      viewport: { width: 1400, height: 1000 },
    });
    page.setDefaultTimeout(120000);
    // Guest sign-in once; the sign-in page remembers the provider, so reloads stay signed in.
    await page.goto(`${portal.backendUrl}/`);
    await page.getByRole('button', { name: 'Enter' }).click();
    await page.getByText('payments-settlement').first().waitFor();

    const results = [];
    // Repetition 0 warms the browser cache (the app bundle) and is not counted.
    for (let i = 0; i <= REPEAT; i++) {
      const r = {};
      await page.goto(`${portal.backendUrl}/`); // the catalog (page:catalog at /)
      await page.getByText('payments-settlement').first().waitFor();
      r.inAppMs = await timed(async () => {
        await page
          .getByRole('navigation', { name: 'sidebar nav' })
          .getByRole('link', { name: 'Batch Fleet', exact: true })
          .click();
        await firstPagesShown(page, shape);
      });
      r.inAppApiMs = await fleetApiMs(page);

      r.reloadMs = await timed(async () => {
        await page.goto(`${portal.backendUrl}/batch-fleet`);
        await firstPagesShown(page, shape);
      });
      r.reloadApiMs = await fleetApiMs(page);

      // Clicks dispatched in the page and timed there to the frame that
      // shows the result, so Playwright's own actionability checks are not counted.
      r.filterMs = await clickUntilShown(
        page,
        `[aria-label="${biggest.vpc} agent list"] [aria-label^="Offline ("]`,
        `${biggest.offline} of ${biggest.agents} agents`,
      );
      await clickUntilShown(
        page,
        `[aria-label="${biggest.vpc} agent list"] [aria-label^="Offline ("]`,
        `1-${PAGE_SIZE} of ${biggest.agents}`,
      );
      r.nextPageMs = await clickUntilShown(
        page,
        `[aria-label="${biggest.vpc} agent list"] [aria-label="Next page"]`,
        `${PAGE_SIZE + 1}-${2 * PAGE_SIZE} of ${biggest.agents}`,
      );

      // For scale: the same full navigation to another page of the app (app boot + the catalog list).
      r.reloadCatalogMs = await timed(async () => {
        await page.goto(`${portal.backendUrl}/`); // the catalog (page:catalog at /)
        await page.getByText('payments-settlement').first().waitFor();
      });
      await page.goto(`${portal.backendUrl}/batch-fleet`);
      await firstPagesShown(page, shape);

      // Main-thread cost of live refresh: long tasks (> 50 ms) over two 5 s polls.
      r.refreshBusyMs = await page.evaluate(
        () =>
          new Promise(resolve => {
            let busy = 0;
            const observer = new PerformanceObserver(list => {
              for (const e of list.getEntries()) busy += e.duration;
            });
            observer.observe({ type: 'longtask' });
            setTimeout(() => {
              observer.disconnect();
              resolve(Math.round(busy / 2));
            }, 10500);
          }),
      );
      if (i > 0) results.push(r);
      console.log(`${i === 0 ? 'warm-up' : `run ${i}`}: ${JSON.stringify(r)}`);
    }
    await page.goto(`${portal.backendUrl}/batch-fleet`);
    await firstPagesShown(page, shape);
    await page
      .screenshot({
        path: path.resolve('e2e-artifacts', 'bench-fleet-page.png'),
      })
      .catch(() => {});

    const stat = key => {
      const values = results.map(r => r[key]).filter(v => v !== undefined);
      return values.length
        ? `${percentile(values, 50)} / ${Math.max(...values)}`
        : '?';
    };
    printTable(
      `Batch Fleet page with ${total} agents (${shape
        .map(v => `${v.vpc} ${v.agents}`)
        .join(', ')}), headless Chromium, ${
        results.length
      } runs, p50 / max in ms`,
      [
        {
          measure: 'in-app: sidebar click → first page of every VPC',
          ms: stat('inAppMs'),
        },
        { measure: '  of which GET /fleet', ms: stat('inAppApiMs') },
        {
          measure: 'reload /batch-fleet → first page of every VPC',
          ms: stat('reloadMs'),
        },
        { measure: '  of which GET /fleet', ms: stat('reloadApiMs') },
        {
          measure: 'reload / (the catalog, another page of the app, for scale)',
          ms: stat('reloadCatalogMs'),
        },
        {
          measure: `"Offline" filter on ${biggest.vpc} (${biggest.agents} agents)`,
          ms: stat('filterMs'),
        },
        { measure: `next page on ${biggest.vpc}`, ms: stat('nextPageMs') },
        { measure: 'long tasks per live refresh', ms: stat('refreshBusyMs') },
      ],
    );
  } catch (e) {
    portal.dumpLogs();
    await browser
      .contexts()[0]
      ?.pages()[0]
      ?.screenshot({
        path: path.resolve('e2e-artifacts', 'bench-fleet-page-FAILED.png'),
      })
      .catch(() => {});
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
