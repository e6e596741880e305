// Offline in real Chromium: events recorded offline stay in the IndexedDB outbox through page
// loads, reloads, closed tabs and a browser restart, and leave once (on `online`, or with the next
// visit) unless they are older than 7 days, which are dropped and counted.
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

  it('loses nothing when the page reloads offline with a retry pending, 20 times over', async () => {
    // Chromium fires `online` in a page whose reload fails offline, a moment before the error page
    // replaces it, and navigator.onLine says true then: the page retries at once, and on pagehide
    // makes a keepalive request, which fails. (Its rows were deleted with it: 1 try in about 40
    // lost its events, every one where the retry had not failed yet.) In odd tries another tab
    // holds the lock the retry adopts under (locks.ts), as a tab adopting at that moment does, so
    // that the retry is still pending on pagehide.
    const o: PageOptions = { init: { flushInterval: 300 }, data: { 'auto-page': 'false' } };
    let keepalive = 0;
    for (let t = 0; t < 20; t++) {
      h.arrivals.length = 0;
      const context = await browser.newContext();
      try {
        // The page reloads itself when spur makes its second request (the first retry); keepalive requests are counted.
        await context.addInitScript(() => {
          const original = window.fetch;
          let n = 0;
          window.fetch = function (this: unknown, ...args: Parameters<typeof fetch>) {
            const sent = original.apply(this, args);
            if (args[1]?.keepalive) localStorage.setItem('keepalive', String(Number(localStorage.getItem('keepalive')) + 1));
            if (sessionStorage.getItem('reload at the retry') && ++n === 2) location.reload();
            return sent;
          };
        });
        const page = await open(context, o);
        const other = t % 2 ? await open(context, o) : undefined;
        // Resolves once the lock is held, and holds it until release().
        await other?.evaluate(
          () => new Promise<void>((held) => void navigator.locks.request('spur', () => (held(), new Promise((release) => ((window as any).release = release))))),
        );
        await context.setOffline(true);
        await h.stop(); // nothing gets through: Chromium lets keepalive requests out while it plays offline
        await page.evaluate((t) => {
          sessionStorage.setItem('reload at the retry', '1');
          for (let i = 0; i < 5; i++) (window as any).spur.track(`Reload ${t}-${i}`);
        }, t);
        // Offline, the reload fails, and the error page replaces the page.
        await h.until(() => page.url().startsWith('chrome-error:'), 10000, 'the error page');
        await other?.evaluate(() => (window as any).release());
        await h.start();
        await context.setOffline(false);
        const next = await open(context, o);
        // The other tab, back online too, may have adopted them first.
        await Promise.all([next, other].map((p) => p && flush(p)));
        keepalive += Number(await next.evaluate(() => localStorage.getItem('keepalive')));
        expect([...new Set(h.delivered().filter((n) => n.startsWith(`Reload ${t}-`)))].sort()).toEqual(Array.from({ length: 5 }, (_, i) => `Reload ${t}-${i}`));
        expect(await outboxEvents(next)).toBe(0);
      } finally {
        await context.close();
      }
    }
    console.log(`reload offline with a retry pending: 20 tries, a keepalive request on pagehide in ${keepalive}, nothing lost`);
  }, 240000);

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

      // Another tab of the shop holds the outbox's lock (as while it adopts), so the next page's
      // first batch is due before that page has adopted the stale rows: the bounds must hold for
      // rows adopted while a batch waits for the adoption, not only for those in the page before.
      // (A page of the shop's origin without spur.js, which would adopt the rows itself.)
      const other = await context.newPage();
      await other.goto(new URL('/no-spur-here', h.pageUrl()).href);
      await other.evaluate(() => {
        (window as any).holding = new Promise<void>((held) =>
          navigator.locks.request('spur', () => new Promise<void>((release) => ((window as any).release = release, held()))),
        );
        return (window as any).holding;
      });
      const later = await context.newPage();
      await later.clock.install({ time: Date.now() + 7 * 24 * 3600 * 1000 + 60000 }); // 7 days and a minute on
      await later.goto(h.pageUrl({ data: { 'auto-page': 'false' } }));
      await spurLoaded(later);
      await track(later, 'Fresh');
      const sent = later.waitForResponse((r) => r.url().endsWith('/v1/batch'));
      await later.clock.runFor(2000); // the batch is due; it waits for the adoption
      await other.evaluate(() => (window as any).release());
      await sent;
      expect(h.delivered()).toEqual(['Fresh']);
      expect(h.arrivals.map((a) => a.dropped)).toEqual([3]);
      await outboxHolds(later, 0); // the row goes in a transaction after the answer: on a busy machine, a moment later
    } finally {
      await context.close();
    }
  });
});
