// The demo shop in real Chromium against a real collector: a visitor browses, adds to cart, leaves,
// comes back, logs in and buys; later the same customer logs in on a second device. Then the
// admin API must show one stitched profile with both devices, the anonymous history before login,
// the order once, and every event the browsers sent exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, openStorage, startServer } from '@spur/collector';
import { launchChromium } from '@spur/journeys';
import type { Browser, BrowserContext, Cookie, Page, Response } from 'playwright';

// server.js is the shop's plain-JS server; typed here because the test project has no allowJs.
const { createShopApp } = require('../server') as {
  createShopApp(options: { collectorUrl?: string; writeKey?: string }): http.RequestListener;
};

const WRITE_KEY = 'e2e';
const ADMIN_TOKEN = 'e2e-admin-token';
const EMAIL = 'Ada.Lovelace@example.com';
const DAY = 86_400;

interface StoredEvent {
  type: string;
  messageId: string;
  anonymousId?: string;
  userId?: string;
  event?: string;
  timestamp: string;
  properties?: Record<string, unknown>;
}

interface Profile {
  id: string;
  customerId: string | null;
  anonymousIds: string[];
  eventCount: number;
}

/** What one browser context (device) sent to the collector and how the collector answered. */
interface Traffic {
  sent: string[];
  statuses: number[];
}

let dir: string;
let storage: Awaited<ReturnType<typeof openStorage>>;
let collector: Awaited<ReturnType<typeof startServer>>;
let shopServer: http.Server;
let browser: Browser;
let collectorUrl: string;
let shopUrl: string;

const isBatch = (response: Response) => response.url() === `${collectorUrl}/v1/batch`;
const isBatchOk = (response: Response) => isBatch(response) && response.status() === 200;

/** Records the messageIds of every batch a device sends, and every answer it gets. */
function watch(context: BrowserContext): Traffic {
  const traffic: Traffic = { sent: [], statuses: [] };
  context.on('request', (request) => {
    if (request.url() !== `${collectorUrl}/v1/batch` || request.method() !== 'POST') return;
    const body = JSON.parse(request.postData() ?? '{}') as { batch?: { messageId: string }[] };
    for (const event of body.batch ?? []) traffic.sent.push(event.messageId);
  });
  context.on('response', (response) => {
    if (isBatch(response)) traffic.statuses.push(response.status());
  });
  return traffic;
}

/**
 * Resolves when the async SDK has loaded and what it holds has been answered. flush() also
 * resolves when its timeout passes, so give it a long one: a slow machine must not turn into
 * missing events (the admin API checks below would catch those either way).
 */
async function flush(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as any).spur?.flush === 'function');
  await page.evaluate(() => (window as any).spur.flush(30_000));
}

async function openShop(page: Page, path: string): Promise<void> {
  await page.goto(`${shopUrl}${path}`);
}

async function logIn(page: Page, email: string): Promise<void> {
  await page.getByTestId('login-link').click();
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill('correct horse battery staple');
  await page.getByTestId('login-submit').click();
  // The login page flushes identify before it navigates; the header then shows the customer.
  await page.waitForURL(`${shopUrl}/index.html`);
  await page.getByTestId('logout').waitFor();
  // Attached, not visible: narrow screens hide the email to make room.
  await page.getByTestId('account-email').filter({ hasText: email }).waitFor({ state: 'attached' });
}

async function expectText(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: text }).waitFor();
}

