// Consent in real Chromium, audited the way a privacy review would: the browser's cookie jar
// (context.cookies()), the page's IndexedDB databases and localStorage, and every request the
// page makes. Before the grant there is nothing; after it the held events arrive in order;
// 'denied' leaves nothing ever; Global Privacy Control counts as 'denied'; withdrawing deletes.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, outboxHolds, spurLoaded, track, useHarness, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;
/** Every request of every page of the context, but the test pages themselves and spur.js. */
let requests: string[];

useHarness((s) => ({ h, browser } = s));
beforeEach(async () => {
  if (!built) return;
  h.arrivals.length = 0;
  requests = [];
  context = await browser.newContext();
  context.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path !== '/page' && path !== '/spur.js') requests.push(`${r.method()} ${path}`);
  });
});
afterEach(async () => {
  await context?.close();
});

const required: PageOptions = { data: { consent: 'required' }, init: { flushInterval: 200 } };

async function open(o: PageOptions = required): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.pageUrl(o));
  await spurLoaded(page);
  return page;
}

const spur = (page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(([method, args]) => (window as any).spur[method as string](...(args as unknown[])), [method, args] as const);

/** Everything a shop page does: events, the cart, an identify, hiding and showing, leaving. */
async function busy(page: Page): Promise<void> {
  await track(page, 'Viewed', 3);
  await spur(page, 'productAdded', { product_id: 'p1', price: 10 });
  await spur(page, 'identify', 'customer-42');
  await page.evaluate(() => {
    const visibility = (state: string) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state == 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    };
    visibility('hidden');
    visibility('visible');
    dispatchEvent(new Event('online'));
  });
  await spur(page, 'flush', 1000);
  await page.waitForTimeout(400); // two flush intervals
}

