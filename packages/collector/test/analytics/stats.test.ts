import type { IdentityLink } from '../../src/rules/identity';
import { createAnalytics, type CartFields, type Fact } from '../../src/analytics';

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 10, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const link = (anonymousId: string, userId: string, ms: number): IdentityLink => ({ anonymousId, userId, firstSeen: iso(ms) });

let seq = 0;
const ev = (name: string, ts: number, who: Partial<Fact>, productId?: string, cart?: CartFields): Fact => ({
  seq: ++seq,
  ts,
  type: 'track',
  name,
  ...who,
  ...(productId ? { productId } : {}),
  ...(cart ? { cart } : {}),
});

// Two customers and one anonymous visitor:
//  - U on phone P (before identify) and laptop L: views mug twice, adds 2 mugs, orders mug x2 + cup.
//  - V on laptop M: views mug and cup, adds cup, leaves the cart (abandoned), removes nothing.
//  - anonymous Z: views cup, adds and removes it.
function shop() {
  const a = createAnalytics();
  const facts: Fact[] = [
    ev('Product Viewed', T0, { anonymousId: 'P', sessionId: 'p1' }, 'mug'),
    ev('Product Viewed', T0 + MIN, { anonymousId: 'P', sessionId: 'p1' }, 'mug'),
    ev('Product Added', T0 + 2 * MIN, { anonymousId: 'P', sessionId: 'p1' }, 'mug', { productId: 'mug', name: 'Mug', price: 12.5, quantity: 2 }),
    ev('Product Viewed', T0 + DAY, { anonymousId: 'L', userId: 'U', sessionId: 'l1' }, 'mug'),
    ev('Order Completed', T0 + DAY + MIN, { anonymousId: 'L', userId: 'U', sessionId: 'l1' }, undefined, {
      orderId: 'o1',
      revenue: 29,
      products: [
        { productId: 'mug', price: 12.5, quantity: 2 },
        { productId: 'cup', price: 4 },
      ],
    }),
    // The same order resent under another messageId: counted once.
    ev('Order Completed', T0 + DAY + 2 * MIN, { anonymousId: 'L', userId: 'U', sessionId: 'l1' }, undefined, {
      orderId: 'o1',
      revenue: 29,
      products: [{ productId: 'mug', price: 12.5, quantity: 2 }],
    }),
    ev('Product Viewed', T0 + 2 * DAY, { anonymousId: 'M', userId: 'V', sessionId: 'm1' }, 'mug'),
    ev('Product Viewed', T0 + 2 * DAY + MIN, { anonymousId: 'M', userId: 'V', sessionId: 'm1' }, 'cup'),
    ev('Product Added', T0 + 2 * DAY + 2 * MIN, { anonymousId: 'M', userId: 'V', sessionId: 'm1' }, 'cup', { productId: 'cup', price: 4 }),
    ev('Product Viewed', T0 + 3 * DAY, { anonymousId: 'Z', sessionId: 'z1' }, 'cup'),
    ev('Product Added', T0 + 3 * DAY + MIN, { anonymousId: 'Z', sessionId: 'z1' }, 'cup', { productId: 'cup', price: 4 }),
    ev('Product Removed', T0 + 3 * DAY + 2 * MIN, { anonymousId: 'Z', sessionId: 'z1' }, 'cup', { productId: 'cup' }),
  ];
  for (const f of facts) a.append(f);
  a.setIdentity({ links: [link('P', 'U', T0 + DAY), link('L', 'U', T0 + DAY), link('M', 'V', T0 + 2 * DAY)], aliases: [] });
  return a;
}

describe('product statistics', () => {
  it('counts views, adds, removes, orders, units, revenue, rates and abandonments per product', () => {
    const stats = shop().products({ asOf: T0 + 10 * DAY });
    expect(stats).toEqual([
      {
        productId: 'cup',
        name: null,
        views: 2,
        adds: 2,
        removes: 1,
        checkouts: 0,
        orders: 1,
        units: 1,
        revenue: [{ currency: null, amount: 4 }],
        // V and Z viewed and added; of the adders (V, Z) nobody bought the cup (U bought it unadded).
        viewToCartRate: 1,
        viewToOrderRate: 0,
        cartToOrderRate: 0,
        // V's cart was left with it; Z emptied theirs within minutes.
        carts: 2,
        cartsAbandoned: 1,
        abandonmentRate: 0.5,
      },
      {
        productId: 'mug',
        name: 'Mug',
        views: 4,
        adds: 1,
        removes: 0,
        checkouts: 0,
        orders: 1,
        units: 2,
        revenue: [{ currency: null, amount: 25 }],
        // Viewers U (phone and laptop are one profile) and V; adders U; U bought.
        viewToCartRate: 0.5,
        viewToOrderRate: 0.5,
        cartToOrderRate: 1,
        // U's cart (phone, +2m) was left for a day and recovered by o1: still an abandonment.
        carts: 1,
        cartsAbandoned: 1,
        abandonmentRate: 1,
      },
    ]);
  });

  it('counts only facts in [from, to), and carts opened in it', () => {
    const stats = shop().products({ asOf: T0 + 10 * DAY, from: T0 + 2 * DAY, to: T0 + 3 * DAY });
    expect(stats.map((s) => [s.productId, s.views, s.adds, s.orders, s.carts, s.cartsAbandoned])).toEqual([
      ['cup', 1, 1, 0, 1, 1],
      ['mug', 1, 0, 0, 0, 0],
    ]);
  });
});

describe('createAnalytics', () => {
  it('recomputes sessions and profiles after new facts or a new identity graph, and reuses them otherwise', () => {
    const a = shop();
    const sessions = a.sessions();
    expect(a.sessions()).toBe(sessions);
    const profiles = a.profiles();
    expect(a.profiles()).toBe(profiles);
    a.setIdentity({ links: [], aliases: [] });
    expect(a.profiles()).not.toBe(profiles);
    a.append(ev('Product Viewed', T0 + 5 * DAY, { anonymousId: 'Q' }, 'pan'));
    expect(a.sessions()).not.toBe(sessions);
    expect(a.sessions().count).toBe(sessions.count + 1);
  });

  it('gives Cart Abandoned events for every cart abandoned by asOf', () => {
    const events = shop().cartAbandonedEvents(T0 + 10 * DAY);
    expect(events.map((e) => [e.anonymousId, e.timestamp])).toEqual([
      ['P', iso(T0 + 32 * MIN)],
      ['M', iso(T0 + 2 * DAY + 32 * MIN)],
    ]);
  });
});
