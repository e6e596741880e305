// Leaving a page in real Chromium: events recorded right before a navigation or a tab close are
// delivered (keepalive requests on pagehide / hidden). Their rows stay in the outbox until a 2xx
// for them reaches the page: a page that is gone never hears back, so the next page of the shop
// sends them again, and the collector stores each event once. So a keepalive request that fails
// (the collector down or hanging) loses nothing. While the page is shown, batches go in ordinary
// requests of up to 480 KB; what one of them still carries when the page hides goes again with
// keepalive (the browser cancels it with the page).
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, outboxHolds, spurLoaded, track, useHarness, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;

// Short flush interval: the next page's first batch (where a resend would travel) leaves soon.
const opts = { init: { flushInterval: 300 } };
// A page that leaves with its events still waiting: no batch leaves by the timer meanwhile. (What an
// ordinary request still carries when the page leaves goes again: the tests further down.)
const leaving = { init: { flushInterval: 5000 } };

useHarness((s) => ({ h, browser } = s), { bfcache: true });
beforeEach(async () => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});

async function open(o: PageOptions = opts): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.pageUrl(o));
  await spurLoaded(page);
  return page;
}

/** Notes every fetch the page makes: keepalive or not, body size, string or Blob (window.fetches). */
const noteFetches = () =>
  context.addInitScript(() => {
    const notes: { keepalive: boolean; size: number; blob: boolean }[] = ((window as any).fetches = []);
    const original = window.fetch;
    window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
      const body = init?.body;
      notes.push({ keepalive: !!init?.keepalive, size: body instanceof Blob ? body.size : String(body).length, blob: body instanceof Blob });
      return original.call(this, input, init);
    };
  });
const fetches = (page: Page): Promise<{ keepalive: boolean; size: number; blob: boolean }[]> => page.evaluate(() => (window as any).fetches);

/** Hides the page (headless Chromium never does by itself): the state the event reports, and the event. */
const setVisibility = (page: Page, state: 'hidden' | 'visible') =>
  page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state == 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);

/** How many requests carried each messageId of the events named `prefix`-i. */
const carried = (prefix: string) => {
  const names = new Map(h.arrivals.flatMap((a) => a.ids.map((id, i) => [id, a.names[i]] as const)));
  return [...h.counts()].filter(([id]) => names.get(id)!.startsWith(prefix)).map(([, n]) => n);
};

/** The events the collector stored for this browser's visitor, by name. */
async function storedNames(page: Page): Promise<string[]> {
  const { anonymousId } = await page.evaluate(() => (window as any).spur.user());
  return ((await h.storage.getProfileEvents(anonymousId)) ?? []).map((e) => e.event || e.type);
}

/** Opens another page of the shop and waits until its own page view has been delivered. */
async function nextVisit(): Promise<Page> {
  const before = h.delivered().filter((n) => n === 'page').length;
  const page = await open();
  await h.until(() => h.delivered().filter((n) => n === 'page').length > before, 10000, 'the next page view');
  return page;
}

const times = (name: string) => h.delivered().filter((n) => n === name).length;

/** Each of `names` stored exactly once for this browser's visitor. */
async function storedOnce(page: Page, names: string[]): Promise<void> {
  const stored = await storedNames(page);
  expect(names.map((name) => [name, stored.filter((n) => n === name).length])).toEqual(names.map((name) => [name, 1]));
}

