// A collector on another origin than the shop (the usual set-up: collector.shop.example for
// shop.example) that refuses the page: the browser lets the page read a refusal only when the
// answer names its origin, so this is where a collector that hid it would leave the SDK retrying
// a "network error" for ever. In real Chromium against the real collector: one request, then
// nothing more, and with data-debug the console says what SPUR_WRITE_KEYS needs.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, outboxEvents, spurLoaded, track, useHarness, WRITE_KEY, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;

useHarness((s) => ({ h, browser } = s), { harness: { otherOrigin: true } });
beforeEach(async () => {
  if (!built) return;
  h.arrivals.length = 0;
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});

async function open(options: PageOptions, host?: string): Promise<{ page: Page; warnings: string[] }> {
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  const url = h.pageUrl(options);
  await page.goto(host ? url.replace('127.0.0.1', host) : url);
  await spurLoaded(page);
  return { page, warnings };
}

/** Records more, lets a first backoff pass, and fires online: every chance to send again. */
async function everyChanceToSend(page: Page): Promise<void> {
  await track(page, 'Later', 2);
  await page.waitForTimeout(1500);
  await page.evaluate(() => dispatchEvent(new Event('online')));
  await page.waitForTimeout(300);
}

(built ? describe : describe.skip)('a collector on another origin that refuses the page', () => {
  it('stops after a 403 for a shop origin the key does not list, and names the entry to add', async () => {
    expect(new URL(h.collectorUrl).origin).not.toBe(new URL(h.shopUrl).origin);
    // The shop's server under another name: an origin the key does not list.
    const shop = h.shopUrl.replace('127.0.0.1', 'localhost');
    const { page, warnings } = await open({ init: { flushInterval: 200 }, data: { debug: '' } }, 'localhost');
    await track(page, 'First');
    await h.until(() => h.arrivals[0]?.status !== undefined, 5000, 'the first answer');
    expect(h.arrivals.map((a) => a.status)).toEqual([403]);
    await everyChanceToSend(page);
    expect(h.arrivals).toHaveLength(1);
    expect(await outboxEvents(page)).toBe(0);
    expect(warnings).toContain(`[spur] 403 this origin is not allowed for the write key (SPUR_WRITE_KEYS needs ${WRITE_KEY}=${shop})`);
  });

  it('stops after a 401 for an unknown write key', async () => {
    const { page, warnings } = await open({ init: { flushInterval: 200 }, data: { 'write-key': 'typo', debug: '' } });
    await h.until(() => h.arrivals[0]?.status !== undefined, 5000, 'the first answer');
    expect(h.arrivals.map((a) => a.status)).toEqual([401]);
    await everyChanceToSend(page);
    expect(h.arrivals).toHaveLength(1);
    expect(warnings).toContain(`[spur] 401 unknown write key (SPUR_WRITE_KEYS needs typo=${h.shopUrl})`);
  });
});
