// What the dashboard's browser tests share: a collector with the dashboard on a real server, a
// generated shop history sent through ordinary ingest, accounts, Chromium (packages/journeys finds
// it), and the checks every page must pass: no console error, no Content Security Policy
// violation, no inline script or style, axe-core without serious or critical violations. Each test
// keeps a screenshot in test-artifacts/dashboard/ (gitignored).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addAccount, createCollector, openStorage, startServer, type RunningServer } from '@spur/collector';
import { launchChromium } from '@spur/journeys';
import type { Browser, BrowserContext, Page } from 'playwright';
import { addDays, today } from '../src/dates';

// The demo's history generator is plain JS (examples/shop/history.js); typed here.
const { generateHistory, sendHistory } = require('../../../examples/shop/history') as {
  generateHistory(options: { now?: number; days?: number; visitors?: number; seed?: number }): Record<string, unknown>[];
  sendHistory(options: { collectorUrl: string; writeKey: string; events: Record<string, unknown>[] }): Promise<{ accepted: number }>;
};

export const PASSWORD = 'correct horse battery staple';
export const ADMIN_TOKEN = 'dashboard-test-admin-token-0123456789';
export const WRITE_KEY = 'dash';
/** The shop's time zone; the browser runs in another, so that only the shop's can make the days right. */
export const SHOP_ZONE = 'Europe/Berlin';
const BROWSER_ZONE = 'Pacific/Auckland';
export const ARTIFACTS = resolve(__dirname, '../../../test-artifacts/dashboard');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface Stack {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** A collector with accounts ada (admin) and vic (viewer) and 45 days of history; Chromium. */
export async function startStack(options: { history?: boolean; webhooksAllowPrivate?: boolean } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'spur-dashboard-'));
  const storage = await openStorage({ db: join(dir, 'spur.db') });
  const app = createCollector({ storage, writeKeys: { [WRITE_KEY]: [] }, adminToken: ADMIN_TOKEN, timeZone: SHOP_ZONE, abandonmentIntervalMs: 1000, webhooksAllowPrivate: options.webhooksAllowPrivate });
  const server: RunningServer = await startServer(app, { port: 0, host: '127.0.0.1', storage });
  await addAccount(storage.accounts, { name: 'ada', role: 'admin', password: PASSWORD, now: Date.now() });
  await addAccount(storage.accounts, { name: 'vic', role: 'viewer', password: PASSWORD, now: Date.now() });
  if (options.history !== false) await sendHistory({ collectorUrl: server.url, writeKey: WRITE_KEY, events: generateHistory({ days: 45, visitors: 300 }) });
  const browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    url: server.url,
    browser,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A page that records console errors, uncaught errors and CSP violations. */
export async function openPage(stack: Stack, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await stack.browser.newContext({ viewport, locale: 'en-US', timezoneId: BROWSER_ZONE, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Init scripts run whatever the page's CSP says: this one only listens.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, problems };
}

/** Signs in through the form. */
export async function signIn(page: Page, url: string, name: string, password = PASSWORD): Promise<void> {
  await page.goto(`${url}/dashboard/login`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The admin API's answer for a query, as the export API gives it to a script. */
export async function api(url: string, path: string): Promise<{ status: number; text: string; json(): unknown }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** The page passes axe-core without a serious or critical violation, and has no inline script or style. */
export async function checkPage(page: Page): Promise<void> {
  // An empty style attribute is what an earlier axe run leaves behind (it styles nothing).
  const inline = await page.evaluate(() => [...document.querySelectorAll('script:not([src]), [style]:not([style=""]), style')].map((e) => e.outerHTML.slice(0, 200)));
  expect(inline).toEqual([]);
  // evaluate() runs through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations).toEqual([]);
}

/** Keeps a screenshot of the page as the test's artifact. */
export async function keep(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The date `daysBack` days before today, in the shop's time zone. */
export const shopDay = (daysBack = 0) => addDays(today(SHOP_ZONE), -daysBack);
