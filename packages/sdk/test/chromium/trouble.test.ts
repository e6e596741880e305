// A collector in trouble, in real Chromium: refused connections, requests that hang, 5xx, 429 and
// 503 with Retry-After, dropped connections. The SDK keeps the events, backs off (exponential,
// full jitter, capped), aborts a hung request after 10 s, and delivers by itself once the
// collector is back. Playwright's clock moves the SDK's timers; Math.random is pinned to 1 so
// that each backoff is its upper bound (1 s, 2 s, 4 s, ...).
import type { Browser, BrowserContext, Page } from 'playwright';
import { built, spurLoaded, track, useHarness, type Harness } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;

useHarness((s) => ({ h, browser } = s));
beforeEach(async () => {
  if (!built) return;
  h.setFault(undefined);
  h.arrivals.length = 0;
  context = await browser.newContext();
  page = await context.newPage();
  await page.addInitScript(() => (Math.random = () => 1));
  await page.clock.install();
  await page.goto(h.pageUrl({ data: { 'auto-page': 'false' } }));
  await spurLoaded(page);
  // From here the page's time moves only with runFor: waiting for a request takes no page time.
  await page.clock.pauseAt(Date.now() + 1000);
});
afterEach(async () => {
  await context?.close();
  await h?.start().catch(() => undefined); // a test that stopped it
});

/** Runs the page's clock by `ms`, then gives requests that became due a moment to arrive. */
async function run(ms: number): Promise<void> {
  await page.clock.runFor(ms);
  await page.waitForTimeout(150);
}

const attempts = () => h.arrivals.length;
const times = (name: string) => h.delivered().filter((n) => n === name).length;

/** Records one event and lets its first batch go (it meets whatever the collector does now). */
async function firstAttempt(name: string): Promise<void> {
  await track(page, name);
  await run(2000);
}

(built ? describe : describe.skip)('collector trouble (dist/spur.js in Chromium)', () => {
  it('keeps the events while the connection is refused, and delivers them once the collector is back', async () => {
    await h.stop();
    await firstAttempt('Refused');
    await run(1000); // retry 1: refused again
    await run(2000); // retry 2
    expect(attempts()).toBe(0);
    await h.start();
    await run(4000); // retry 3 reaches it
    await h.until(() => times('Refused') === 1);
    expect(h.duplicates()).toEqual([]);
  });

  it('aborts a request that hangs after 10 s and retries it', async () => {
    h.setFault('hang');
    await firstAttempt('Hung');
    expect(attempts()).toBe(1);
    await run(9900);
    expect(attempts()).toBe(1); // still waiting for the hung one
    h.setFault(undefined);
    await run(100); // 10 s: aborted; backoff starts
    await run(1000);
    await h.until(() => times('Hung') === 1);
    expect(attempts()).toBe(2);
  });

  it('waits as long as Retry-After says on 503, then delivers', async () => {
    h.setFault({ status: 503, retryAfter: '30' });
    await firstAttempt('Unavailable');
    expect(attempts()).toBe(1);
    h.setFault(undefined);
    await run(29000);
    expect(attempts()).toBe(1);
    await run(1000);
    await h.until(() => times('Unavailable') === 1);
  });

  it('waits as long as Retry-After says on 429, and new events do not cut the wait short', async () => {
    h.setFault({ status: 429, retryAfter: '20' });
    await firstAttempt('Limited');
    h.setFault(undefined);
    await track(page, 'Meanwhile', 25); // more than a batch
    await run(19000);
    expect(attempts()).toBe(1);
    await run(1000);
    await h.until(() => times('Limited') === 1 && times('Meanwhile-24') === 1);
    expect(h.duplicates().filter((id) => !h.arrivals[0].ids.includes(id))).toEqual([]);
  });

  it('backs off exponentially on 500 (1 s, 2 s, 4 s at most), and resumes by itself', async () => {
    h.setFault({ status: 500 });
    await firstAttempt('Broken');
    const at: number[] = [];
    for (const step of [999, 1, 1999, 1, 3999, 1]) {
      await run(step);
      at.push(attempts());
    }
    expect(at).toEqual([1, 2, 2, 3, 3, 4]);
    h.setFault(undefined);
    await run(8000);
    await h.until(() => times('Broken') === 1);
  });

  it('retries when the connection drops without an answer', async () => {
    h.setFault('destroy');
    await firstAttempt('Dropped');
    // Chromium's network stack itself sends a POST again, once, when a reused connection closes
    // without an answer; the SDK sees one failure.
    expect(attempts()).toBeGreaterThanOrEqual(1);
    const before = attempts();
    h.setFault(undefined);
    await run(999);
    expect(attempts()).toBe(before);
    await run(1000);
    await h.until(() => times('Dropped') === 1);
  });
});
