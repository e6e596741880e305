// A shop on plain http (not localhost) is no secure context: Chromium gives it neither
// crypto.randomUUID nor Web Locks. spur still makes UUID v4 ids (from blob: URLs) and falls back
// to pages giving up their events on pagehide; no tab sends the events of another that is open.
import type { Browser } from 'playwright';
import { built, spurLoaded, useHarness, type Harness } from './harness';

jest.setTimeout(60000);

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let h: Harness;
let browser: Browser;

useHarness((s) => ({ h, browser } = s), { harness: { host: 'shop.test' }, hosts: ['shop.test'] });

(built ? describe : describe.skip)('a plain-http shop (dist/spur.js in Chromium)', () => {
  it('has UUID v4 ids without randomUUID, and no tab sends the events of another open tab, without Web Locks', async () => {
    const context = await browser.newContext();
    try {
      const tabs = await Promise.all(
        [0, 1].map(async () => {
          const page = await context.newPage();
          await page.goto(h.pageUrl({ init: { flushInterval: 200 }, data: { 'auto-page': 'false' } }));
          await spurLoaded(page);
          return page;
        }),
      );
      expect(await tabs[0].evaluate(() => [isSecureContext, !!crypto.randomUUID, !!navigator.locks])).toEqual([false, false, false]);
      await Promise.all(
        tabs.map((tab, t) => tab.evaluate((t) => { for (let i = 0; i < 100; i++) (window as any).spur.track(`Tab ${t}`, { i }); }, t)),
      );
      await tabs[0].close(); // gives up what it holds; the other tab, or the next page, sends it
      const next = await context.newPage();
      await next.goto(h.pageUrl({ init: { flushInterval: 200 }, data: { 'auto-page': 'false' } }));
      await spurLoaded(next);
      await Promise.all([tabs[1], next].map((tab) => tab.evaluate(() => (window as any).spur.flush(10000))));
      await h.until(() => h.counts(true).size === 200, 10000, 'all 200 events'); // answered 2xx, each counted once
      // Only what the closing tab still held, three times at most: an ordinary request that died
      // with it, its keepalive request, and the page that adopted its rows without knowing whether
      // that got through (the collector stores them once).
      const names = new Map(h.arrivals.flatMap((a) => a.ids.map((id, i) => [id, a.names[i]] as const)));
      for (const id of h.duplicates()) {
        expect(names.get(id)).toBe('Tab 0');
        expect(h.counts().get(id)).toBeLessThanOrEqual(3);
      }
      const ids = [...h.counts().keys()];
      expect(ids.length).toBe(200);
      for (const id of ids) expect(id).toMatch(UUID_V4);
      const user = await tabs[1].evaluate(() => (window as any).spur.user());
      expect(user.anonymousId).toMatch(UUID_V4);
      expect(user.sessionId).toMatch(UUID_V4);
    } finally {
      await context.close();
    }
  });
});
