// The one spur.js tag, with the collector on another origin than the shop and a strict CSP
// (script-src 'self' plus the collector's origin; connect-src the collector): spur.js imports
// spur-jsonld.js and spur-survey.js (which imports spur-survey-dialog.js) from beside itself, as
// cross-origin modules (the collector serves them with CORS), and nothing of spur's is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright';
import { built, spurLoaded, useHarness, type Harness } from './harness';

jest.setTimeout(60000);

let h: Harness;
let browser: Parameters<Parameters<typeof useHarness>[0]>[0]['browser'];
useHarness((s) => ({ h, browser } = s), { harness: { otherOrigin: true } });

const survey = { id: 'why-leave', question: 'What stops you?', options: [{ value: 'price', label: 'The price' }] };
const fixture = readFileSync(join(__dirname, '../fixtures/jsonld', 'shopify.html'), 'utf8');

const stored = async (page: Page, prefix: string) => {
  const { anonymousId } = await page.evaluate(() => (window as any).spur.user());
  return ((await h.storage.getProfileEvents(anonymousId)) ?? []).map((e) => String(e.event)).filter((n) => n.startsWith(prefix));
};

(built ? describe : describe.skip)('spur.js loading its chunks', () => {
  it("works cross-origin under a strict CSP (script-src 'self' and the collector)", async () => {
    const collector = new URL(h.collectorUrl).origin;
    expect(collector).not.toBe(new URL(h.shopUrl).origin);
    const csp = `default-src 'self'; script-src 'self' ${collector}; style-src 'self'; connect-src ${collector}`;
    const page = await browser.newPage();
    const violations: string[] = [];
    const chunks: string[] = [];
    page.on('console', (m) => /Content Security Policy/.test(m.text()) && violations.push(m.text()));
    page.on('request', (r) => r.url().startsWith(`${collector}/spur-`) && chunks.push(new URL(r.url()).pathname));
    await page.goto(h.pageUrl({ init: { flushInterval: 100 }, csp, data: { survey: JSON.stringify(survey) }, body: fixture }) + '&variant=40002');
    await spurLoaded(page);
    await page.waitForLoadState('load');
    await page.evaluate(() => (window as any).spur.productAdded({ product_id: 'p1', price: 5 }));
    await page.waitForFunction(() => (window as any).spur.W === 1);
    await page.evaluate(() =>
      document.documentElement.dispatchEvent(new MouseEvent('mouseout', { bubbles: true, clientY: -2, relatedTarget: null })),
    );
    await page.locator('[data-spur-survey]').getByRole('dialog').waitFor();
    await page.waitForTimeout(1200); // the JSON-LD chunk: the load event, then 1 s
    await page.evaluate(() => (window as any).spur.flush());
    await h.until(() => h.delivered().includes('Product Viewed') && h.delivered().includes('Survey Shown'));
    expect(await stored(page, 'Product Viewed')).toEqual(['Product Viewed']);
    expect(await stored(page, 'Survey')).toEqual(['Survey Shown']);
    expect(chunks.sort()).toEqual(['/spur-jsonld.js', '/spur-survey-dialog.js', '/spur-survey.js']);
    // The page's own inline stub is refused; nothing of spur's is.
    expect(violations.filter((v) => !/inline script/i.test(v))).toEqual([]);
    await page.close();
  });
});