async function admin<T>(path: string): Promise<T> {
  const response = await fetch(`${collectorUrl}${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const aidOf = (cookies: Cookie[]) => cookies.find((c) => c.name === 'spur_aid');

// Filled by the journey in beforeAll; each test below checks one promise about it.
const journey = {
  laptop: { traffic: { sent: [], statuses: [] } as Traffic, aid: '', aidCookie: undefined as Cookie | undefined, aidAfterReturn: '' },
  phone: { traffic: { sent: [], statuses: [] } as Traffic, aid: '' },
  customerId: '',
  orderId: '',
  profile: undefined as Profile | undefined,
  profileByAnonymousId: undefined as Profile | undefined,
  events: [] as StoredEvent[],
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-e2e-'));

  // The shop listens first: its origin is what the collector's write key must allow.
  shopServer = http.createServer();
  await new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shopServer.address() as AddressInfo).port}`;

  storage = await openStorage({ db: join(dir, 'spur.db') });
  const app = createCollector({
    storage,
    writeKeys: { [WRITE_KEY]: [shopUrl] },
    adminToken: ADMIN_TOKEN,
    clientClock: 'trust',
  });
  collector = await startServer(app, { port: 0, host: '127.0.0.1', storage });
  collectorUrl = `http://127.0.0.1:${collector.port}`;
  shopServer.on('request', createShopApp({ collectorUrl, writeKey: WRITE_KEY }));

  browser = await launchChromium();
  await playJourney();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (shopServer) {
    shopServer.closeAllConnections();
    await new Promise((resolve) => shopServer.close(resolve));
  }
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function playJourney(): Promise<void> {
  // Device 1, visit 1: browse the grid, open a product, add it to the cart, leave.
  const laptop = await browser.newContext();
  journey.laptop.traffic = watch(laptop);
  let page = await laptop.newPage();
  // The first batch (page view + product list) leaves on the SDK's timer or on flush.
  const firstBatch = page.waitForResponse(isBatchOk);
  await openShop(page, '/');
  await page.getByTestId('product-grid').waitFor();
  await flush(page);
  await firstBatch;

  await page.getByTestId('product-link-p-grinder').click();
  await expectText(page, 'product-name', 'Hand Grinder');
  await page.getByTestId('quantity').fill('2');
  await page.getByTestId('add-to-cart').click();
  await expectText(page, 'cart-count', '2');
  journey.laptop.aidCookie = aidOf(await laptop.cookies());
  journey.laptop.aid = journey.laptop.aidCookie?.value ?? '';
  // Leave without waiting for the SDK: what it has not sent yet waits in IndexedDB.
  await page.close();

  // Device 1, visit 2 (same cookies and storage): come back, log in, buy.
  page = await laptop.newPage();
  await openShop(page, '/');
  await page.getByTestId('product-grid').waitFor();
  await flush(page);
  journey.laptop.aidAfterReturn = aidOf(await laptop.cookies())?.value ?? '';

  await logIn(page, EMAIL);
  journey.customerId = await page.evaluate(() => (window as any).shop.getCustomer().id);

  await page.getByTestId('cart-link').click();
  await page.getByTestId('cart-line-p-grinder').waitFor();
  await page.getByTestId('checkout').click();
  await page.getByTestId('checkout-name').fill('Ada Lovelace');
  await page.getByTestId('checkout-address').fill('12 St James Square, London');
  const orderAnswered = page.waitForResponse(
    (response) => isBatchOk(response) && (response.request().postData() ?? '').includes('"Order Completed"'),
  );
  await page.getByTestId('place-order').click();
  await orderAnswered;
  await page.waitForURL(/\/confirmation\.html\?order=/);
  journey.orderId = (await page.getByTestId('order-id').textContent()) ?? '';
  await flush(page);

  // Device 2: the same customer logs in on another browser and browses.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  journey.phone.traffic = watch(phone);
  const mobile = await phone.newPage();
  await openShop(mobile, '/');
  await logIn(mobile, EMAIL);
  await mobile.getByTestId('product-link-p-kettle').click();
  await expectText(mobile, 'product-name', 'Gooseneck Kettle');
  await flush(mobile);
  journey.phone.aid = aidOf(await phone.cookies())?.value ?? '';

  // Both devices are quiet now; read what the collector made of it.
  await flush(page);
  journey.profile = await admin<Profile>(`/v1/profiles/${encodeURIComponent(journey.customerId)}`);
  journey.profileByAnonymousId = await admin<Profile>(`/v1/profiles/${encodeURIComponent(journey.laptop.aid)}`);
  journey.events = (await admin<{ events: StoredEvent[] }>(`/v1/profiles/${encodeURIComponent(journey.customerId)}/events`)).events;
  await laptop.close();
  await phone.close();
}

describe('the demo shop in real Chromium', () => {
  it('keeps the visitor id in a first-party spur_aid cookie for 400 days, SameSite=Lax', () => {
    const cookie = journey.laptop.aidCookie;
    expect(cookie).toBeDefined();
    expect(cookie!.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(cookie!.sameSite).toBe('Lax');
    const lifetime = cookie!.expires - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(399 * DAY);
    expect(lifetime).toBeLessThanOrEqual(400 * DAY + 60);
  });

  it('recognises the returning visitor: the second visit keeps the same anonymous id', () => {
    expect(journey.laptop.aidAfterReturn).toBe(journey.laptop.aid);
    expect(journey.phone.aid).not.toBe('');
    expect(journey.phone.aid).not.toBe(journey.laptop.aid);
  });

  it('gets 200 for every batch the browsers send', () => {
    const statuses = [...journey.laptop.traffic.statuses, ...journey.phone.traffic.statuses];
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it("stitches both devices' anonymous ids into the customer's profile", () => {
    expect(journey.customerId).toMatch(/^cus_[0-9a-f]{16}$/);
    expect(journey.profile).toMatchObject({ id: journey.customerId, customerId: journey.customerId });
    expect([...journey.profile!.anonymousIds].sort()).toEqual([journey.laptop.aid, journey.phone.aid].sort());
    // Any anonymous id of the profile finds the same profile.
    expect(journey.profileByAnonymousId).toMatchObject({ id: journey.customerId });
  });

  it("puts the product view and add-to-cart from before the login in the customer's timeline", () => {
    const identify = journey.events.find((e) => e.type === 'identify' && e.userId === journey.customerId);
    expect(identify).toBeDefined();
    const beforeLogin = journey.events.filter(
      (e) => e.anonymousId === journey.laptop.aid && !e.userId && e.timestamp <= identify!.timestamp,
    );
    const viewed = beforeLogin.find((e) => e.event === 'Product Viewed');
    const added = beforeLogin.find((e) => e.event === 'Product Added');
    expect(viewed?.properties).toMatchObject({ product_id: 'p-grinder', name: 'Hand Grinder', price: 79, currency: 'EUR' });
    expect(added?.properties).toMatchObject({ product_id: 'p-grinder', quantity: 2 });
    expect(beforeLogin.some((e) => e.event === 'Product List Viewed')).toBe(true);
    // And the second device's browsing is there too.
    expect(journey.events.some((e) => e.anonymousId === journey.phone.aid && e.event === 'Product Viewed')).toBe(true);
  });

  it('records the order exactly once, with the id the shop showed', () => {
    const orders = journey.events.filter((e) => e.event === 'Order Completed');
    expect(orders).toHaveLength(1);
    expect(orders[0].properties).toMatchObject({
      order_id: journey.orderId,
      total: 158,
      revenue: 158,
      currency: 'EUR',
      products: [expect.objectContaining({ product_id: 'p-grinder', quantity: 2, price: 79 })],
    });
  });

  it('stores every event the browsers sent exactly once, in time order', () => {
    const ids = journey.events.map((e) => e.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const sent = new Set([...journey.laptop.traffic.sent, ...journey.phone.traffic.sent]);
    expect([...sent].filter((id) => !ids.includes(id))).toEqual([]);
    expect(journey.profile!.eventCount).toBe(ids.length);
    const times = journey.events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
