// RudderStack's browser SDK (@rudderstack/analytics-js, its `bundled` entry: the plugins compiled
// in rather than fetched from RudderStack's CDN), bundled from npm, in Chromium on a shop page. It
// reads its source configuration from the collector (configUrl) and posts each event to
// /v1/<type> with headers of its own (AnonymousId, SentAt, RSA-Retry-*), or, in beacon mode,
// batches to /beacon/v1/batch?writeKey=.
import type { Page, Response } from 'playwright';
import { bundle, closeBrowser, openShop, type ShopPage } from './browser';
import { CALLS, WRITE_KEY, expectJourney, type CallType } from './collector';

const ENTRY = `import { RudderAnalytics } from '@rudderstack/analytics-js/bundled'; window.RudderAnalytics = RudderAnalytics;`;
// The JavaScript SDK has no screen call.
const TYPES: CallType[] = ['page', 'track', 'identify', 'group', 'alias'];

let script: string;
let shop: ShopPage | undefined;
beforeAll(async () => {
  script = await bundle('@rudderstack/analytics-js', ENTRY);
});
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});
afterAll(() => closeBrowser());

/**
 * Counts the events the collector acknowledged (2xx answers to POSTs), from its answers as the
 * page received them; `reached(n)` resolves once n events were acknowledged.
 */
function watchAnswers(page: Page, collectorUrl: string) {
  let events = 0;
  const statuses: number[] = [];
  const paths = new Set<string>();
  const waiting: { n: number; resolve: () => void }[] = [];
  page.on('response', (res: Response) => {
    if (!res.url().startsWith(collectorUrl) || res.request().method() !== 'POST') return;
    statuses.push(res.status());
    paths.add(new URL(res.url()).pathname + (new URL(res.url()).searchParams.has('writeKey') ? '?writeKey=' : ''));
    if (!res.ok()) return;
    const parsed = JSON.parse(res.request().postData() ?? '{}') as { batch?: unknown[] };
    events += Array.isArray(parsed.batch) ? parsed.batch.length : 1;
    for (const w of waiting) if (events >= w.n) w.resolve();
  });
  return {
    statuses,
    paths,
    reached: (n: number) => new Promise<void>((resolve) => (events >= n ? resolve() : waiting.push({ n, resolve }))),
  };
}

async function journey(page: Page, options: object, userId: string, collectorUrl: string): Promise<{ from: number; to: number }> {
  return page.evaluate(
    async ({ writeKey, dataPlaneUrl, options, calls, userId }) => {
      const w = window as unknown as { RudderAnalytics: new () => Record<string, (...args: unknown[]) => void> };
      const analytics = new w.RudderAnalytics();
      // What a shop writes: write key, the collector as data plane and as config URL.
      analytics.load(writeKey, dataPlaneUrl, { configUrl: dataPlaneUrl, ...options });
      await new Promise<void>((resolve) => analytics.ready(resolve));
      const from = Date.now();
      analytics.page(calls.page.name, calls.page.properties);
      analytics.track(calls.track.event, calls.track.properties);
      analytics.identify(userId, calls.identify.traits);
      analytics.group(calls.group.groupId, calls.group.traits);
      analytics.alias(userId, calls.alias.previousId);
      return { from, to: Date.now() };
    },
    { writeKey: WRITE_KEY, dataPlaneUrl: collectorUrl, options, calls: CALLS, userId },
  );
}

describe('@rudderstack/analytics-js in Chromium', () => {
  it.each([
    ['XHR, one event per request', {}, ['/v1/alias', '/v1/group', '/v1/identify', '/v1/page', '/v1/track']],
    ['beacon, batches to /beacon/v1/batch', { useBeacon: true, beaconQueueOptions: { flushQueueInterval: 500 } }, ['/beacon/v1/batch?writeKey=']],
  ])('loads its source config from the collector and stores every call type once, stitched (%s)', async (_name, options, paths) => {
    shop = await openShop(script, '');
    const { page, collector } = shop;
    const answers = watchAnswers(page, collector.url);
    const userId = `cus-rudder-${Object.keys(options).length}`;
    const { from } = await journey(page, options, userId, collector.url);
    // Delivery is asynchronous: wait for the collector's answers for all five events.
    await answers.reached(TYPES.length);
    const to = Date.now();
    await expectJourney(collector, { types: TYPES, userId, library: 'RudderLabs JavaScript SDK', from, to });
    expect(answers.statuses.every((s) => s === 200)).toBe(true);
    expect([...answers.paths].sort()).toEqual(paths);
    expect(shop.offsite).toEqual([]);
    expect(shop.errors).toEqual([]);
  });
});
