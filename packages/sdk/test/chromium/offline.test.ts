// Offline in real Chromium: events recorded offline stay in the IndexedDB outbox through page
// loads, closed tabs and a browser restart, and leave once (on `online`, or with the next visit)
// unless they are older than 7 days, which are dropped and counted.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, launchPersistent, outboxEvents, outboxHolds, spurLoaded, tempDir, track, useHarness, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;

useHarness((s) => ({ h, browser } = s));
beforeEach(() => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
});

const opts: PageOptions = { init: { flushInterval: 300 }, cache: true };

async function open(context: BrowserContext, o: PageOptions = opts): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.pageUrl(o));
  await spurLoaded(page);
  return page;
}

const flush = (page: Page, ms = 5000) => page.evaluate((ms) => (window as any).spur.flush(ms), ms);
const times = (name: string) => h.delivered().filter((n) => n === name).length;

(built ? describe : describe.skip)('offline (dist/spur.js in Chromium)', () => {
  it('keeps events recorded offline through page loads and a closed tab, and sends each once when back', async () => {
    const context = await browser.newContext();
    try {
      const page = await open(context); // online: the page and spur.js are now in the HTTP cache
      await flush(page);
      await context.setOffline(true);
      await track(page, 'Offline A');
      await outboxHolds(page, 1);
      await page.goto(h.pageUrl(opts)); // the next page, from the cache, still offline
      await spurLoaded(page);
      await track(page, 'Offline B');
      await outboxHolds(page, 3); // A, B and this page's page view
      await page.close(); // offline: nothing is sent on pagehide, the events stay
      expect(h.arrivals.filter((a) => a.names.some((n) => n.startsWith('Offline')))).toEqual([]);

      await context.setOffline(false);
      const next = await open(context);
      await flush(next);
      expect(times('Offline A')).toBe(1);
      expect(times('Offline B')).toBe(1);
      expect(await outboxEvents(next)).toBe(0);
      expect(h.duplicates()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('sends at once when the network returns (`online`), without waiting out the backoff', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.clock.install(); // the SDK's timers move only when the test says so
      await page.goto(h.pageUrl({ data: { 'auto-page': 'false' } }));
      await spurLoaded(page);
      await context.setOffline(true);
      await track(page, 'While offline');
      await page.clock.runFor(2000); // the batch is due: it fails, and a backoff starts
      await page.clock.runFor(10); // (nothing reaches the collector)
      expect(h.arrivals).toEqual([]);
      const sent = page.waitForRequest((r) => r.url().endsWith('/v1/batch'));
      await context.setOffline(false); // fires `online`; the clock stands still
      await sent;
      await h.until(() => times('While offline') === 1);
      expect(h.duplicates()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keeps them through a browser restart, and the next visit sends them once', async () => {
    const [dir, remove] = tempDir('spur-profile-');
    try {
      let context = await launchPersistent(dir);
      let page = await open(context);
      await flush(page);
      await context.setOffline(true);
      await track(page, 'Before restart', 5);
      await outboxHolds(page, 5);
      await context.close(); // the whole browser goes, offline

      context = await launchPersistent(dir);
      page = await open(context);
      await flush(page);
      for (let i = 0; i < 5; i++) expect(times(`Before restart-${i}`)).toBe(1);
      expect(h.duplicates()).toEqual([]);
      await context.close();
    } finally {
      remove();
    }
  });

  it('drops events older than 7 days instead of sending them, and reports how many as `dropped`', async () => {
    const context = await browser.newContext();
    try {
      const page = await open(context, { data: { 'auto-page': 'false' } });
      await context.setOffline(true);
      await track(page, 'Stale', 3);
      await outboxHolds(page, 3);
      await page.close();
      await context.setOffline(false);

      const later = await context.newPage();
      await later.clock.install({ time: Date.now() + 7 * 24 * 3600 * 1000 + 60000 }); // 7 days and a minute on
      await later.goto(h.pageUrl({ data: { 'auto-page': 'false' } }));
      await spurLoaded(later);
      await track(later, 'Fresh');
      const sent = later.waitForResponse((r) => r.url().endsWith('/v1/batch'));
      await later.clock.runFor(2000);
      await sent;
      expect(h.delivered()).toEqual(['Fresh']);
      expect(h.arrivals.map((a) => a.dropped)).toEqual([3]);
      await outboxHolds(later, 0); // the row goes in a transaction after the answer: on a busy machine, a moment later
    } finally {
      await context.close();
    }
  });
});
