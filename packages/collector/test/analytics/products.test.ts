// Product statistics and products bought together, on facts with known answers: checkouts from
// the replayed cart, revenue per currency, abandonment rate, pairs with support, confidence and
// lift, and the carts' checkout steps and last pages.
import { createAnalytics, MAX_ORDER_PRODUCTS, type CartFields, type CartLine, type Fact } from '../../src/analytics';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.UTC(2024, 0, 10, 12);

let seq = 0;
const fact = (anonymousId: string, minutes: number, fields: Partial<Fact>): Fact => ({
  seq: ++seq,
  ts: T0 + minutes * MIN,
  type: 'track',
  anonymousId,
  sessionId: `s-${anonymousId}`,
  ...fields,
});
const track = (a: string, m: number, name: string, productId?: string, cart?: CartFields) => fact(a, m, { name, ...(productId && { productId }), ...(cart && { cart }) });
const add = (a: string, m: number, productId: string, price = 10, currency = 'EUR') => track(a, m, 'Product Added', productId, { productId, price, currency });
const order = (a: string, m: number, orderId: string, products: CartLine[], currency?: string) =>
  track(a, m, 'Order Completed', undefined, { orderId, products, ...(currency && { currency }) });
const pageView = (a: string, m: number, path: string) => fact(a, m, { type: 'page', path });

function engine(facts: Fact[]) {
  const a = createAnalytics();
  for (const f of facts) a.append(f);
  return a;
}

describe('product statistics', () => {
  it('counts a checkout for each product in the cart when Checkout Started comes, from the cart the events built', () => {
    const a = engine([
      add('A', 0, 'mug'),
      add('A', 1, 'tea'),
      track('A', 2, 'Checkout Started'),
      track('A', 3, 'Checkout Started'),
      // B starts a checkout with an empty cart: nothing to count.
      track('B', 0, 'Checkout Started'),
      add('B', 1, 'mug'),
    ]);
    const rows = a.products({ asOf: T0 + DAY });
    expect(rows.map((r) => [r.productId, r.checkouts])).toEqual([
      ['mug', 2],
      ['tea', 2],
    ]);
  });

  it('keeps revenue per currency, upper-cased, the line currency before the order currency, and never sums across', () => {
    const a = engine([
      order('A', 0, 'o1', [{ productId: 'mug', price: 10, quantity: 2, currency: 'eur' }]),
      order('B', 0, 'o2', [{ productId: 'mug', price: 12, quantity: 1 }], 'USD'),
      order('C', 0, 'o3', [{ productId: 'mug', price: 5 }]),
      // The same order resent: once.
      order('C', 1, 'o3', [{ productId: 'mug', price: 5 }]),
    ]);
    const [mug] = a.products({ asOf: T0 + DAY });
    expect(mug).toMatchObject({ orders: 3, units: 4 });
    expect(mug.revenue).toEqual([
      { currency: 'EUR', amount: 20 },
      { currency: 'USD', amount: 12 },
      { currency: null, amount: 5 },
    ]);
  });

  it('gives the abandonment rate as carts left with the product over carts that held it, and view-to-order conversion per profile', () => {
    const a = engine([
      // A: views and orders the mug; its cart is emptied by the order within minutes.
      track('A', 0, 'Product Viewed', 'mug'),
      add('A', 1, 'mug'),
      order('A', 2, 'o1', [{ productId: 'mug', price: 10 }]),
      // B: views, adds, leaves (abandoned after 30 minutes).
      track('B', 0, 'Product Viewed', 'mug'),
      add('B', 1, 'mug'),
      // C: adds and removes it again: a cart that held it, not abandoned.
      add('C', 0, 'mug'),
      track('C', 1, 'Product Removed', 'mug', { productId: 'mug' }),
      // D: views only.
      track('D', 0, 'Product Viewed', 'mug'),
    ]);
    const [mug] = a.products({ asOf: T0 + DAY });
    expect(mug).toMatchObject({ views: 3, adds: 3, carts: 3, cartsAbandoned: 1, abandonmentRate: 0.3333, viewToOrderRate: 0.3333, cartToOrderRate: 0.3333 });
  });
});

