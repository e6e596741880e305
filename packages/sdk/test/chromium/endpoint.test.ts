// Where the script tag sends, in real Chromium: to the script's own URL without `/spur.js`, so
// both a collector on its own origin (cross-origin for the shop) and one mounted under a path of
// the shop's app (`/spur/spur.js`) work with no data-endpoint; data-endpoint still overrides.
// Cross-origin requests are simple (text/plain, no preflight) and carry credentials.
import type { Browser } from 'playwright';
import { built, launch, spurLoaded, startHarness, type Harness } from './harness';

jest.setTimeout(60000);

let browser: Browser;
const harnesses: Harness[] = [];

beforeAll(async () => {
  if (built) browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  for (const h of harnesses) await h.close();
});

async function harness(options: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}

/** Opens the page, records one event, and resolves with the URLs and methods of its requests to /v1/batch. */
async function visit(h: Harness, o: Parameters<Harness['pageUrl']>[0] = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => r.url().includes('/v1/batch') && requests.push(`${r.method()} ${r.url()}`));
    await page.goto(h.pageUrl({ ...o, data: { 'auto-page': 'false', ...o.data } }));
    await spurLoaded(page);
    await page.evaluate(() => ((window as any).spur.track('Hello'), (window as any).spur.flush(5000)));
    return requests;
  } finally {
    await context.close();
  }
}

(built ? describe : describe.skip)('the default endpoint (dist/spur.js in Chromium)', () => {
  it('sends a script loaded from the collector’s origin there, cross-origin, without a preflight', async () => {
    const h = await harness({ otherOrigin: true });
    expect(new URL(h.collectorUrl).origin).not.toBe(h.shopUrl);
    const requests = await visit(h);
    expect(requests).toEqual([`POST ${h.collectorUrl}/v1/batch`]); // no OPTIONS
    expect(h.delivered()).toEqual(['Hello']);
    expect(h.arrivals[0].contentType).toMatch(/^text\/plain/);
  });

  it('sends a script loaded from /spur/spur.js (collector mounted in the shop’s app) to /spur', async () => {
    const h = await harness({ mount: '/spur' });
    expect(h.collectorUrl).toBe(`${h.shopUrl}/spur`);
    const requests = await visit(h);
    expect(requests).toEqual([`POST ${h.shopUrl}/spur/v1/batch`]);
    expect(h.delivered()).toEqual(['Hello']);
  });

  it('sends where data-endpoint says, over the script’s URL', async () => {
    const h = await harness({ mount: '/spur' });
    const other = await harness({ otherOrigin: true });
    // The page of `other`'s shop loads spur.js from h, but sends to other's collector.
    const requests = await visit(other, { src: `${h.collectorUrl}/spur.js`, data: { endpoint: other.collectorUrl } });
    expect(requests).toEqual([`POST ${other.collectorUrl}/v1/batch`]);
    expect(other.delivered()).toEqual(['Hello']);
    expect(h.arrivals).toEqual([]);
  });
});
