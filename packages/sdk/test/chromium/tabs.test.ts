// Several tabs of one shop in real Chromium share one outbox, and no tab sends another's events:
// 3 tabs × 200 events, counted per messageId at the collector; with Web Locks and with the
// fallback for browsers without them; and a tab that closes with events it could not send. What
// a closing tab still held leaves again from another tab: that tab cannot know whether the
// closing tab's keepalive request got through (an event its ordinary request carried too leaves
// three times), and the collector stores it once. Only the closing tab's events leave twice.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, outboxEvents, spurLoaded, useHarness, type Harness } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;

useHarness((s) => ({ h, browser } = s));
beforeEach(() => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
});

const TABS = 3;
const EVENTS = 200;
// No page views: every event names its tab.
const opts = { init: { flushInterval: 200 }, data: { 'auto-page': 'false' } };

async function openTabs(context: BrowserContext, n: number): Promise<Page[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const page = await context.newPage();
      await page.goto(h.pageUrl(opts));
      await spurLoaded(page);
      return page;
    }),
  );
}

/** Each tab records `EVENTS` events in small bursts, all tabs at the same time. */
async function burst(tabs: Page[]): Promise<void> {
  await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(
        async ([t, n]) => {
          const spur = (window as any).spur;
          for (let i = 0; i < n; i++) {
            spur.track(`Tab ${t} event ${i}`, { i });
            if (i % 7 === 0) await new Promise((r) => setTimeout(r, 5));
          }
        },
        [t, EVENTS] as const,
      ),
    ),
  );
}

const eventsDelivered = () => h.delivered().filter((n) => n.startsWith('Tab '));

/**
 * Measures, logs and returns the names of the events whose messageId reached the collector more
 * than once, each of which must have come at most three times (an ordinary request cancelled with
 * the closing tab, its keepalive request, and the tab that adopted its rows).
 */
function measure(label: string): string[] {
  const counts = h.counts();
  const names = new Map(h.arrivals.flatMap((a) => a.ids.map((id, i) => [id, a.names[i]] as const)));
  const dup = [...counts].filter(([, c]) => c > 1);
  // The figure the issue asks for: printed so that CI logs carry it.
  console.log(`${label}: ${counts.size} messageIds, ${dup.length} sent more than once, ${h.arrivals.length} requests`);
  for (const [, c] of dup) expect(c).toBeLessThanOrEqual(3);
  return dup.map(([id]) => names.get(id)!);
}


(built ? describe : describe.skip)('tabs sharing one outbox (dist/spur.js in Chromium)', () => {
  it(`delivers ${TABS} tabs × ${EVENTS} events; only the closing tab's are sent again (Web Locks)`, async () => {
    const context = await browser.newContext();
    try {
      const tabs = await openTabs(context, TABS);
      expect(await tabs[0].evaluate(() => !!navigator.locks)).toBe(true);
      await burst(tabs);
      // One tab closes at once, with what it holds; a new one opens meanwhile.
      await tabs[0].close();
      const more = await openTabs(context, 1);
      const open = [...tabs.slice(1), ...more];
      await Promise.all(open.map((tab) => tab.evaluate(() => (window as any).spur.flush(20000))));
      await h.until(() => new Set(eventsDelivered()).size === TABS * EVENTS, 10000, 'all events');
      expect(new Set(eventsDelivered()).size).toBe(TABS * EVENTS);
      // Only what the closing tab had in flight.
      for (const name of measure('3 tabs × 200 events, Web Locks')) expect(name).toMatch(/^Tab 0 /);
      expect(await outboxEvents(open[0])).toBe(0);
    } finally {
      await context.close();
    }
  });

  it(`delivers ${TABS} tabs × ${EVENTS} events; only the closing tab's are sent again, without Web Locks (fallback)`, async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
      const tabs = await openTabs(context, TABS);
      expect(await tabs[0].evaluate(() => !!navigator.locks)).toBe(false);
      await burst(tabs);
      await tabs[0].close();
      const more = await openTabs(context, 1);
      const open = [...tabs.slice(1), ...more];
      await Promise.all(open.map((tab) => tab.evaluate(() => (window as any).spur.flush(20000))));
      await h.until(() => new Set(eventsDelivered()).size === TABS * EVENTS, 10000, 'all events');
      expect(new Set(eventsDelivered()).size).toBe(TABS * EVENTS);
      for (const name of measure('3 tabs × 200 events, no Web Locks')) expect(name).toMatch(/^Tab 0 /);
    } finally {
      await context.close();
    }
  });

  it('never sends the events of a live tab from another tab; once it closed, another page sends them once', async () => {
    const context = await browser.newContext();
    try {
      const [a, b] = await openTabs(context, 2);
      // Tab A's requests fail (its network is down), B's go through.
      await a.route('**/v1/batch', (route) => route.abort('internetdisconnected'));
      await a.evaluate(() => (window as any).spur.track('From A'));
      await a.waitForTimeout(600); // A tried, and backs off
      await b.evaluate(() => {
        (window as any).spur.track('From B');
        dispatchEvent(new Event('online')); // B looks for rows to adopt: A's are not up for it
      });
      await b.evaluate(() => (window as any).spur.flush(5000));
      expect(h.delivered()).not.toContain('From A');
      expect(h.delivered()).toContain('From B');

      await a.close(); // backing off: A sends nothing and gives its events up
      const c = await context.newPage(); // the next page of the shop, in any tab
      await c.goto(h.pageUrl(opts));
      await spurLoaded(c);
      await c.evaluate(() => (window as any).spur.flush(5000));
      expect(h.delivered().filter((n) => n === 'From A')).toHaveLength(1);
      expect(measure('a tab closing with unsent events')).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('loses nothing of a tab closed while the collector hangs: the tab still open sends its events once the collector is back', async () => {
    const context = await browser.newContext();
    try {
      const [a, b] = await openTabs(context, 2);
      h.setFault('hang');
      await b.evaluate(() => (window as any).spur.track('From B')); // B's request hangs: B is in trouble
      await h.until(() => h.arrivals.some((x) => x.names.includes('From B')), 5000, 'B’s request');
      await a.evaluate(() => {
        const spur = (window as any).spur;
        for (let i = 0; i < 5; i++) spur.track(`Closed ${i}`);
      });
      await a.close(); // A's keepalive request hangs too, and A is gone
      await h.until(() => h.arrivals.some((x) => x.names.includes('Closed 4')), 5000, 'A’s keepalive request');
      h.setFault(undefined);
      // B's request is aborted after 10 s and retried; once it gets through, B adopts what A left.
      await b.evaluate(() => (window as any).spur.flush(30000));
      await h.until(() => new Set(h.delivered().filter((n) => n.startsWith('Closed '))).size === 5, 10000, 'A’s events');
      expect(new Set(h.delivered())).toEqual(new Set(['From B', 'Closed 0', 'Closed 1', 'Closed 2', 'Closed 3', 'Closed 4']));
      measure('a tab closed while the collector hangs');
      expect(await outboxEvents(b)).toBe(0);
    } finally {
      await context.close();
    }
  }, 60000);
});