describe('products bought together', () => {
  const orders = [
    order('A', 0, 'o1', [{ productId: 'mug' }, { productId: 'tea' }]),
    order('B', 0, 'o2', [{ productId: 'mug' }, { productId: 'tea' }, { productId: 'cookies' }]),
    order('C', 0, 'o3', [{ productId: 'mug' }]),
    order('D', 0, 'o4', [{ productId: 'cookies' }, { productId: 'tea' }]),
    // Two lines of one product are one product of the order.
    order('E', 0, 'o5', [{ productId: 'tea' }, { productId: 'tea' }]),
  ];

  it('gives support, confidence both ways and lift, most orders first', () => {
    const pairs = engine(orders).productsTogether({ asOf: T0 + DAY, minOrders: 1 });
    // 5 orders; mug in 3, tea in 4, cookies in 2; mug+tea 2, cookies+tea 2, cookies+mug 1.
    expect(pairs).toEqual([
      { productA: 'cookies', nameA: null, productB: 'tea', nameB: null, orders: 2, ordersA: 2, ordersB: 4, support: 0.4, confidenceAToB: 1, confidenceBToA: 0.5, lift: 1.25 },
      { productA: 'mug', nameA: null, productB: 'tea', nameB: null, orders: 2, ordersA: 3, ordersB: 4, support: 0.4, confidenceAToB: 0.6667, confidenceBToA: 0.5, lift: 0.8333 },
      { productA: 'cookies', nameA: null, productB: 'mug', nameB: null, orders: 1, ordersA: 2, ordersB: 3, support: 0.2, confidenceAToB: 0.5, confidenceBToA: 0.3333, lift: 0.8333 },
    ]);
  });

  it('keeps pairs in at least minOrders orders (2 by default), at most limit of them', () => {
    const a = engine(orders);
    expect(a.productsTogether({ asOf: T0 + DAY }).map((p) => `${p.productA}+${p.productB}`)).toEqual(['cookies+tea', 'mug+tea']);
    expect(a.productsTogether({ asOf: T0 + DAY, minOrders: 1, limit: 1 })).toHaveLength(1);
    expect(a.productsTogether({ asOf: T0 + DAY, minOrders: 3 })).toEqual([]);
  });

  it('takes no pairs from an order of more distinct products than the bound, but counts it', () => {
    const huge = Array.from({ length: MAX_ORDER_PRODUCTS + 1 }, (_, i) => ({ productId: `p${i}` }));
    const a = engine([order('A', 0, 'big', huge), order('B', 0, 'o2', [{ productId: 'p0' }, { productId: 'p1' }])]);
    expect(a.productsTogether({ asOf: T0 + DAY, minOrders: 1 })).toEqual([expect.objectContaining({ productA: 'p0', productB: 'p1', orders: 1, ordersA: 2, support: 0.5 })]);
  });
});

describe('the carts export rows', () => {
  it('give the furthest checkout step reached before the abandonment and the last page before it', () => {
    const a = engine([
      pageView('A', 0, '/products/mug'),
      add('A', 1, 'mug'),
      track('A', 2, 'Cart Viewed'),
      track('A', 3, 'Checkout Started'),
      pageView('A', 4, '/checkout/shipping'),
      track('A', 5, 'Shipping Info Entered'),
      // Back after the abandonment (at 31): none of this counts for it.
      add('A', 39, 'tea'),
      track('A', 40, 'Payment Info Entered'),
      pageView('A', 41, '/checkout/payment'),
      // B viewed the cart while it was empty, then added: only "cart".
      track('B', 0, 'Cart Viewed'),
      add('B', 1, 'tea'),
    ]);
    const rows = a.abandonedCartRows({ asOf: T0 + 35 * MIN });
    expect(rows.map((r) => [r.profileId, r.checkoutStep, r.lastPage])).toEqual([
      ['A', 'shipping_info', '/checkout/shipping'],
      ['B', 'cart', null],
    ]);
    // Left again after the payment step (abandoned at 69): the second abandonment reports it.
    const later = a.abandonedCartRows({ asOf: T0 + DAY }).filter((r) => r.profileId === 'A');
    expect(later.map((r) => [r.checkoutStep, r.lastPage])).toEqual([
      ['shipping_info', '/checkout/shipping'],
      ['payment_info', '/checkout/payment'],
    ]);
  });
});
