// Segment's browser library (@segment/analytics-next), bundled from npm, in Chromium on a shop
// page, pointed at the collector as its CDN (settings) and so as its API host: it posts each
// event to /v1/<initial> with the write key as the Basic user, after a preflight.
import type { Page } from 'playwright';
import { bundle, closeBrowser, openShop, type ShopPage } from './browser';
import { CALLS, WRITE_KEY, expectJourney, type CallType } from './collector';

const ENTRY = `import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;`;
let script: string;
let shop: ShopPage | undefined;
beforeAll(async () => {
  script = await bundle('@segment/analytics-next', ENTRY);
});
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});
afterAll(() => closeBrowser());

/**
 * Makes every call of CALLS in the page, in order; each resolves once its event was delivered
 * (with the batching strategy: once it was queued for a batch).
 */
function callAll(page: Page, userId: string): Promise<{ from: number; to: number; failed: string[] }> {
  return page.evaluate(
    async ({ calls, userId }) => {
      const a = (window as unknown as { analytics: Record<string, (...args: unknown[]) => Promise<{ failedDelivery(): unknown }>> }).analytics;
      const from = Date.now();
      const contexts = [
        await a.page(calls.page.name, calls.page.properties),
        await a.track(calls.track.event, calls.track.properties),
        await a.screen(calls.screen.name, calls.screen.properties),
        await a.identify(userId, calls.identify.traits),
        await a.group(calls.group.groupId, calls.group.traits),
        await a.alias(userId, calls.alias.previousId),
      ];
      const failed = contexts.filter((ctx) => ctx.failedDelivery()).map((ctx) => JSON.stringify(ctx.failedDelivery()));
      return { from, to: Date.now(), failed };
    },
    { calls: CALLS, userId },
  );
}

/** What a shop writes: the write key, and the collector as the CDN it reads settings from. */
function load(page: Page, cdnURL: string, options: object = {}): Promise<void> {
  return page.evaluate(
    ({ writeKey, cdnURL, options }) => {
      const w = window as unknown as { analytics: unknown; AnalyticsBrowser: { load(settings: object, options: object): unknown } };
      w.analytics = w.AnalyticsBrowser.load({ writeKey, cdnURL }, options);
    },
    { writeKey: WRITE_KEY, cdnURL, options },
  );
}

describe('@segment/analytics-next in Chromium', () => {
  it('loads its settings from the collector and stores every call type once, stitched', async () => {
    shop = await openShop(script, '');
    const { page, collector } = shop;
    const paths: string[] = [];
    page.on('request', (req) => {
      if (req.url().startsWith(collector.url)) paths.push(`${req.method()} ${new URL(req.url()).pathname}`);
    });
    await load(page, collector.url);
    const { from, to, failed } = await callAll(page, 'cus-next');
    expect(failed).toEqual([]);
    // Settings from the collector, then one event per request to Segment's short paths.
    expect(paths).toEqual([`GET /v1/projects/${WRITE_KEY}/settings`, ...['p', 't', 's', 'i', 'g', 'a'].map((t) => `POST /v1/${t}`)]);
    const types: CallType[] = ['page', 'track', 'screen', 'identify', 'group', 'alias'];
    await expectJourney(collector, { types, userId: 'cus-next', library: 'analytics.js', from, to });
    expect(shop.offsite).toEqual([]);
    expect(shop.errors).toEqual([]);
  });

  it('sends batches to /v1/b with the batching delivery strategy', async () => {
    shop = await openShop(script, '');
    const { page, collector } = shop;
    // The collector's answers to /v1/b, counted by the events their requests carried.
    let delivered = 0;
    let done: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    page.on('response', (res) => {
      if (!res.url().startsWith(`${collector.url}/v1/b`) || !res.ok()) return;
      delivered += (JSON.parse(res.request().postData() ?? '{}') as { batch: unknown[] }).batch.length;
      if (delivered >= 6) done();
    });
    await load(page, collector.url, { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 3, timeout: 200 } } } } });
    const { from } = await callAll(page, 'cus-batch');
    await all;
    const types: CallType[] = ['page', 'track', 'screen', 'identify', 'group', 'alias'];
    await expectJourney(collector, { types, userId: 'cus-batch', library: 'analytics.js', from, to: Date.now() });
    expect(shop.offsite).toEqual([]);
  });
});
