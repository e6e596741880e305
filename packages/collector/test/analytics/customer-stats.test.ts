// Customer statistics per stitched profile: identified customers and guests who ordered, orders
// and amounts per currency, first and last order, mean days between orders, channels and device
// types, products bought, carts abandoned and recovered, seen, events, sessions, devices.
import type { IdentityLink } from '../../src/rules/identity';
import { createAnalytics, type CartFields, type Fact } from '../../src/analytics';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 10, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const link = (anonymousId: string, userId: string, ms: number): IdentityLink => ({ anonymousId, userId, firstSeen: iso(ms) });
const MOBILE = { device: 'mobile', browser: 'Safari', os: 'iOS' };
const DESKTOP = { device: 'desktop', browser: 'Firefox', os: 'Linux' };
const BOT = { device: 'bot', browser: 'HeadlessChrome', os: 'Linux' };

// U: a phone (P, from a Google search) before identifying, a laptop (L, direct) after; an order
//    in EUR from the laptop, a phone order in EUR by the backend, one in USD, one resent.
// G: a guest who orders twice (GBP), never identifies. W: a visitor who never orders (not listed).
// V: identified, never orders, leaves a cart. B: a bot that identifies and orders (left out).
function shop() {
  const a = createAnalytics();
  const order = (orderId: string, total: number, currency?: string, products?: CartFields['products']): CartFields => ({ orderId, total, ...(currency && { currency }), ...(products && { products }) });
  const facts: Omit<Fact, 'seq' | 'type'>[] = [
    { ts: T0, name: 'Product Viewed', anonymousId: 'P', sessionId: 'p1', productId: 'mug', url: 'https://shop.example/mug', referrer: 'https://www.google.com/', ...MOBILE },
    { ts: T0 + MIN, name: 'Product Added', anonymousId: 'P', sessionId: 'p1', productId: 'mug', cart: { productId: 'mug', price: 10, quantity: 2 }, ...MOBILE },
    { ts: T0 + DAY, name: 'Order Completed', anonymousId: 'L', userId: 'U', sessionId: 'l1', cart: order('o1', 20, 'EUR', [{ productId: 'mug', price: 10, quantity: 2 }]), ...DESKTOP },
    { ts: T0 + DAY + MIN, name: 'Order Completed', anonymousId: 'L', userId: 'U', sessionId: 'l1', cart: order('o1', 20, 'EUR'), ...DESKTOP },
    { ts: T0 + 3 * DAY, name: 'Order Completed', userId: 'U', channel: 'phone', cart: order('o2', 40, 'eur', [{ productId: 'mug', quantity: 1 }, { productId: 'pot', price: 30 }]) },
    { ts: T0 + 5 * DAY, name: 'Order Completed', anonymousId: 'L', userId: 'U', sessionId: 'l2', cart: order('o3', 15, 'USD', [{ productId: 'tea', price: 5, quantity: 3 }]), ...DESKTOP },
    { ts: T0 + 2 * DAY, name: 'Order Completed', anonymousId: 'G', sessionId: 'g1', cart: order('g1', 12.5, 'GBP'), ...MOBILE },
    { ts: T0 + 4 * DAY, name: 'Order Completed', anonymousId: 'G', sessionId: 'g2', cart: order('g2', 7.25, 'GBP'), ...MOBILE },
    { ts: T0 + 2 * DAY, name: 'Product Viewed', anonymousId: 'W', sessionId: 'w1', productId: 'mug', ...DESKTOP },
    { ts: T0 + 2 * DAY, type: 'identify', anonymousId: 'M', userId: 'V', sessionId: 'm1', ...DESKTOP } as Omit<Fact, 'seq'>,
    { ts: T0 + 2 * DAY + MIN, name: 'Product Added', anonymousId: 'M', userId: 'V', sessionId: 'm1', productId: 'cup', cart: { productId: 'cup', price: 4 }, ...DESKTOP },
    { ts: T0 + DAY, name: 'Order Completed', anonymousId: 'X', userId: 'B', sessionId: 'b1', cart: order('b1', 99, 'EUR'), ...BOT },
  ];
  facts.forEach((f, i) => a.append({ type: 'track', seq: i + 1, ...f }));
  a.setIdentity({ links: [link('P', 'U', T0 + DAY), link('L', 'U', T0 + DAY), link('M', 'V', T0 + 2 * DAY), link('X', 'B', T0 + DAY)], aliases: [] });
  return a;
}

const ASOF = T0 + 10 * DAY;

