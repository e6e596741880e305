// The event context in real Chromium. spur makes it once per page state (URL, title, referrer,
// session, screen) and reuses it between events: every event must still carry exactly what the page
// was when it was recorded, through title changes, SPA navigations and screen changes.
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, spurLoaded, useHarness, type Harness } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;

useHarness((s) => ({ h, browser } = s));
beforeEach(async () => {
  if (!built) return;
  h.arrivals.length = 0;
  context = await browser.newContext();
});
afterEach(async () => {
  await context?.close();
});

interface Seen {
  name: string;
  url: string;
  path: string;
  search: string;
  title: string;
  screen: { width: number; height: number; density: number };
}

/** Tracks `name` and notes, in the same task, what the page is: what its context must say. */
const step = (page: Page, name: string): Promise<Seen> =>
  page.evaluate((name) => {
    (window as any).spur.track(name);
    return {
      name,
      url: location.href.split('#')[0],
      path: location.pathname,
      search: location.search,
      title: document.title,
      screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    };
  }, name);

(built ? describe : describe.skip)('the event context (dist/spur.js in Chromium)', () => {
  it('says what the page was for every event, through title changes, SPA navigations and screen changes', async () => {
    const page = await context.newPage();
    const bodies: string[] = [];
    page.on('request', (r) => r.url().endsWith('/v1/batch') && bodies.push(r.postData() ?? ''));
    await page.goto(h.pageUrl({ init: { flushInterval: 200 }, data: { 'auto-page': 'false' } }));
    await spurLoaded(page);
    const cdp = await context.newCDPSession(page);
    const seen: Seen[] = [];
    seen.push(await step(page, 'First'));
    seen.push(await step(page, 'Same page'));
    await page.evaluate(() => (document.title = 'Schuhe – Größe 42'));
    seen.push(await step(page, 'New title'));
    await page.evaluate(() => history.pushState(null, '', '/shoes?utm_source=news&utm_campaign=spring'));
    seen.push(await step(page, 'SPA navigation'));
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 390, height: 844, deviceScaleFactor: 3, mobile: true, screenWidth: 390, screenHeight: 844 });
    seen.push(await step(page, 'Phone'));
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 844, height: 390, deviceScaleFactor: 3, mobile: true, screenWidth: 844, screenHeight: 390 });
    seen.push(await step(page, 'Rotated'));
    await cdp.send('Emulation.clearDeviceMetricsOverride');
    await page.evaluate(() => history.back());
    await page.waitForFunction(() => location.pathname === '/page');
    seen.push(await step(page, 'Back'));
    await page.evaluate(() => (window as any).spur.flush(5000));

    const events = bodies.flatMap((b) => JSON.parse(b).batch);
    expect(events.map((e) => e.event)).toEqual(seen.map((s) => s.name));
    events.forEach((e, i) => {
      const s = seen[i];
      expect(e.context.page).toEqual({ url: s.url, path: s.path, referrer: '', title: s.title, search: s.search });
      expect(e.context.screen).toEqual(s.screen);
      expect(e.context.campaign).toEqual(s.search.includes('utm_') ? { source: 'news', name: 'spring' } : undefined);
    });
    // The screen really changed, and so did the title: each event saw its own.
    expect(new Set(seen.map((s) => JSON.stringify(s.screen))).size).toBeGreaterThanOrEqual(3);
    expect(seen.map((s) => s.title)).toContain('Schuhe – Größe 42');
    // Beyond ASCII, escaped: the body's length is its size in bytes.
    for (const b of bodies) expect(b).toMatch(/^[\0-~]*$/);
  });
});