const five = (prefix: string) => Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`);

(built ? describe : describe.skip)('leaving the page (dist/spur.js in Chromium)', () => {
  it('delivers an event recorded right before a navigation; the next page, which cannot know, sends it again, and it is stored once', async () => {
    const page = await open(leaving);
    await track(page, 'Right before leaving');
    await page.click('#next'); // same origin: the next page shares the outbox
    await spurLoaded(page);
    await h.until(() => h.delivered().filter((n) => n === 'page').length >= 2, 10000, 'the next page view');
    await page.evaluate(() => (window as any).spur.flush(5000));
    expect(times('Right before leaving')).toBeGreaterThanOrEqual(1);
    expect(carried('Right before leaving').every((n) => n <= 2)).toBe(true); // the keepalive request, and the next page's
    await storedOnce(page, ['Right before leaving']);
  });

  it('delivers an event recorded right before the tab closes; the next visit sends it again unless the answer reached the tab first, stored once', async () => {
    const page = await open(leaving);
    await track(page, 'Right before closing');
    await page.close();
    await h.until(() => times('Right before closing') === 1, 5000, 'the closing tab’s event');
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(5000));
    // (On loopback the 2xx may come back while the closing tab still runs: then it deleted the row.)
    expect([[1], [2]]).toContainEqual(carried('Right before closing'));
    await storedOnce(next, ['Right before closing']);
  });

  it('with the collector down, a tab that records 5 events and is closed loses none: the next page of the shop sends them', async () => {
    const page = await open(leaving); // nothing sent before it closes, so it is not backing off
    await track(page, 'Down', 5);
    await outboxHolds(page, 6); // and its page view
    await h.stop(); // connection refused: the keepalive request on pagehide fails
    await page.close();
    await h.start();
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(5000));
    expect([...new Set(h.delivered().filter((n) => n.startsWith('Down-')))].sort()).toEqual(five('Down'));
    await storedOnce(next, five('Down'));
  });

  it('with the collector hanging, a tab that records 5 events and is closed loses none: the next page of the shop sends them', async () => {
    const page = await open(leaving);
    await track(page, 'Hung', 5);
    await outboxHolds(page, 6);
    h.setFault('hang');
    await page.close();
    await h.until(() => h.arrivals.some((a) => a.names.includes('Hung-4')), 5000, 'the keepalive request'); // it got there, unanswered
    h.setFault(undefined);
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(5000));
    expect([...new Set(h.delivered().filter((n) => n.startsWith('Hung-')))].sort()).toEqual(five('Hung'));
    await storedOnce(next, five('Hung'));
  });

  it('when the collector stores a closing tab’s keepalive batch but its answer is lost, the next page sends it again and it is stored once, not twice', async () => {
    const page = await open(leaving);
    await track(page, 'Unanswered', 5);
    await outboxHolds(page, 6);
    h.setFault('lose-answer');
    await page.close();
    await h.until(() => h.arrivals.some((a) => a.names.includes('Unanswered-4')), 5000, 'the keepalive request');
    h.setFault(undefined);
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(5000));
    // (Chromium may send a request again itself when the connection closes without an answer.)
    for (const n of carried('Unanswered')) expect(n).toBeGreaterThanOrEqual(2);
    expect([...new Set(h.delivered().filter((n) => n.startsWith('Unanswered-')))].sort()).toEqual(five('Unanswered')); // answered 2xx, later
    await storedOnce(next, five('Unanswered'));
  });

  it('sends again with keepalive what a slow ordinary request carries when the page navigates away; each event is stored once', async () => {
    const page = await open();
    await page.evaluate(() => (window as any).spur.flush(5000));
    h.setFault({ delay: 1500 }); // the collector is slow: the batch is in flight while we leave
    await track(page, 'In flight', 20); // flushAt: leaves at once
    await h.until(() => h.arrivals.some((a) => a.names.includes('In flight-19')), 5000, 'the ordinary request');
    await page.click('#next');
    await spurLoaded(page);
    h.setFault(undefined);
    await h.until(() => h.delivered().filter((n) => n === 'page').length >= 2, 10000, 'the next page view');
    await page.evaluate(() => (window as any).spur.flush(5000));
    await page.waitForTimeout(500); // the next page's later batches
    // The ordinary request and the keepalive one; and the next page's, which heard of neither answer.
    for (const n of carried('In flight')) expect([2, 3]).toContain(n);
    const stored = await storedNames(page);
    for (let i = 0; i < 20; i++) expect(stored.filter((n) => n === `In flight-${i}`)).toHaveLength(1);
  });

  it('delivers what an ordinary request still carried when the tab closed, without a later visit; the later visit sends it once more, stored once', async () => {
    const page = await open();
    await page.evaluate(() => (window as any).spur.flush(5000));
    h.setFault('hang'); // this request never gets an answer, and dies with the tab
    await track(page, 'Cancelled', 20);
    await h.until(() => h.arrivals.some((a) => a.names.includes('Cancelled-19')), 5000, 'the ordinary request');
    h.setFault(undefined);
    await page.close();
    await h.until(() => times('Cancelled-19') === 1, 5000, 'the keepalive request');
    expect(new Set(h.delivered().filter((n) => n.startsWith('Cancelled-'))).size).toBe(20);
    // The next visit cannot know that the keepalive request got through, unless the closing tab
    // heard back in time and deleted the rows: a third time, or not.
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(5000));
    const copies = carried('Cancelled-');
    expect(copies).toHaveLength(20);
    for (const n of copies) expect([2, 3]).toContain(n);
    await storedOnce(next, Array.from({ length: 20 }, (_, i) => `Cancelled-${i}`));
  });

  it('sends again with keepalive what an ordinary request carries when the page is hidden; once both are answered, nothing is sent a third time', async () => {
    await noteFetches();
    const page = await open();
    await page.evaluate(() => (window as any).spur.flush(5000));
    h.setFault({ delay: 1000 });
    await track(page, 'Hidden in flight', 20);
    await h.until(() => h.arrivals.some((a) => a.names.includes('Hidden in flight-19')), 5000, 'the ordinary request');
    await setVisibility(page, 'hidden');
    await setVisibility(page, 'visible');
    h.setFault(undefined);
    await h.until(() => times('Hidden in flight-19') === 2, 5000, 'both answers');
    await page.evaluate(() => (window as any).spur.flush(5000));
    await page.waitForTimeout(500);
    const sent = (await fetches(page)).filter((f) => f.size > 2000); // not the page view's
    expect(sent.map((f) => f.keepalive)).toEqual([false, true]);
    expect(carried('Hidden in flight')).toEqual(Array(20).fill(2));
    expect((await storedNames(page)).filter((n) => n.startsWith('Hidden in flight'))).toHaveLength(20);
    expect(await page.evaluate(() => (window as any).spur.flush(100).then(() => 'empty'))).toBe('empty');
  });

  it('sends a burst in ordinary requests of up to 480 KB while the page is shown, and at most 64 KiB with keepalive when it hides', async () => {
    await noteFetches();
    const page = await open({ init: { flushInterval: 300 }, data: { 'auto-page': 'false' } });
    await track(page, 'Burst', 1000, { blob: 'x'.repeat(600) }); // ~1 MB
    await page.evaluate(() => (window as any).spur.flush(20000));
    const shown = await fetches(page); // ~1.4 MB: 4 requests, where 64 KB ones would take 23
    expect(shown.every((f) => !f.keepalive)).toBe(true);
    for (const f of shown.slice(0, -1)) expect(f.size).toBeGreaterThan(400000); // filled up, far beyond 64 KiB
    for (const f of shown) expect(f.size).toBeLessThanOrEqual(480000 + 200); // the batch and its envelope
    for (const f of shown) expect(f.blob).toBe(false); // strings: Blobs for large bodies cost spur.js 25 B gzip (transport.ts)
    expect(new Set(h.delivered()).size).toBe(1000);

    const hidden = await open({ init: { flushInterval: 60000, flushAt: 5000 }, data: { 'auto-page': 'false' } });
    await track(hidden, 'Pending', 300, { blob: 'x'.repeat(600) }); // ~400 KB, not sent yet
    await setVisibility(hidden, 'hidden');
    const left = await fetches(hidden);
    expect(left).toHaveLength(1);
    expect(left[0].keepalive).toBe(true);
    expect(left[0].size).toBeLessThanOrEqual(65536);
    expect(left[0].size).toBeGreaterThan(60000);
  });

  it('delivers on visibilitychange to hidden; a page discarded before it heard back leaves the event to the next visit, stored once', async () => {
    const page = await open(leaving);
    h.setFault({ delay: 1000 }); // the answer comes after the page is gone
    const sent = page.waitForRequest((r) => r.url().endsWith('/v1/batch') && r.postData()!.includes('Hidden'));
    await track(page, 'Hidden');
    await outboxHolds(page, 2); // and the page view
    // Headless Chromium never hides a page by itself: set the state the event reports, and fire it.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
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
    const next = await nextVisit();
    await next.evaluate(() => (window as any).spur.flush(5000));
    expect(carried('Hidden')).toEqual([2]);
    await storedOnce(next, ['Hidden']);
  });

  it('hands no more than 64 KiB to keepalive on close; the next visit sends all of it, each event stored once', async () => {
    const page = await open({ init: { flushInterval: 5000, flushAt: 1000 } }); // nothing in flight when it closes
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
    // Twice what the keepalive request took, unless the closing tab heard back in time; the rest once.
    const copies = carried('Big-');
    expect(copies.filter((n) => n === 1).length).toBeGreaterThan(0);
    expect(copies.every((n) => n <= 2)).toBe(true);
    await storedOnce(next, Array.from({ length: 30 }, (_, i) => `Big-${i}`));
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

  it('stays usable after the back/forward cache, each event stored once', async () => {
    const page = await open(leaving);
    await page.evaluate(() => addEventListener('pageshow', (e) => ((window as any).restored = e.persisted)));
    await track(page, 'Before');
    await page.click('#next');
    await spurLoaded(page);
    await page.goBack({ waitUntil: 'commit' });
    await spurLoaded(page);
    const restored = await page.evaluate(() => (window as any).restored === true);
    await track(page, 'After');
    await page.evaluate(() => (window as any).spur.flush(5000));
    expect(times('Before')).toBeGreaterThanOrEqual(1); // and again by the page it went to, which adopted it
    expect(times('After')).toBe(1);
    await storedOnce(page, ['Before', 'After']);
    // Holding a Web Lock through pagehide would keep the page out of the cache.
    expect(restored).toBe(true);
  });
});