describe('customer statistics', () => {
  it('gives identified customers and guests who ordered their figures, per currency', () => {
    const rows = shop().customers({ asOf: ASOF }).rows;
    expect(rows.map((r) => r.customerId)).toEqual(['G', 'U', 'V']);
    const [g, u, v] = rows;
    expect(u).toMatchObject({
      identified: true,
      firstSeen: iso(T0),
      lastSeen: iso(T0 + 5 * DAY),
      events: 6,
      sessions: 4,
      devices: 2,
      orders: 3,
      // EUR: o1 (sent twice, once) and the phone order o2 (currency eur, upper-cased).
      currencies: [
        { currency: 'EUR', orders: 2, revenue: 60, averageOrderValue: 30 },
        { currency: 'USD', orders: 1, revenue: 15, averageOrderValue: 15 },
      ],
      firstOrderAt: iso(T0 + DAY),
      lastOrderAt: iso(T0 + 5 * DAY),
      meanDaysBetweenOrders: 2,
      channels: ['direct', 'organic_search', 'phone'],
      deviceTypes: ['desktop', 'mobile'],
      productsBought: 3,
      unitsBought: 2 + 1 + 1 + 3,
      cartsAbandoned: 1,
      cartsRecovered: 1,
    });
    expect(g).toMatchObject({
      identified: false,
      events: 2,
      sessions: 2,
      devices: 1,
      orders: 2,
      currencies: [{ currency: 'GBP', orders: 2, revenue: 19.75, averageOrderValue: 9.88 }],
      meanDaysBetweenOrders: 2,
      deviceTypes: ['mobile'],
      productsBought: 0,
      cartsAbandoned: 0,
    });
    expect(v).toMatchObject({ identified: true, orders: 0, currencies: [], firstOrderAt: null, lastOrderAt: null, meanDaysBetweenOrders: null, cartsAbandoned: 1, cartsRecovered: 0 });
  });

  it('reads nothing after asOf, and counts only events, orders and carts in [from, to)', () => {
    const a = shop();
    const early = a.customers({ asOf: T0 + DAY + MIN });
    expect(early.rows.map((r) => [r.customerId, r.orders, r.events])).toEqual([['U', 1, 4]]);
    const ranged = a.customers({ asOf: ASOF, from: T0 + 2 * DAY, to: T0 + 4 * DAY });
    expect(ranged.rows.map((r) => [r.customerId, r.orders, r.events, r.cartsAbandoned])).toEqual([
      ['G', 1, 1, 0],
      ['U', 1, 1, 0],
      ['V', 0, 2, 1],
    ]);
    // RFM is always over every order up to asOf, whatever the range.
    expect(ranged.rows[1].frequency).toBe(a.customers({ asOf: ASOF }).rows[1].frequency);
  });

  it('leaves bots out unless includeBots', () => {
    const a = shop();
    expect(a.customers({ asOf: ASOF, includeBots: true }).rows.map((r) => r.customerId)).toEqual(['B', 'G', 'U', 'V']);
  });

  it('joins RFM: scores, segment, previous segment and since when; none without orders', () => {
    const rows = shop().customers({ asOf: ASOF }).rows;
    const [g, u, v] = rows;
    // G ordered last 6 days before asOf, U 5: U is more recent; U has more orders than G.
    expect([g.recency, u.recency, g.frequency, u.frequency]).toEqual([1, 3, 1, 3]);
    // Each is alone in its main currency (GBP, EUR): M = 1.
    expect([g.monetary, u.monetary, g.monetaryCurrency, u.monetaryCurrency]).toEqual([1, 1, 'GBP', 'EUR']);
    expect([g.daysSinceLastOrder, u.daysSinceLastOrder]).toEqual([6, 5]);
    expect(u.segment).toBe('Need attention');
    expect(g.segment).toBe('Hibernating');
    expect(v).toMatchObject({ recency: null, frequency: null, monetary: null, segment: null, previousSegment: null, segmentSince: null });
    // U became a customer on day 1 and changed with its orders; since its last change holds.
    expect(u.segmentSince! >= iso(T0 + 3 * DAY).slice(0, 10)).toBe(true);
  });

  it('sums the segments', () => {
    const summary = shop().segments({ asOf: ASOF });
    expect(summary.customers).toBe(2);
    expect(summary.segments).toHaveLength(10);
    const attention = summary.segments.find((s) => s.segment === 'Need attention')!;
    expect(attention).toEqual({ segment: 'Need attention', customers: 1, share: 0.5, orders: 3, revenue: [{ currency: 'EUR', amount: 60 }, { currency: 'USD', amount: 15 }] });
    expect(summary.grid).toHaveLength(25);
    expect(summary.grid.reduce((n, c) => n + c.customers, 0)).toBe(2);
    expect(summary.grid[0]).toMatchObject({ recency: 5, fm: 1, segment: 'New' });
  });
});
