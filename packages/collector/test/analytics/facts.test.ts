import type { StoredEvent } from '@spur/sdk';
import { createAnalytics, FactTable, factAt, factFromEvent, type Fact } from '../../src/analytics';
import { cartFieldsAt } from '../../src/analytics/cart-table';

const stored = (over: Partial<StoredEvent>): StoredEvent => ({
  type: 'track',
  messageId: 'm1',
  anonymousId: 'anon-1',
  timestamp: '2024-05-01T10:00:00.000Z',
  originalTimestamp: '2024-05-01T10:00:00.000Z',
  receivedAt: '2024-05-01T10:00:01.000Z',
  context: {
    page: { url: 'https://shop.example/p/42?utm_source=ignored', path: '/p/42', referrer: 'https://www.google.com/' },
    campaign: { source: 'newsletter', medium: 'email', name: 'june' },
    sessionId: 'sid-1',
    device: { type: 'mobile' },
    browser: { name: 'Safari' },
    os: { name: 'iOS' },
  },
  ...over,
});

describe('factFromEvent', () => {
  it('keeps what the analytics need from a stored page view', () => {
    const fact = factFromEvent(stored({ type: 'page', name: 'Product page', userId: 'u-1' }), 7);
    expect(fact).toEqual({
      seq: 7,
      ts: Date.parse('2024-05-01T10:00:00.000Z'),
      type: 'page',
      anonymousId: 'anon-1',
      userId: 'u-1',
      sessionId: 'sid-1',
      path: '/p/42',
      url: 'https://shop.example/p/42?utm_source=ignored',
      referrer: 'https://www.google.com/',
      device: 'mobile',
      browser: 'Safari',
      os: 'iOS',
      source: 'newsletter',
      medium: 'email',
      campaign: 'june',
    });
  });

  it('reads the page from properties when a page event has no context.page (Segment clients)', () => {
    const fact = factFromEvent(stored({ type: 'page', context: {}, properties: { path: '/a', url: 'https://s.example/a', referrer: '' } }), 1);
    expect(fact).toMatchObject({ path: '/a', url: 'https://s.example/a' });
    expect(fact.referrer).toBeUndefined();
  });

  it('keeps only product_id for a product view, and no cart fields', () => {
    const fact = factFromEvent(stored({ event: 'Product Viewed', properties: { product_id: 42, name: 'Mug', price: 9 } }), 1);
    expect(fact.name).toBe('Product Viewed');
    expect(fact.productId).toBe('42');
    expect(fact.cart).toBeUndefined();
  });

  it('keeps the product of Product Added, with numbers read from numeric strings', () => {
    const fact = factFromEvent(
      stored({ event: 'Product Added', properties: { product_id: 'sku-1', variant: 'red', name: 'Mug', price: '12.50', quantity: 2, currency: 'EUR', brand: 'x' } }),
      1,
    );
    expect(fact.cart).toEqual({ productId: 'sku-1', variant: 'red', name: 'Mug', price: 12.5, quantity: 2, currency: 'EUR' });
    expect(fact.productId).toBe('sku-1');
  });

  it('keeps the order of Order Completed with its product lines', () => {
    const fact = factFromEvent(
      stored({
        event: 'Order Completed',
        properties: { order_id: 'o-1', total: 30, revenue: 25, currency: 'EUR', products: [{ product_id: 'a', price: 10, quantity: 2 }, { name: 'no id' }, 'junk'] },
      }),
      1,
    );
    expect(fact.cart).toEqual({ orderId: 'o-1', total: 30, revenue: 25, currency: 'EUR', products: [{ productId: 'a', price: 10, quantity: 2 }] });
  });

  it('reduces a raw user agent only when no families are stored', () => {
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
    expect(factFromEvent(stored({ context: { userAgent: ua } }), 1).userAgent).toBe(ua);
    expect(factFromEvent(stored({ context: { userAgent: ua, device: { type: 'mobile' } } }), 1).userAgent).toBeUndefined();
  });

  it('falls back to receivedAt when the timestamp does not parse', () => {
    expect(factFromEvent(stored({ timestamp: 'nonsense' }), 1).ts).toBe(Date.parse('2024-05-01T10:00:01.000Z'));
  });
});

