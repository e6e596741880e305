// The outbox's bound and its failures in real Chromium: at most 1,000 events (the oldest dropped,
// the count sent as `dropped`), a real QuotaExceededError, and IndexedDB missing (some private
// modes): the SDK falls back to memory, never throws into the page, and still delivers.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, outboxHolds, spurLoaded, track, useHarness, type Harness } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let errors: string[];

useHarness((s) => ({ h, browser } = s));
beforeEach(async () => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
  errors = [];
  context = await browser.newContext();
  context.on('weberror', (e) => errors.push(String(e.error())));
});
afterEach(async () => {
  await context?.close();
});

const quiet = { data: { 'auto-page': 'false' }, init: { flushInterval: 200 } };

async function open(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.pageUrl(quiet));
  await spurLoaded(page);
  return page;
}

const flush = (page: Page) => page.evaluate(() => (window as any).spur.flush(20000));

(built ? describe : describe.skip)('the outbox in Chromium (dist/spur.js)', () => {
  it('holds at most 1,000 events: the oldest are dropped, and the next batch says how many', async () => {
    const page = await open();
    await context.setOffline(true);
    await track(page, 'Bounded', 1100);
    await outboxHolds(page, 1000);
    await page.close();
    await context.setOffline(false);
    const next = await open();
    await flush(next);
    const names = h.delivered();
    expect(names).toHaveLength(1000);
    expect(names[0]).toBe('Bounded-100'); // the oldest 100 went
    expect(names).toContain('Bounded-1099');
    expect(h.arrivals.map((a) => a.dropped).filter(Boolean)).toEqual([100]);
    expect(h.duplicates()).toEqual([]);
  });

  it('keeps delivering from memory when IndexedDB is over quota (a real QuotaExceededError)', async () => {
    const page = await open();
    await flush(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: h.shopUrl, quotaSize: 1 });
    const quota = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const open = indexedDB.open('spur');
          open.onsuccess = () => {
            const tx = open.result.transaction('outbox', 'readwrite');
            tx.objectStore('outbox').put('x'.repeat(100000), 'probe');
            tx.onabort = () => resolve(String(tx.error?.name));
            tx.oncomplete = () => resolve('written');
          };
        }),
    );
    expect(quota).toBe('QuotaExceededError'); // the browser really refuses
    await track(page, 'Over quota', 30, { blob: 'x'.repeat(2000) });
    await flush(page);
    expect(new Set(h.delivered().filter((n) => n.startsWith('Over quota'))).size).toBe(30);
    expect(errors).toEqual([]);
  });

  it('works without IndexedDB (as in some private modes), from memory, without throwing', async () => {
    await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { get: () => undefined }));
    const page = await open();
    await track(page, 'No IndexedDB', 5);
    await flush(page);
    expect(h.delivered()).toEqual(Array.from({ length: 5 }, (_, i) => `No IndexedDB-${i}`));
    expect(errors).toEqual([]);
  });

  it('works when opening IndexedDB fails (a blocked database)', async () => {
    await context.addInitScript(() => {
      IDBFactory.prototype.open = function () {
        throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      };
    });
    const page = await open();
    await track(page, 'Blocked', 3);
    await flush(page);
    expect(h.delivered()).toEqual(['Blocked-0', 'Blocked-1', 'Blocked-2']);
    expect(errors).toEqual([]);
  });
});
