// A collector that refuses the page, in real Chromium against the real collector: a write key it
// does not know (401) and an origin the key does not allow (403). The page sends one request,
// then nothing more, drops its events (counted in spur_dropped) and, with data-debug, says in the
// console what the collector said and what SPUR_WRITE_KEYS needs. And a tag without
// data-write-key, which warns and does nothing else. The shop is on the collector's server (same
// origin, as in the first-party set-ups), so the page can read the collector's answers.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, outboxEvents, spurLoaded, track, useHarness, WRITE_KEY, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;

useHarness((s) => ({ h, browser } = s));
beforeEach(async () => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});

/** Opens a test page (at `host` instead of 127.0.0.1: another origin on the same server), noting console warnings. */
async function open(options: PageOptions, host?: string): Promise<{ page: Page; warnings: string[] }> {
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  const url = h.pageUrl(options);
  await page.goto(host ? url.replace('127.0.0.1', host) : url);
  await spurLoaded(page);
  return { page, warnings };
}

const dropped = (page: Page) => page.evaluate(() => Number(localStorage.getItem('spur_dropped')));

/** Records events, lets time pass, hides and closes the page: every chance to send. */
async function everyChanceToSend(page: Page): Promise<void> {
  await track(page, 'Later', 3);
  await page.waitForTimeout(1500); // the flush interval (200 ms) and a first backoff (≤ 1 s) pass
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
    dispatchEvent(new Event('online'));
  });
  await page.waitForTimeout(300);
}

(built ? describe : describe.skip)('a collector that refuses the page (dist/spur.js in Chromium)', () => {
  it('stops after a 401 for an unknown write key, drops and counts the events, and says what SPUR_WRITE_KEYS needs', async () => {
    const { page, warnings } = await open({ init: { flushInterval: 200 }, data: { 'write-key': 'typo', debug: '' } });
    await track(page, 'First');
    await h.until(() => h.arrivals[0]?.status !== undefined, 5000, 'the first answer');
    expect(h.arrivals.map((a) => a.status)).toEqual([401]);
    await everyChanceToSend(page);
    expect(h.arrivals).toHaveLength(1);
    expect(await outboxEvents(page)).toBe(0);
    expect(await dropped(page)).toBe(2 + 3); // the page view and First, then 3 recorded later
    expect(warnings).toContain(`[spur] 401 unknown write key (SPUR_WRITE_KEYS needs typo=${h.shopUrl})`);
    await page.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.arrivals).toHaveLength(1); // nothing on pagehide either
  });

  it('stops after a 403 for an origin the key does not allow, and names the origin to add', async () => {
    // The same server under another name: another origin, which the key does not list.
    const other = h.shopUrl.replace('127.0.0.1', 'localhost');
    const { page, warnings } = await open({ init: { flushInterval: 200 }, data: { debug: '' }, src: '/spur.js' }, 'localhost');
    await track(page, 'First');
    await h.until(() => h.arrivals[0]?.status !== undefined, 5000, 'the first answer');
    expect(h.arrivals.map((a) => a.status)).toEqual([403]);
    await everyChanceToSend(page);
    expect(h.arrivals).toHaveLength(1);
    expect(await outboxEvents(page)).toBe(0);
    expect(await dropped(page)).toBe(5);
    expect(warnings).toContain(`[spur] 403 this origin is not allowed for the write key (SPUR_WRITE_KEYS needs ${WRITE_KEY}=${other})`);
  });

  it('says nothing about it without data-debug, and still stops', async () => {
    const { page, warnings } = await open({ init: { flushInterval: 200 }, data: { 'write-key': 'typo' } });
    await h.until(() => h.arrivals[0]?.status !== undefined, 5000, 'the first answer');
    await everyChanceToSend(page);
    expect(h.arrivals.map((a) => a.status)).toEqual([401]);
    expect(warnings).toEqual([]);
  });

  it('warns, debug or not, when the tag has no write key, and stores and sends nothing', async () => {
    const { page, warnings } = await open({ init: { flushInterval: 200 }, data: { 'write-key': '' } });
    await track(page, 'Ignored', 3);
    await page.waitForTimeout(1000);
    expect(warnings).toEqual(['[spur] no data-write-key']);
    expect(h.arrivals).toHaveLength(0);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(async () => (await indexedDB.databases()).length)).toBe(0);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });
});
