// The demo shop in real Chromium against a real collector, played by the journeys runner: a
// visitor browses, adds to cart, leaves; comes back an hour later on the same laptop, logs in and
// buys; a day later the same customer logs in on a phone. The runner checks the spec's
// expectations (one stitched profile with both devices, the events in order, the funnel); the
// tests below check what the run recorded in more detail: cookies, answers, every event the
// browsers sent stored exactly once, in time order.
import { launchChromium, parseJourney, playRun, describeFailure, type JourneySpec, type RunResult } from '@spur/journeys';
import type { Browser } from 'playwright';

// stack.js is the shop's plain-JS helper; typed here because the test project has no allowJs.
const { startStack } = require('../stack') as {
  startStack(): Promise<{ shopUrl: string; collectorUrl: string; adminToken: string; close(): Promise<void> }>;
};

const DAY = 86_400;
const PASSWORD = 'correct horse battery staple';

const login = (next: string) => [
  { click: 'data-testid=login-link' },
  { fill: 'data-testid=login-email', value: '{{email}}' },
  { fill: 'data-testid=login-password', value: PASSWORD },
  { click: 'data-testid=login-submit' },
  // The login page flushes identify before it navigates; the header then shows the customer.
  { waitFor: { url: next } },
  // Attached, not visible: narrow screens hide the email to make room.
  { waitFor: 'data-testid=account-email', text: '{{email}}', state: 'attached' as const },
];

