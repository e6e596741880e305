// The demo shop on a phone, in real Chromium: 412 CSS pixels wide (a Pixel 7), touch, a mobile
// viewport. No page may scroll sideways, with a full cart (long names, four-figure prices, the
// largest quantities) and a customer with a long email logged in: every page's document is at
// most as wide as the screen.
import { launchChromium } from '@spur/journeys';
import { devices, type Browser, type BrowserContext, type Page } from 'playwright';

// stack.js is the shop's plain-JS helper; typed here because the test project has no allowJs.
const { startStack } = require('../stack') as {
  startStack(): Promise<{ shopUrl: string; close(): Promise<void> }>;
};

jest.setTimeout(120_000);

const WIDTH = 412;
// The most expensive products, and those with the longest names, at the largest quantity the page allows.
const CART = ['p-kettle', 'p-grinder', 'p-gift-box', 'p-pour-over', 'p-espresso-beans', 'p-cookies'];

let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  context = await browser.newContext({ ...devices['Pixel 7'], viewport: { width: WIDTH, height: 839 } });
  page = await context.newPage();
  for (const id of CART) {
    await page.goto(`${stack.shopUrl}/product.html?id=${id}`);
    await page.getByTestId('quantity').fill('20');
    await page.getByTestId('add-to-cart').click();
    await page.getByTestId('added-message').waitFor();
  }
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** How wide the page's document is: more than the screen means scrolling sideways. */
async function widthOf(path: string): Promise<number> {
  if (path) await page.goto(`${stack.shopUrl}${path}`);
  await page.waitForLoadState('load');
  // The pages render after loading products.json: wait for what they put in <main>.
  await page.locator('main > *').first().waitFor();
  return page.evaluate(() => document.documentElement.scrollWidth);
}

describe(`the shop at ${WIDTH} px with a full cart`, () => {
  it('has the cart the test filled: every product 20 times', async () => {
    await widthOf('/cart.html');
    for (const id of CART) expect(await page.getByTestId(`cart-qty-${id}`).textContent()).toBe('20');
  });

  it.each(['/', '/index.html?category=Equipment', '/product.html?id=p-pour-over', '/cart.html', '/checkout.html', '/login.html'])('%s fits the screen', async (path) => {
    expect(await widthOf(path)).toBeLessThanOrEqual(WIDTH);
  });

  it('fits the screen with a customer logged in, through checkout to the confirmation', async () => {
    await page.goto(`${stack.shopUrl}/login.html`);
    await page.getByTestId('login-email').fill('ada.augusta.king.countess.of.lovelace@example.test');
    await page.getByTestId('login-password').fill('secret');
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/\/index\.html/);
    expect(await widthOf('')).toBeLessThanOrEqual(WIDTH);
    for (const path of ['/cart.html', '/checkout.html']) expect(await widthOf(path)).toBeLessThanOrEqual(WIDTH);
    await page.getByTestId('checkout-name').fill('Ada Lovelace');
    await page.getByTestId('checkout-address').fill('12 St James Square, London');
    await page.getByTestId('place-order').click();
    await page.waitForURL(/\/confirmation\.html\?order=/);
    expect(await widthOf('')).toBeLessThanOrEqual(WIDTH);
  });
});
