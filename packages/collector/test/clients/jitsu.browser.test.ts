// Jitsu's library (@jitsu/js), bundled from npm, in Chromium on a shop page: one JSON event per
// fetch to /api/s/<type>, the write key as `key:secret` in X-Write-Key (so a preflight first).
import { bundle, closeBrowser, openShop, type ShopPage } from './browser';
import { CALLS, WRITE_KEY, expectJourney, type CallType } from './collector';

const ENTRY = `import { jitsuAnalytics } from '@jitsu/js'; window.jitsuAnalytics = jitsuAnalytics;`;
// Jitsu's client has no screen or alias call.
const TYPES: CallType[] = ['page', 'track', 'identify', 'group'];

let script: string;
let shop: ShopPage | undefined;
beforeAll(async () => {
  script = await bundle('@jitsu/js', ENTRY);
});
afterEach(async () => {
  await shop?.close();
  shop = undefined;
});
afterAll(() => closeBrowser());

describe('@jitsu/js in Chromium', () => {
  it('stores every call type once, stitched', async () => {
    shop = await openShop(script, '');
    const { page, collector } = shop;
    const paths: string[] = [];
    page.on('request', (req) => {
      if (req.url().startsWith(collector.url) && req.method() === 'POST') paths.push(new URL(req.url()).pathname);
    });
    const { from, to, failures } = await page.evaluate(
      async ({ host, writeKey, calls, userId }) => {
        const failures: string[] = [];
        const w = window as unknown as { jitsuAnalytics(options: object): Record<string, (...args: unknown[]) => Promise<unknown>> };
        // What a shop writes: the collector as host, its write key (any secret after the ':').
        const analytics = w.jitsuAnalytics({ host, writeKey, errorPolicy: (message: string) => failures.push(message) });
        const from = Date.now();
        // Each call resolves once the collector answered it.
        await analytics.page(calls.page.name, calls.page.properties);
        await analytics.track(calls.track.event, calls.track.properties);
        await analytics.identify(userId, calls.identify.traits);
        await analytics.group(calls.group.groupId, calls.group.traits);
        return { from, to: Date.now(), failures };
      },
      { host: collector.url, writeKey: `${WRITE_KEY}:browser-secret`, calls: CALLS, userId: 'cus-jitsu-web' },
    );
    expect(failures).toEqual([]);
    expect(paths.sort()).toEqual(['/api/s/group', '/api/s/identify', '/api/s/page', '/api/s/track']);
    await expectJourney(collector, { types: TYPES, userId: 'cus-jitsu-web', library: '@jitsu/js', pageName: 'properties', from, to });
    expect(shop.offsite).toEqual([]);
    expect(shop.errors).toEqual([]);
  });
});