const journey: JourneySpec = {
  name: 'Shop e2e: laptop, then phone',
  device: 'Desktop Chrome',
  vars: { email: { email: 'unique' } },
  visits: [
    {
      steps: [
        { goto: '/' },
        { waitFor: 'data-testid=product-grid' },
        { expectRequest: 'Product List Viewed' },
        { click: 'data-testid=product-link-p-grinder' },
        { waitFor: 'data-testid=product-name', text: 'Hand Grinder' },
        // spur records the view from the page's JSON-LD once the page has settled.
        { expectRequest: { event: 'Product Viewed', properties: { product_id: 'p-grinder' } } },
        { fill: 'data-testid=quantity', value: '2' },
        { click: 'data-testid=add-to-cart' },
        { waitFor: 'data-testid=cart-count', text: '2' },
      ],
    },
    {
      after: '1h',
      steps: [
        { goto: '/' },
        { waitFor: 'data-testid=product-grid' },
        ...login('/index.html'),
        { click: 'data-testid=cart-link' },
        { waitFor: 'data-testid=cart-line-p-grinder' },
        { click: 'data-testid=checkout' },
        { fill: 'data-testid=checkout-name', value: 'Ada Lovelace' },
        { fill: 'data-testid=checkout-address', value: '12 St James Square, London' },
        { click: 'data-testid=place-order' },
        { waitFor: { url: '/confirmation.html?order=' } },
        { waitFor: 'data-testid=order-id' },
      ],
    },
    {
      after: '1d',
      device: 'new',
      as: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
      steps: [
        { goto: '/' },
        ...login('/index.html'),
        { click: 'data-testid=product-link-p-kettle' },
        { waitFor: 'data-testid=product-name', text: 'Gooseneck Kettle' },
        { expectRequest: { event: 'Product Viewed', properties: { product_id: 'p-kettle' } } },
      ],
    },
  ],
  expect: {
    events: [
      'Product List Viewed',
      { event: 'Product Viewed', properties: { product_id: 'p-grinder', name: 'Hand Grinder', price: 79, currency: 'EUR' } },
      { event: 'Product Added', properties: { product_id: 'p-grinder', quantity: 2 } },
      'identify',
      'Checkout Started',
      { event: 'Order Completed', properties: { total: 158, revenue: 158, currency: 'EUR', products: [{ product_id: 'p-grinder', quantity: 2, price: 79 }] } },
      'identify',
      { event: 'Product Viewed', properties: { product_id: 'p-kettle' } },
    ],
    profile: { customerId: true, devices: 2 },
    funnel: { steps: ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'], reached: 4 },
  },
};

let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let run: RunResult;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  run = await playRun(browser, parseJourney(journey, 'examples/shop/test/shop.e2e.test.ts'), 1, {
    baseUrl: stack.shopUrl,
    collectorUrl: stack.collectorUrl,
    adminToken: stack.adminToken,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const [laptop, phone] = [0, 1].map((i) => () => run.devices[i]);
const cookie = (device: RunResult['devices'][number], name: string) => device.cookies.find((c) => c.name === name);

describe('the demo shop in real Chromium, through the journeys runner', () => {
  it('plays the journey and meets its expectations', () => {
    expect(run.failures.map((f) => describeFailure(run, f))).toEqual([]);
    expect(run.visits.map((v) => v.device)).toEqual([1, 1, 2]);
  });

  it('keeps the visitor id in a first-party spur_aid cookie for 400 days, SameSite=Lax', () => {
    const aid = cookie(laptop(), 'spur_aid')!;
    expect(aid.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(aid.sameSite).toBe('Lax');
    const lifetime = aid.expires - aid.readAt / 1000;
    expect(lifetime).toBeGreaterThan(399 * DAY);
    expect(lifetime).toBeLessThanOrEqual(400 * DAY + 60);
  });

  it('recognises the returning visitor: the second visit keeps the same anonymous id, the phone has its own', () => {
    expect(laptop().anonymousIds).toHaveLength(1);
    expect(phone().anonymousIds).toHaveLength(1);
    expect(phone().anonymousIds[0]).not.toBe(laptop().anonymousIds[0]);
    // The return an hour later is a new session on the same visitor.
    const sessions = (visit: number) =>
      new Set(run.requests.filter((r) => r.device === 1 && r.visit === visit).flatMap((r) => r.events.map((e) => (e.context as { sessionId?: string })?.sessionId)));
    expect(sessions(1).size).toBe(1);
    expect(sessions(2).size).toBe(1);
    expect([...sessions(2)][0]).not.toBe([...sessions(1)][0]);
  });

  it('gets 200 for every batch the browsers send, or resends what a page leaving cut off', () => {
    expect(run.requests.length).toBeGreaterThan(0);
    // A batch in flight when its page navigates away is aborted by the browser (net::ERR_ABORTED)
    // before any answer: its events stay in the outbox and leave again with a later batch.
    const answered = new Set(run.requests.filter((r) => r.status === 200).flatMap((r) => r.events.map((e) => e.messageId)));
    const lost = run.requests
      .filter((r) => r.status !== 200)
      .filter((r) => r.failure !== 'net::ERR_ABORTED' || r.events.some((e) => !answered.has(e.messageId)));
    expect(lost).toEqual([]);
  });

  it("stitches both devices' anonymous ids into the customer's profile", () => {
    expect(run.userIds).toHaveLength(1);
    const [customerId] = run.userIds;
    expect(customerId).toMatch(/^cus_[0-9a-f]{16}$/);
    expect(run.profiles).toHaveLength(1);
    expect(run.profiles[0]).toMatchObject({ id: customerId, customerId });
    expect([...run.profiles[0].anonymousIds].sort()).toEqual([...laptop().anonymousIds, ...phone().anonymousIds].sort());
  });

  it("puts the product view and add-to-cart from before the login in the customer's timeline", () => {
    const identify = run.events.find((e) => e.type === 'identify')!;
    const before = run.events.filter((e) => e.anonymousId === laptop().anonymousIds[0] && !e.userId && e.timestamp <= identify.timestamp);
    expect(before.map((e) => e.event ?? e.type)).toEqual(expect.arrayContaining(['Product List Viewed', 'Product Viewed', 'Product Added']));
  });

  it('records the order exactly once, with the id the browser sent', () => {
    const orders = run.events.filter((e) => e.event === 'Order Completed');
    expect(orders).toHaveLength(1);
    const sent = run.requests.flatMap((r) => r.events).filter((e) => e.event === 'Order Completed');
    expect(new Set(sent.map((e) => (e.properties as { order_id: string }).order_id))).toEqual(new Set([(orders[0].properties as { order_id: string }).order_id]));
    expect((orders[0].properties as { order_id: string }).order_id).toMatch(/^SHOP-[0-9A-Z]+-[0-9A-Z]{4}$/);
  });

  it('stores every event the browsers sent exactly once, in time order', () => {
    const ids = run.events.map((e) => e.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const sent = new Set(run.requests.flatMap((r) => r.events.map((e) => e.messageId as string)));
    expect([...sent].filter((id) => !ids.includes(id))).toEqual([]);
    expect(run.profiles[0].eventCount).toBe(ids.length);
    const times = run.events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
