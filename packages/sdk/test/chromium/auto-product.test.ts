// spur-jsonld.js in real Chromium: spur.js alone imports the chunk (served by the collector beside
// it) on a page with JSON-LD, and not on one without or with data-auto-product="false"; the chunk
// records Product Viewed from the page's JSON-LD once the page settled, once per page view (also
// with the chunk's own tag beside spur.js), again after an SPA navigation to another product,
// never when the shop recorded the product view itself (before or after the chunk loaded).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { built, spurLoaded, useHarness, type Harness, type PageOptions } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Browser;
useHarness((s) => ({ h, browser } = s));

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/jsonld', `${name}.html`), 'utf8');
const chunk = (attributes = '') => `<script async src="/spur-jsonld.js"${attributes}></script>`;

/** The Product Viewed events the collector stored for the page's visitor, in order, with their page URL. */
async function viewed(page: Page): Promise<{ properties: Record<string, unknown>; url: string }[]> {
  const { anonymousId } = await page.evaluate(() => (window as any).spur.user());
  const events = (await h.storage.getProfileEvents(anonymousId)) ?? [];
  return events
    .filter((e) => e.event === 'Product Viewed')
    .map((e) => ({ properties: e.properties as Record<string, unknown>, url: String(e.context?.page?.url) }));
}

/** Paths of the chunks each page requested. */
const requested = new WeakMap<Page, string[]>();

async function open(o: PageOptions, query = ''): Promise<Page> {
  const page = await browser.newPage();
  const chunks: string[] = [];
  requested.set(page, chunks);
  page.on('request', (r) => new URL(r.url()).pathname.startsWith('/spur-') && chunks.push(new URL(r.url()).pathname));
  await page.goto(h.pageUrl({ init: { flushInterval: 100 }, ...o }) + query);
  await spurLoaded(page);
  return page;
}

const flush = (page: Page) => page.evaluate(() => (window as any).spur.flush());

/** Records a Marker event after what the page recorded so far and waits until the collector stored it. */
async function marker(page: Page): Promise<void> {
  const before = h.delivered().filter((n) => n === 'Marker').length;
  await page.evaluate(() => (window as any).spur.track('Marker'));
  await flush(page);
  await h.until(() => h.delivered().filter((n) => n === 'Marker').length > before);
}

(built ? describe : describe.skip)('spur-jsonld.js', () => {
  it('records Product Viewed from a Shopify-style page with only the spur.js tag, for the variant in the URL, once the page settled', async () => {
    const page = await open({ body: fixture('shopify') }, '&variant=40002');
    await page.waitForTimeout(1500); // the load event, then SETTLE (1 s)
    await marker(page);
    const events = await viewed(page);
    expect(events.map((e) => e.properties)).toEqual([
      { product_id: 'HRJ-BLUE-M', sku: 'HRJ-RED-L', name: 'Harbour Rain Jacket', brand: 'Fjord Outfitters', category: 'Jackets', price: 139, currency: 'EUR' },
    ]);
    expect(requested.get(page)).toEqual(['/spur-jsonld.js']);
    await page.close();
  });

  it("records it once with the chunk's own tag beside spur.js too", async () => {
    const page = await open({ body: fixture('shopify') + chunk() }, '&variant=40002&both=1');
    await page.waitForTimeout(1500);
    await page.evaluate(() => history.pushState(null, '', location.href + '&reviews=1')); // same product, both copies settle again
    await page.waitForTimeout(1500);
    await marker(page);
    expect((await viewed(page)).map((e) => e.properties.sku)).toEqual(['HRJ-RED-L']);
    await page.close();
  });

  it('requests no chunk on a page without JSON-LD', async () => {
    const page = await open({ body: '<p>No product here.</p>' }, '&none=1');
    await page.waitForTimeout(1500);
    await marker(page);
    expect(await viewed(page)).toEqual([]);
    expect(requested.get(page)).toEqual([]);
    await page.close();
  });

  it('leaves a page alone whose shop called productViewed() itself, before or after the chunk loaded', async () => {
    for (const when of ['early', 'late']) {
      const page = await open({ body: fixture('magento') }, `&case=${when}`);
      const own = () => page.evaluate(() => (window as any).spur.productViewed({ product_id: 'own', name: 'The shop said so' }));
      if (when === 'early') await own();
      else await page.waitForTimeout(300).then(own); // after load, before the page settled
      await page.waitForTimeout(1500);
      await marker(page);
      expect((await viewed(page)).map((e) => e.properties.product_id)).toEqual(['own']);
      await page.close();
    }
  });

  it('records again after an SPA navigation to another product, not for the same one', async () => {
    const page = await open({ body: fixture('woocommerce') }, '&spa=1');
    await page.waitForTimeout(1500);
    await page.evaluate(() => history.pushState(null, '', location.href + '&reviews=1')); // same product
    await page.waitForTimeout(1500);
    await page.evaluate((html) => {
      for (const s of document.querySelectorAll('script[type="application/ld+json"]')) s.remove();
      const holder = document.createElement('div');
      holder.innerHTML = html;
      for (const s of holder.querySelectorAll('script')) {
        const copy = document.createElement('script');
        copy.type = 'application/ld+json';
        copy.textContent = s.textContent;
        document.body.append(copy);
      }
      history.pushState(null, '', location.href + '&next=1');
    }, fixture('shopware'));
    await page.waitForTimeout(1500);
    await flush(page);
    await marker(page);
    const events = await viewed(page);
    expect(events.map((e) => [e.properties.product_id, /next=1/.test(e.url)])).toEqual([
      ['TEA-SEN-100', false],
      ['SW10042', true],
    ]);
    await page.close();
  });

  it('records nothing with data-auto-product="false", and requests no chunk', async () => {
    const page = await open({ data: { 'auto-product': 'false' }, body: fixture('shopware') }, '&off=1');
    await page.waitForTimeout(1500);
    await marker(page);
    expect(await viewed(page)).toEqual([]);
    expect(requested.get(page)).toEqual([]);
    await page.close();
  });

  it('records nothing with data-auto-product="false" on spur.js when the chunk has its own tag', async () => {
    const page = await open({ data: { 'auto-product': 'false' }, body: fixture('shopware') + chunk() }, '&off=2');
    await page.waitForTimeout(1500);
    await marker(page);
    expect(await viewed(page)).toEqual([]);
    await page.close();
  });
});
