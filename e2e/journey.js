#!/usr/bin/env node
/*
 * A new user's journey through the real portal (app + backend + sandbox) in
 * headless Chromium: sign in as guest → open a service → Batch Jobs tab →
 * switch VPC → open a failed build → read its log → rerun → see the new build
 * running → see the audit entry. Each step leaves a screenshot.
 *
 *   node e2e/journey.js [--base http://localhost:3000] [--out e2e-artifacts]
 *
 * Exits non-zero at the first step that does not hold. Run by `npm run e2e`
 * (which starts the portal itself) and usable against an already running one.
 */
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const base = arg('--base', 'http://localhost:3000');
const out = path.resolve(arg('--out', 'e2e-artifacts'));
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const steps = [];
async function step(page, name, fn) {
  const started = Date.now();
  try {
    await fn();
    await page.screenshot({
      path: path.join(out, `${name}.png`),
      fullPage: true,
    });
    steps.push({ name, ok: true, ms: Date.now() - started });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    await page
      .screenshot({
        path: path.join(out, `${name}-FAILED.png`),
        fullPage: true,
      })
      .catch(() => {});
    steps.push({ name, ok: false, error: e.message });
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    throw e;
  }
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
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
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  page.setDefaultTimeout(30000);
  const pageErrors = [];
  page.on('pageerror', e => pageErrors.push(e.message));

  try {
    await step(page, '01-sign-in', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('button', { name: 'Enter' }).click();
      await page.getByText('payments-settlement').first().waitFor();
    });

    await step(page, '02-service-overview', async () => {
      await page
        .getByRole('link', { name: 'payments-settlement' })
        .first()
        .click();
      await page.getByText('Recent failures across VPCs').waitFor();
    });

    await step(page, '03-batch-jobs-tab', async () => {
      await page.getByRole('tab', { name: 'Batch Jobs' }).click();
      await page.getByText('Jobs in DEV').waitFor();
      for (const vpc of ['DEV', 'STG', 'PROD']) {
        await page.getByRole('tab', { name: new RegExp(`^${vpc}`) }).waitFor();
      }
      await page.getByText('H 2 * * *').first().waitFor();
    });

    await step(page, '04-switch-vpc', async () => {
      await page.getByRole('tab', { name: /^STG/ }).click();
      await page.getByText('Jobs in STG').waitFor();
      await page.getByRole('tab', { name: /^DEV/ }).click();
      await page.getByText('Jobs in DEV').waitFor();
    });

    let failedBuild;
    await step(page, '05-job-builds', async () => {
      await page
        .getByRole('link', { name: 'migrate-ledger', exact: true })
        .click();
      const rerun = page
        .getByRole('button', { name: /^Rerun build #\d+$/ })
        .first();
      await rerun.waitFor();
      failedBuild = Number(
        (await rerun.getAttribute('aria-label')).match(/#(\d+)/)[1],
      );
    });

    await step(page, '06-failed-build-log', async () => {
      await page
        .getByRole('cell', { name: `#${failedBuild}`, exact: true })
        .first()
        .click();
      const log = page.getByLabel(`Console log of build #${failedBuild}`);
      await log.waitFor();
      await page.getByText('Finished: FAILURE').first().waitFor();
    });

    let newBuild;
    await step(page, '07-rerun-running', async () => {
      await page
        .getByRole('button', { name: `Rerun build #${failedBuild}` })
        .click();
      await page
        .getByRole('dialog')
        .getByText('recorded in the audit trail')
        .waitFor();
      await page
        .getByRole('dialog')
        .getByRole('button', { name: 'Rerun', exact: true })
        .click();
      const started = page.getByRole('dialog').getByText(/build #\d+/);
      await started.waitFor({ timeout: 60000 });
      newBuild = Number(
        (await started.first().textContent()).match(/#(\d+)/)[1],
      );
      if (!(newBuild > failedBuild))
        throw new Error(
          `new build #${newBuild} is not newer than #${failedBuild}`,
        );
    });

    await step(page, '08-new-build-log', async () => {
      await page.getByRole('dialog').getByText(`build #${newBuild}`).click();
      await page.getByLabel(`Console log of build #${newBuild}`).waitFor();
      await page
        .getByText(/Started by/)
        .first()
        .waitFor();
    });

    await step(page, '09-audit', async () => {
      await page.getByRole('tab', { name: 'Audit' }).click();
      await page.getByText('Rerun build').first().waitFor();
      await page.getByText('guest').first().waitFor();
      await page.getByText(`#${newBuild}`).first().waitFor();
    });

    await step(page, '10-fleet-page', async () => {
      await page.getByRole('link', { name: 'Batch Fleet' }).click();
      for (const vpc of ['DEV', 'STG', 'PROD']) {
        await page.getByText(`${vpc} agents`).first().waitFor();
      }
      await page
        .getByText(/-EC2-AGENT/)
        .first()
        .waitFor();
    });

    await step(page, '11-routine-dry-run', async () => {
      const sweep = page.locator('.MuiCard-root', {
        has: page.locator('[aria-label="Offline-node sweep status"]'),
      });
      await sweep.scrollIntoViewIfNeeded();
      await sweep.getByRole('button', { name: 'Dry run', exact: true }).click();
      const result = sweep.locator(
        '[aria-label="Offline-node sweep current run"]',
      );
      await result.getByText(/Dry run succeeded/).waitFor({ timeout: 60000 });
      // The seeded offline EC2 node is listed; the person-paused node is spared.
      await result
        .getByText(/-EC2-AGENT/)
        .first()
        .waitFor();
      await result.scrollIntoViewIfNeeded();
    });
  } finally {
    fs.writeFileSync(
      path.join(out, 'journey.json'),
      JSON.stringify({ base, steps, pageErrors }, null, 2),
    );
    await browser.close();
  }
}

main().then(
  () => console.log(`journey passed; screenshots in ${out}`),
  e => {
    console.error(e.stack || e.message);
    process.exit(1);
  },
);
