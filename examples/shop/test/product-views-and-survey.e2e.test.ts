// The demo shop's product views without code and its exit survey, in real Chromium against a real
// collector (stack.js): a product page records Product Viewed from the JSON-LD the shop's server
// renders, once per page view, with the product's fields; a visitor who leaves with a full cart
// through the top of the window is asked the shop's question, and the answer is stored with the
// cart. What the collector stored is read back through the admin API.
import { launchChromium } from '@spur/journeys';
import type { Browser, BrowserContext, Page } from 'playwright';

// stack.js is the shop's plain-JS helper; typed here because the test project has no allowJs.
const { startStack } = require('../stack') as {
  startStack(): Promise<{ shopUrl: string; collectorUrl: string; adminToken: string; close(): Promise<void> }>;
};

jest.setTimeout(90_000);

type Sent = { event?: string; type: string; properties?: Record<string, unknown> };

let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let context: BrowserContext;
/** Every event the page's browser sent to the collector. */
let sent: Sent[];
/** Waiters for events the browser has yet to send, told from the request listener. */
let waiters: { check(): boolean; done(): void }[];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

beforeEach(async () => {
  sent = [];
  waiters = [];
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.on('request', (request) => {
    if (!request.url().startsWith(`${stack.collectorUrl}/v1/`) || request.method() !== 'POST') return;
    const body = request.postDataJSON() as { batch?: Sent[] } | Sent;
    sent.push(...('batch' in body && Array.isArray(body.batch) ? body.batch : [body as Sent]));
    waiters = waiters.filter((w) => !(w.check() && (w.done(), true)));
  });
});

afterEach(() => context.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the browser has sent `count` events named `name` (rejects after 10 s). */
function sentAtLeast(name: string, count = 1): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => named(name).length >= count;
    if (check()) return resolve();
    const timer = setTimeout(() => reject(new Error(`gave up waiting for ${name} × ${count}; sent: ${sent.map((e) => e.event ?? e.type).join(', ')}`)), 10_000);
    waiters.push({ check, done: () => (clearTimeout(timer), resolve()) });
  });
}

const named = (name: string) => sent.filter((e) => e.event === name);

/** The events the collector stored for the page's visitor, in time order (after a flush). */
async function stored(page: Page): Promise<Sent[]> {
  const { anonymousId } = await page.evaluate(() => (window as unknown as { spur: { user(): { anonymousId: string } } }).spur.user());
  await page.evaluate(() => (window as unknown as { spur: { flush(): Promise<void> } }).spur.flush());
  const res = await fetch(`${stack.collectorUrl}/v1/profiles/${encodeURIComponent(anonymousId)}/events`, {
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: Sent[] }).events;
}

describe('product pages: Product Viewed from the JSON-LD the shop renders', () => {
  it('records the product shown, once per page view, without a call in the shop’s code', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.shopUrl}/product.html?id=p-grinder`);
    await page.getByTestId('product-name').waitFor();
    await sentAtLeast('Product Viewed');
    // Long past the moment the markup is read: nothing more comes, not even after an add to cart.
    await page.getByTestId('add-to-cart').click();
    await sentAtLeast('Product Added');
    // The visitor reads on: a second view of the same page view would leave meanwhile.
    await sleep(2_500);
    expect(named('Product Viewed')).toHaveLength(1);
    expect(named('Product Viewed')[0].properties).toMatchObject({
      product_id: 'p-grinder',
      sku: 'EQ-GRD-0100',
      name: 'Hand Grinder',
      brand: 'Brewlab',
      category: 'Equipment',
      price: 79,
      currency: 'EUR',
    });

    // Another product page: its own product, once.
    await page.getByTestId('home-link').click();
    await page.getByTestId('product-link-p-kettle').click();
    await page.getByTestId('product-name').waitFor();
    await sentAtLeast('Product Viewed', 2);
    await sleep(2_000);
    expect(named('Product Viewed').map((e) => e.properties?.product_id)).toEqual(['p-grinder', 'p-kettle']);
    const views = (await stored(page)).filter((e) => e.event === 'Product Viewed');
    expect(views.map((e) => [e.properties?.product_id, e.properties?.name])).toEqual([
      ['p-grinder', 'Hand Grinder'],
      ['p-kettle', 'Gooseneck Kettle'],
    ]);
  });
});

describe('the exit survey on the demo shop', () => {
  /** The pointer leaves the page through its top edge, as the browser reports it. */
  const exit = (page: Page) =>
    page.evaluate(() => document.documentElement.dispatchEvent(new MouseEvent('mouseout', { bubbles: true, clientY: -2, relatedTarget: null })));
  const dialog = (page: Page) => page.locator('[data-spur-survey]').getByRole('dialog');

  /** Exit intent until the dialog shows (the survey's code loads asynchronously), at most 10 s. */
  async function leaveUntilAsked(page: Page): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      await exit(page);
      try {
        await dialog(page).waitFor({ timeout: 500 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  it('asks a visitor who leaves the cart page with a full cart, and stores the answer with the cart', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.shopUrl}/product.html?id=p-mug`);
    await page.getByTestId('quantity').fill('2');
    await page.getByTestId('add-to-cart').click();
    await page.getByTestId('cart-count').filter({ hasText: '2' }).waitFor();
    await page.getByTestId('cart-link').click();
    await page.getByTestId('cart-line-p-mug').waitFor();

    await leaveUntilAsked(page);
    expect(await page.getByRole('dialog', { name: 'What stopped you today?' }).count()).toBe(1);
    for (const label of ['Shipping too expensive', 'Just looking', 'Found it cheaper elsewhere', 'Payment method missing']) {
      expect(await page.getByRole('radio', { name: label }).count()).toBe(1);
    }
    await page.getByRole('radio', { name: 'Shipping too expensive' }).check();
    await page.getByRole('textbox', { name: 'Anything else? (optional)' }).fill('Free shipping from 50 EUR is too high for two mugs');
    await page.getByRole('button', { name: 'Send' }).click();
    await dialog(page).waitFor({ state: 'detached' });

    const cart = { survey_id: 'exit-cart', question: 'What stopped you today?', cart_value: 32, currency: 'EUR', items: 1 };
    await sentAtLeast('Survey Answered');
    const survey = (await stored(page)).filter((e) => String(e.event).startsWith('Survey'));
    expect(survey).toMatchObject([
      { event: 'Survey Shown', properties: cart },
      { event: 'Survey Answered', properties: { ...cart, answer: 'shipping_costs', text: 'Free shipping from 50 EUR is too high for two mugs' } },
    ]);
    // Asked once: leaving again asks nothing.
    await exit(page);
    await sleep(1_000);
    expect(await dialog(page).count()).toBe(0);
  });

  it('asks nobody with an empty cart', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.shopUrl}/product.html?id=p-mug`);
    await page.getByTestId('product-name').waitFor();
    await sentAtLeast('Product Viewed');
    for (let i = 0; i < 5; i++) await exit(page), await sleep(300);
    expect(await dialog(page).count()).toBe(0);
    expect(named('Survey Shown')).toEqual([]);
  });
});