describe('FactTable', () => {
  const facts: Fact[] = Array.from({ length: 3000 }, (_, i) => ({
    seq: i + 1,
    ts: 1_700_000_000_000 + i * 1000,
    type: i % 3 === 0 ? 'page' : 'track',
    name: i % 3 === 0 ? undefined : i % 3 === 1 ? 'Product Viewed' : 'Product Added',
    path: `/p/${i % 7}`,
    anonymousId: `a${i % 50}`,
    sessionId: `s${Math.floor(i / 10)}`,
    productId: i % 3 === 0 ? undefined : `prod${i % 11}`,
    cart: i % 3 === 2 ? { productId: `prod${i % 11}`, quantity: 1, price: 5 } : undefined,
  }));

  it('is the same whether built from a list in any order or fed one fact at a time', () => {
    const whole = FactTable.from([...facts].reverse());
    const grown = new FactTable();
    for (const fact of facts) grown.append(fact);
    expect(grown.length).toBe(3000);
    for (const i of [0, 1, 2, 1500, 2999]) expect(factAt(grown.view(), i)).toEqual(factAt(whole.view(), i));
    expect(grown.maxSeq).toBe(3000);
  });

  it('interns strings: one dictionary entry per distinct value', () => {
    const view = FactTable.from(facts).view();
    expect(view.names.values).toEqual(['Product Viewed', 'Product Added']);
    expect(view.paths.size).toBe(7);
    expect(view.anonymousIds.size).toBe(50);
    expect(view.sessionIds.size).toBe(300);
    expect(view.products.size).toBe(11);
  });

  it('keeps cart properties in a side table, for cart events only', () => {
    const view = FactTable.from(facts).view();
    expect(view.carts.length).toBe(1000);
    expect(view.cart[0]).toBe(-1);
    expect(view.cart[1]).toBe(-1);
    expect(cartFieldsAt(view.carts, view.cart[2])).toEqual({ productId: 'prod2', quantity: 1, price: 5 });
  });

  it('refuses a fact whose seq is not after the last one (a catch-up must resume after maxSeq)', () => {
    const table = FactTable.from(facts.slice(0, 10));
    expect(() => table.append(facts[5])).toThrow(/increasing seq order: 6 after 10/);
    expect(() => table.append({ seq: 11, ts: NaN, type: 'track' })).toThrow(/no valid time/);
    expect(table.length).toBe(10);
  });

  it('gives snapshots that later appends do not change', () => {
    const table = FactTable.from(facts.slice(0, 1000));
    const before = table.view();
    for (const fact of facts.slice(1000)) table.append(fact);
    expect(before.length).toBe(1000);
    expect(before.ts[999]).toBe(facts[999].ts);
    expect(table.view().length).toBe(3000);
  });

  it('turns a user agent, URL, referrer and campaign into shared families and origins', () => {
    const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
    const table = FactTable.from([
      { seq: 1, ts: 1, type: 'page', userAgent: ua, url: 'https://Shop.example:8443/?utm_source=fb&utm_medium=social', referrer: 'https://l.facebook.com/x' },
      { seq: 2, ts: 2, type: 'page', userAgent: ua, url: 'https://Shop.example:8443/?utm_source=fb&utm_medium=social', referrer: 'https://l.facebook.com/x' },
      { seq: 3, ts: 3, type: 'page', url: 'https://shop.example/?utm_source=fb', source: 'newsletter', medium: 'email' },
    ]);
    const view = table.view();
    expect(view.agents).toEqual([{ device: 'mobile', browser: 'Safari', os: 'iOS' }]);
    expect(view.agent[2]).toBe(-1);
    expect(view.origin[0]).toBe(view.origin[1]);
    expect(view.origins[view.origin[0]]).toEqual({
      pageHost: 'shop.example',
      referrerHost: 'l.facebook.com',
      source: 'fb',
      medium: 'social',
      campaign: null,
      salesChannel: null,
      channel: 'social',
    });
    // context.campaign wins over the URL's utm_ parameters.
    expect(view.origins[view.origin[2]]).toMatchObject({ source: 'newsletter', medium: 'email', channel: 'email' });
  });
});

describe('group and screen events', () => {
  it('keep their type in the table; a screen is in a session but is not a page view for funnels', () => {
    const analytics = createAnalytics();
    const at = (minute: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + minute * 60_000).toISOString();
    const events: StoredEvent[] = [
      stored({ messageId: 's', type: 'screen', name: 'Checkout', timestamp: at(0), context: {} }),
      stored({ messageId: 'g', type: 'group', groupId: 'g-1', userId: 'u-1', timestamp: at(1), context: {} }),
      stored({ messageId: 't', type: 'track', event: 'Order Completed', timestamp: at(2), context: {} }),
    ];
    events.forEach((e, i) => analytics.appendEvent(e, i + 1));
    const view = analytics.table.view();
    expect([0, 1, 2].map((i) => factAt(view, i).type)).toEqual(['screen', 'group', 'track']);
    const sessions = analytics.sessions();
    expect(sessions.count).toBe(1);
    expect([...sessions.ofRow]).toEqual([0, 0, 0]);
    const funnel = analytics.funnel({ steps: ['page', 'Order Completed'] });
    expect(funnel.steps.map((s) => s.units)).toEqual([0, 0]);
    expect(analytics.funnel({ steps: ['Order Completed'] }).steps[0].units).toBe(1);
  });
});
