// The sales channel fact: an event's context.channel names where it happened when it is a word of
// the shop's own (phone, store, ...), and is ignored when it is a client library's own value.
// Funnels by channel, sessions and stored facts see it; a phone order sent by a shop's backend
// through Segment's Node library lands in `phone` on a real collector.
import { Analytics } from '@segment/analytics-node';
import type { StoredEvent } from '@spur/sdk';
import { channelOfRow, createAnalytics, factFromEvent, salesChannel, type Fact } from '../../src/analytics';
import { FactRecord } from '../../src/analytics/fact-record';
import { encodeFacts, readCatchUpRow } from '../../src/analytics/stored-facts';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import { startCollector, WRITE_KEY, type TestCollector } from '../clients/collector';

const T0 = Date.UTC(2024, 4, 1, 10);
const MIN = 60_000;

describe('salesChannel', () => {
  it('is a word of the shop, lower-cased, and never a library value', () => {
    expect(salesChannel('phone')).toBe('phone');
    expect(salesChannel(' Store ')).toBe('store');
    expect(salesChannel('marketplace')).toBe('marketplace');
    expect(salesChannel('walk-in')).toBe('walk-in');
    for (const library of ['web', 'browser', 'server', 'client', 'mobile', 'app', 'react-native', 'Server']) expect(salesChannel(library)).toBeUndefined();
    for (const junk of [undefined, null, 5, '', 'two words', '1phone', 'x'.repeat(40), { channel: 'phone' }]) expect(salesChannel(junk)).toBeUndefined();
  });
});

describe('the channel of an event', () => {
  // A browser session from a search engine, with context.channel absent (analytics.js); a Node
  // event that says channel "server"; a phone order of the same customer from the shop's backend.
  const facts: Fact[] = [
    { seq: 1, ts: T0, type: 'page', anonymousId: 'A', sessionId: 's1', url: 'https://shop.example/', referrer: 'https://www.google.com/' },
    { seq: 2, ts: T0 + MIN, type: 'track', name: 'Order Completed', anonymousId: 'A', userId: 'U', sessionId: 's1', cart: { orderId: 'o1', total: 10 } },
    { seq: 3, ts: T0 + 60 * MIN, type: 'track', name: 'Order Completed', userId: 'V', referrer: 'https://news.example/', cart: { orderId: 'o2', total: 5 } },
    { seq: 4, ts: T0 + 120 * MIN, type: 'track', name: 'Order Completed', userId: 'U', channel: 'phone', cart: { orderId: 'o3', total: 30 } },
  ];

  it('is the sales channel it names, else its session marketing channel', () => {
    const a = createAnalytics();
    for (const f of facts) a.append(f);
    const view = a.table.view();
    const sessions = a.sessions();
    expect([0, 1, 2, 3].map((i) => channelOfRow(view, sessions, i))).toEqual(['organic_search', 'organic_search', 'referral', 'phone']);
    const funnel = a.funnel({ steps: ['Order Completed'], by: 'channel' });
    const units = Object.fromEntries(funnel.segments!.map((s) => [s.value, s.steps[0].units]));
    expect(units).toEqual({ organic_search: 1, referral: 1, phone: 1 });
  });

  it('is kept in the stored facts, and read from the body of a row with facts of version 1', () => {
    const phone = {
      type: 'track', event: 'Order Completed', messageId: 'p', userId: 'U', timestamp: new Date(T0).toISOString(), originalTimestamp: new Date(T0).toISOString(), receivedAt: new Date(T0).toISOString(),
      properties: { order_id: 'o3', total: 30 }, context: { channel: 'phone' },
    } as StoredEvent;
    const page = { type: 'page', messageId: 'w', anonymousId: 'A', timestamp: phone.timestamp, originalTimestamp: phone.timestamp, receivedAt: phone.timestamp, context: { channel: 'web' } } as StoredEvent;
    expect(factFromEvent(phone, 1).channel).toBe('phone');
    expect(factFromEvent(page, 2).channel).toBeUndefined();
    const text = encodeFacts(phone);
    expect(JSON.parse(text)[20]).toBe('phone');
    expect(encodeFacts(page)).not.toContain('web');
    const record = new FactRecord();
    readCatchUpRow(text, 1, record);
    expect(record.channel).toBe('phone');
    // A version-1 row comes from factsAfter as its body, which carries the channel all the same.
    readCatchUpRow(JSON.stringify(phone), 1, record);
    expect(record.channel).toBe('phone');
    expect(() => readCatchUpRow('[1,0,"track"]', 1, record)).toThrow('another version');
  });
});

describe('on a real collector', () => {
  let collector: TestCollector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(() => collector.close());

  it('puts a phone order in phone, and keeps the marketing channel of browser and Node events', async () => {
    // analytics.js in a browser: a page from a search engine and an order, context.channel absent.
    const at = new Date(Date.now() - 60 * MIN).toISOString();
    const browser = { library: { name: 'analytics.js', version: 'next-1.84.3' }, page: { url: 'https://shop.example/p', path: '/p', referrer: 'https://www.bing.com/' } };
    const res = await fetch(`${collector.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}` },
      body: JSON.stringify({
        batch: [
          { type: 'page', messageId: 'b1', anonymousId: 'anon-b', timestamp: at, context: browser },
          { type: 'track', event: 'Order Completed', messageId: 'b2', anonymousId: 'anon-b', userId: 'cus-web', timestamp: at, context: browser, properties: { order_id: 'w1', total: 20 } },
        ],
      }),
    });
    expect(res.status).toBe(200);
    // The shop's backend: a Node event that says channel "server", and a phone order.
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: collector.url, flushInterval: 60_000 });
    analytics.track({ userId: 'cus-node', event: 'Order Completed', properties: { order_id: 'n1', total: 7 }, context: { channel: 'server' } });
    analytics.track({ userId: 'cus-phone', event: 'Order Completed', properties: { order_id: 'ph1', total: 40, currency: 'EUR' }, context: { channel: 'phone' } });
    await analytics.closeAndFlush();

    const stored = await collector.events();
    expect(stored).toHaveLength(4);
    const engine = await createAnalyticsService(collector.storage).refresh();
    const funnel = engine.funnel({ steps: ['Order Completed'], by: 'channel' });
    const units = Object.fromEntries(funnel.segments!.map((s) => [s.value, s.steps[0].units]));
    expect(units).toEqual({ organic_search: 1, direct: 1, phone: 1 });
  });
});