/** What spur left in the browser: cookie names=values, IndexedDB databases, localStorage keys. */
async function traces(page: Page) {
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`);
  const inPage = await page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    keys: Object.keys(localStorage),
  }));
  return { cookies, ...inPage, requests: [...requests] };
}

const nothing = (cookies: string[] = []) => ({ cookies, databases: [], keys: [], requests: [] });

/** Events the collector stored for the visitor, in time order. */
async function stored(page: Page) {
  const { anonymousId } = await spur(page, 'user');
  return (await h.storage.getProfileEvents(anonymousId)) ?? [];
}

(built ? describe : describe.skip)('consent (dist/spur.js in Chromium)', () => {
  it('data-consent="required": no cookie, database, localStorage key or request before the grant; then the held events arrive in order', async () => {
    const page = await open();
    const recorded = Date.now();
    await busy(page);
    expect(await traces(page)).toEqual(nothing());

    const granted = Date.now();
    await spur(page, 'consent', 'granted');
    await h.until(() => h.delivered().length >= 6, 10000, 'the held events');
    expect(h.delivered()).toEqual(['page', 'Viewed-0', 'Viewed-1', 'Viewed-2', 'Product Added', 'identify']);
    const events = await stored(page);
    expect(events.map((e) => e.event || e.type)).toEqual(['page', 'Viewed-0', 'Viewed-1', 'Viewed-2', 'Product Added', 'identify']);
    for (const e of events) expect(Date.parse(e.timestamp)).toBeLessThan(granted); // when they happened
    expect(Date.parse(events[0].timestamp)).toBeGreaterThanOrEqual(recorded - 5000);

    // Now spur works as without consent, and keeps the choice.
    const after = await traces(page);
    expect(after.cookies.map((c) => c.split('=')[0]).sort()).toEqual(['spur_aid', 'spur_consent', 'spur_sid']);
    expect(after.databases).toEqual(['spur']);
    expect(after.keys).toEqual(expect.arrayContaining(['spur_cart', 'spur_user']));
    expect(after.requests.every((r) => r === 'POST /v1/batch')).toBe(true);
    const choice = (await context.cookies()).find((c) => c.name === 'spur_consent')!;
    expect(choice.value).toBe('granted');
    expect(choice.sameSite).toBe('Lax');
    expect(choice.expires * 1000 - Date.now()).toBeGreaterThan(179 * 86400000);
    expect(choice.expires * 1000 - Date.now()).toBeLessThan(181 * 86400000);

    // The next page knows the choice.
    const next = await open();
    await track(next, 'Next page');
    await h.until(() => h.delivered().includes('Next page'), 10000, 'the next page’s event');
  });

  it("'denied': nothing ever but the choice, on this page and the next, asked or not", async () => {
    const page = await open();
    await track(page, 'Before the choice');
    await spur(page, 'consent', 'denied');
    await busy(page);
    expect(await traces(page)).toEqual(nothing(['spur_consent=denied']));

    await page.goto(h.pageUrl(required));
    await spurLoaded(page);
    await busy(page);
    await page.goto(h.pageUrl({ init: { flushInterval: 200 } })); // consent not required: the choice still counts
    await spurLoaded(page);
    await busy(page);
    await page.close(); // pagehide
    expect(await traces(await open())).toEqual(nothing(['spur_consent=denied']));
    expect(h.arrivals).toEqual([]);
  });

  it('Global Privacy Control counts as denied, without a cookie even; data-gpc="ignore" tracks', async () => {
    // Headless Chromium has no switch for GPC: the property, as a browser that sends it has it.
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    for (const o of [{ init: { flushInterval: 200 } }, required]) {
      const page = await open(o);
      await busy(page);
      expect(await traces(page)).toEqual(nothing());
      await page.close();
    }
    expect(h.arrivals).toEqual([]);

    const ignoring = await open({ data: { gpc: 'ignore' }, init: { flushInterval: 200 } });
    await track(ignoring, 'Tracked anyway');
    await h.until(() => h.delivered().includes('Tracked anyway'), 10000, 'the event');
    // Not granted explicitly: the events say nothing about consent.
    expect((await stored(ignoring)).map((e) => e.context?.consent)).toEqual([undefined, undefined]);
  });

  it('with GPC, a grant on the site lets events go, each saying consent: "granted" (the collector needs it to override Sec-GPC)', async () => {
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const page = await open();
    await track(page, 'Before the grant');
    await spur(page, 'consent', 'granted');
    await track(page, 'After the grant');
    await h.until(() => h.delivered().includes('After the grant'), 10000, 'the event');
    const next = await open(); // the grant from the cookie
    await track(next, 'Next page');
    await h.until(() => h.delivered().includes('Next page'), 10000, 'the next page’s event');
    const events = await stored(next);
    expect(events.map((e) => [e.event || e.type, e.context?.consent])).toEqual([
      ['After the grant', 'granted'],
      ['page', 'granted'],
      ['Next page', 'granted'],
    ]);
    expect(h.delivered()).not.toContain('Before the grant');
  });

  it("withdrawing ('denied' after 'granted') stops sending and deletes spur's cookies, localStorage keys and IndexedDB database", async () => {
    const page = await open({ init: { flushInterval: 200 } });
    await spur(page, 'identify', 'customer-42');
    await spur(page, 'productAdded', { product_id: 'p1' });
    await h.until(() => h.delivered().length >= 3, 10000, 'the first events');
    await spur(page, 'flush', 5000);
    // The collector re-issued spur_aid as a server cookie (same site): that one goes too.
    expect((await context.cookies()).map((c) => c.name)).toContain('spur_aid');
    await context.setOffline(true);
    await track(page, 'Waiting in the outbox', 2);
    await outboxHolds(page, 2);
    const before = h.arrivals.length;
    requests.length = 0;

    await spur(page, 'consent', 'denied');
    await context.setOffline(false);
    await track(page, 'After withdrawal');
    await busy(page);
    // The deletion waits for the connection to close, a moment.
    await h.until(() => false, 500).catch(() => undefined);
    expect(await traces(page)).toEqual(nothing(['spur_consent=denied']));
    expect(h.arrivals.length).toBe(before);
    expect(await spur(page, 'user')).toEqual({});
  });
});
