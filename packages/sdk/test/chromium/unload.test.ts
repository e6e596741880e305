// Leaving a page in real Chromium: events recorded right before a navigation or a tab close are
// delivered (keepalive requests on pagehide / hidden), and no later page sends them again.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, launch, spurLoaded, startHarness, track, type Harness } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;

// Short flush interval: the next page's first batch (where a resend would travel) leaves soon.
const opts = { init: { flushInterval: 300 } };

beforeAll(async () => {
  if (!built) return;
  h = await startHarness();
  browser = await launch(true);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
beforeEach(async () => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});

async function open(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.pageUrl(opts));
  await spurLoaded(page);
  return page;
}

/** Opens another page of the shop and waits until its own page view has been delivered. */
async function nextVisit(): Promise<Page> {
  const before = h.delivered().filter((n) => n === 'page').length;
  const page = await open();
  await h.until(() => h.delivered().filter((n) => n === 'page').length > before, 10000, 'the next page view');
  return page;
}

const times = (name: string) => h.delivered().filter((n) => n === name).length;

(built ? describe : describe.skip)('leaving the page (dist/spur.js in Chromium)', () => {
  it('delivers an event recorded right before a navigation, and the next page does not send it again', async () => {
    const page = await open();
    await track(page, 'Right before leaving');
    await page.click('#next'); // same origin: the next page shares the outbox
    await spurLoaded(page);
    await h.until(() => h.delivered().filter((n) => n === 'page').length >= 2, 10000, 'the next page view');
    await page.evaluate(() => (window as any).spur.flush(5000));
    expect(times('Right before leaving')).toBe(1);
    expect(h.duplicates()).toEqual([]);
  });

  it('delivers an event recorded right before the tab closes, and a later visit does not send it again', async () => {
    const page = await open();
    await track(page, 'Right before closing');
    await page.close();
    await h.until(() => times('Right before closing') === 1, 5000, 'the closing tab’s event');
    await nextVisit();
    expect(times('Right before closing')).toBe(1);
    expect(h.duplicates()).toEqual([]);
  });

  it('does not resend a batch that was still in flight when the page navigated away', async () => {
    const page = await open();
    h.setFault({ delay: 1500 }); // the collector is slow: the batch is in flight while we leave
    const sent = page.waitForRequest((r) => r.url().endsWith('/v1/batch') && r.postData()!.includes('In flight-19'));
    await page.evaluate(() => (window as any).spur.flush(0));
    await track(page, 'In flight', 20); // flushAt: leaves at once
    await sent;
    await page.click('#next');
    await spurLoaded(page);
    h.setFault(undefined);
    await h.until(() => times('In flight-19') === 1, 5000, 'the slow batch');
    await h.until(() => h.delivered().filter((n) => n === 'page').length >= 2, 10000, 'the next page view');
    expect(h.duplicates()).toEqual([]);
  });

  it('delivers on visibilitychange to hidden, and a page discarded while hidden leaves nothing to resend', async () => {
    const page = await open();
    h.setFault({ delay: 1000 });
    const sent = page.waitForRequest((r) => r.url().endsWith('/v1/batch') && r.postData()!.includes('Hidden'));
    await track(page, 'Hidden');
    // Headless Chromium never hides a page by itself: set the state the event reports, and fire it.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await sent; // at once, not after the flush interval
    // Discarded as a mobile browser does with a background tab: no pagehide, no unload.
    const cdp = await context.newCDPSession(page);
    const crashed = page.waitForEvent('crash');
    cdp.send('Page.crash').catch(() => undefined);
    await crashed;
    h.setFault(undefined);
    await h.until(() => times('Hidden') === 1, 5000, 'the hidden page’s event');
    await nextVisit();
    expect(times('Hidden')).toBe(1);
    expect(h.duplicates()).toEqual([]);
  });

  it('hands no more than 64 KiB to keepalive on close; the rest goes with the next visit, each event once', async () => {
    const page = await open();
    await page.evaluate(() => (window as any).spur.flush(5000));
    await track(page, 'Big', 30, { blob: 'x'.repeat(5000) }); // ~150 KB
    await page.close();
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(10000));
    await h.until(() => new Set(h.delivered().filter((n) => n.startsWith('Big-'))).size === 30, 10000, 'all 30').catch((e) => {
      console.log(JSON.stringify(h.arrivals.map((a) => [a.names.length, a.status, a.names.slice(0, 3)])));
      throw e;
    });
    const unloadRequests = h.arrivals.filter((a) => a.names.some((n) => n.startsWith('Big-')));
    expect(unloadRequests.length).toBeGreaterThan(1);
    expect(h.duplicates()).toEqual([]);
  });

  it('delivers the page view of a page that goes away right after spur.js ran, before the rest of its start', async () => {
    const page = await context.newPage();
    // A microtask after spur.js set window.spur, so before the task it leaves for cookies,
    // IndexedDB and the timezone: note whether that ran already, and leave the page.
    await page.addInitScript(() => {
      let value: unknown;
      Object.defineProperty(window, 'spur', {
        configurable: true,
        get: () => value,
        set(v: { track?: unknown }) {
          value = v;
          if (v.track)
            queueMicrotask(() => {
              (window as any).cookieWhenEvaluated = document.cookie.includes('spur_aid');
              dispatchEvent(new Event('pagehide'));
            });
        },
      });
    });
    await page.goto(h.pageUrl(opts));
    await h.until(() => times('page') === 1, 5000, 'the page view');
    expect(await page.evaluate(() => (window as any).cookieWhenEvaluated)).toBe(false);
    expect(h.arrivals.filter((a) => a.names.includes('page'))).toHaveLength(1);
    expect(h.duplicates()).toEqual([]);
  });

  it('stays usable after the back/forward cache, sending each event once', async () => {
    const page = await open();
    await page.evaluate(() => addEventListener('pageshow', (e) => ((window as any).restored = e.persisted)));
    await track(page, 'Before');
    await page.click('#next');
    await spurLoaded(page);
    await page.goBack({ waitUntil: 'commit' });
    await spurLoaded(page);
    const restored = await page.evaluate(() => (window as any).restored === true);
    await track(page, 'After');
    await page.evaluate(() => (window as any).spur.flush(5000));
    expect(times('Before')).toBe(1);
    expect(times('After')).toBe(1);
    expect(h.duplicates()).toEqual([]);
    // Holding a Web Lock through pagehide would keep the page out of the cache.
    expect(restored).toBe(true);
  });
});
