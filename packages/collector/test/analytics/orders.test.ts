// Orders per stitched profile: the rows statistics, RFM and the purchase model read.
import type { IdentityLink } from '../../src/rules/identity';
import { createAnalytics, type CartFields, type Fact } from '../../src/analytics';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const link = (anonymousId: string, userId: string, ms: number): IdentityLink => ({ anonymousId, userId, firstSeen: iso(ms) });

function engine(facts: Omit<Fact, 'seq' | 'type'>[], links: IdentityLink[] = []) {
  const a = createAnalytics();
  facts.forEach((f, i) => a.append({ seq: i + 1, type: 'track', ...f }));
  a.setIdentity({ links, aliases: [] });
  return a;
}
const order = (ts: number, who: Partial<Fact>, cart: CartFields, more: Partial<Fact> = {}): Omit<Fact, 'seq' | 'type'> => ({
  ts,
  name: 'Order Completed',
  ...who,
  cart,
  ...more,
});

// What a test reads back: per profile id, its orders as plain objects.
function table(a: ReturnType<typeof createAnalytics>, options = {}) {
  const rows = a.orders(options);
  const out: Record<string, { at: string; amount: number; currency: string | null; orderId: string | null; row: number }[]> = {};
  for (let p = 0; p < rows.profiles.count; p++) {
    for (let k = rows.offsets[p]; k < rows.offsets[p + 1]; k++) {
      expect(rows.profile[k]).toBe(p);
      const c = rows.currency[k];
      (out[rows.profiles.id(p)] ??= []).push({ at: iso(rows.ts[k]), amount: rows.amount[k], currency: c < 0 ? null : rows.currencies[c], orderId: rows.orderId(k), row: rows.row[k] });
    }
  }
  return out;
}

describe('orders per profile', () => {
  it('counts an order once per order_id, with revenue, else total, else its lines, and upper-cased currencies', () => {
    const a = engine([
      order(T0 + 2 * DAY, { anonymousId: 'L', userId: 'U' }, { orderId: 'o2', total: 30, currency: 'eur' }),
      order(T0, { anonymousId: 'P' }, { orderId: 'o1', revenue: 20, total: 25, currency: 'EUR' }),
      // o2 resent later from the phone: once, at its first time.
      order(T0 + 3 * DAY, { anonymousId: 'P' }, { orderId: 'o2', total: 30, currency: 'EUR' }),
      order(T0 + 4 * DAY, { anonymousId: 'L', userId: 'U' }, { products: [{ productId: 'mug', price: 5, quantity: 3 }, { productId: 'cup', price: 2 }, { productId: 'free' }], currency: 'USD' }),
      order(T0 + 5 * DAY, { anonymousId: 'L', userId: 'U' }, { total: 9 }),
      order(T0 + 6 * DAY, { anonymousId: 'G' }, { orderId: 'g1', total: 12, currency: 'GBP' }),
      { ts: T0, name: 'Product Viewed', anonymousId: 'G', productId: 'mug' },
    ], [link('P', 'U', T0 + DAY), link('L', 'U', T0 + 2 * DAY)]);
    expect(table(a)).toEqual({
      U: [
        { at: iso(T0), amount: 20, currency: 'EUR', orderId: 'o1', row: 1 },
        { at: iso(T0 + 2 * DAY), amount: 30, currency: 'EUR', orderId: 'o2', row: 0 },
        { at: iso(T0 + 4 * DAY), amount: 17, currency: 'USD', orderId: null, row: 3 },
        { at: iso(T0 + 5 * DAY), amount: 9, currency: null, orderId: null, row: 4 },
      ],
      // A guest who ordered is a profile keyed by the anonymous id.
      G: [{ at: iso(T0 + 6 * DAY), amount: 12, currency: 'GBP', orderId: 'g1', row: 5 }],
    });
    expect(a.orders().currencies).toEqual(['EUR', 'USD', 'GBP']);
    expect(a.orders().count).toBe(5);
  });

  it('reads nothing after asOf (inclusive bound), and counts an order resent after asOf at its first time', () => {
    const a = engine([
      order(T0, { userId: 'U' }, { orderId: 'o1', total: 1 }),
      order(T0 + DAY, { userId: 'U' }, { orderId: 'o2', total: 2 }),
      order(T0 + 2 * DAY, { userId: 'U' }, { orderId: 'o1', total: 1 }),
    ]);
    expect(table(a, { asOf: T0 + DAY }).U.map((o) => o.orderId)).toEqual(['o1', 'o2']);
    expect(table(a, { asOf: T0 + DAY - 1 }).U.map((o) => o.orderId)).toEqual(['o1']);
    expect(table(a, { asOf: T0 - 1 })).toEqual({});
    expect(a.orders({ asOf: T0 }).asOf).toBe(T0);
  });

  it('leaves out orders from bots unless includeBots', () => {
    const a = engine([
      order(T0, { userId: 'U' }, { orderId: 'o1', total: 1 }, { device: 'desktop', browser: 'Chrome', os: 'Linux' }),
      order(T0 + 1, { userId: 'B' }, { orderId: 'b1', total: 1 }, { device: 'bot', browser: 'HeadlessChrome', os: 'Linux' }),
    ]);
    expect(Object.keys(table(a))).toEqual(['U']);
    expect(Object.keys(table(a, { includeBots: true })).sort()).toEqual(['B', 'U']);
  });

  it('has no rows without orders', () => {
    const a = engine([{ ts: T0, name: 'Product Viewed', anonymousId: 'A' }]);
    const rows = a.orders();
    expect(rows.count).toBe(0);
    expect([...rows.offsets]).toEqual([0, 0]);
  });
});
