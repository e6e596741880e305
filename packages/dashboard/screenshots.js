// The README's screenshots of the dashboard (docs/dashboard-*.png): a private collector with the
// demo's generated history (examples/shop/history.js, sent through ordinary ingest), signed in as
// an admin in headless Chromium, each main view at 1280 × 800 (Customers and the funnel whole) and
// the overview at 390 px.
// Uses the BUILT packages (npm run build):  node packages/dashboard/screenshots.js
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { addAccount, createCollector, openStorage, startServer } = require('@spur/collector');
const { launchChromium } = require('@spur/journeys');
const { generateHistory, sendHistory } = require('../../examples/shop/history');

const OUT = path.join(__dirname, '..', '..', 'docs');
const PASSWORD = 'screenshots only, never a real one';

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spur-screenshots-'));
  const storage = await openStorage({ db: path.join(dir, 'spur.db') });
  const app = createCollector({ storage, writeKeys: { demo: [] }, timeZone: 'Europe/Berlin' });
  const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
  const browser = await launchChromium();
  try {
    await addAccount(storage.accounts, { name: 'ada', role: 'admin', password: PASSWORD, now: Date.now() });
    await sendHistory({ collectorUrl: server.url, writeKey: 'demo', events: generateHistory({ days: 45, visitors: 400 }) });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    await page.goto(`${server.url}/dashboard/login`);
    await page.screenshot({ path: path.join(OUT, 'dashboard-sign-in.png') });
    await page.getByLabel('Name', { exact: true }).fill('ada');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const shots = [
      ['overview', '[data-testid=stat-visitors]'],
      ['funnels?by=device', '[data-testid=funnel-segments]'],
      ['carts', '[data-testid=carts-table]'],
      ['products', '[data-testid=products-table]'],
    ];
    for (const [view, ready] of shots) {
      await page.goto(`${server.url}/dashboard/${view}`);
      await page.locator(ready).waitFor();
      // The funnel's drop-off is below its form: the whole page.
      await page.screenshot({ path: path.join(OUT, `dashboard-${view.split('?')[0]}.png`), fullPage: view.startsWith('funnels') });
    }
    // Customers with a segment chosen (the grid, its list, the model's check), then its most valuable customer.
    await page.goto(`${server.url}/dashboard/customers?segment=Champions`);
    await page.locator('[data-testid=segment-list]').waitFor();
    await page.locator('[data-testid=model-frequency]').waitFor();
    await page.screenshot({ path: path.join(OUT, 'dashboard-customers.png'), fullPage: true });
    await page.locator('[data-testid=segment-list] tbody a').first().click();
    await page.locator('[data-testid=history-table]').waitFor();
    await page.screenshot({ path: path.join(OUT, 'dashboard-customer.png') });
    await page.goto(`${server.url}/dashboard/live`);
    await page.getByText('Receiving events as they arrive.').waitFor();
    await page.waitForTimeout(1500);
    const now = Date.now();
    const live = generateHistory({ days: 1, visitors: 6, seed: 99, now }).map((e, i) => ({ ...e, messageId: `live-${now}-${i}`, timestamp: new Date(now - 60_000 + i * 1000).toISOString() }));
    await sendHistory({ collectorUrl: server.url, writeKey: 'demo', events: live });
    await page.locator('[data-testid=live-table] tbody tr').nth(10).waitFor();
    await page.screenshot({ path: path.join(OUT, 'dashboard-live.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/dashboard/overview`);
    await page.locator('[data-testid=stat-visitors]').waitFor();
    await page.screenshot({ path: path.join(OUT, 'dashboard-phone.png') });
    console.log(`screenshots in ${OUT}`);
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
