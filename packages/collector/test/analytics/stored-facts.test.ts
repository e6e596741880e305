// The facts stored with each event: read back, they fill the engine's record as the event does,
// except page URLs and referrers, which keep only what attribution reads of them (attributionUrl):
// the host and a tagged query give the same host and campaign as the whole URL.
import type { StoredEvent } from '@spur/sdk';
import { attributionUrl, campaignFromUrl, hostOf } from '../../src/analytics/channels';
import { FactRecord } from '../../src/analytics/fact-record';
import { factFromEvent } from '../../src/analytics/from-event';
import { encodeFacts, FACTS_PREFIX, readCatchUpRow, readFacts } from '../../src/analytics/stored-facts';

const URLS = [
  'https://shop.example/p/1?color=red#top',
  'https://Shop.Example:8443/p?utm_source=news&utm_medium=email&utm_campaign=spring',
  'https://user@shop.example/p?gclid=abc',
  'https://shop.example/utm_page?x=1',
  'https://shop.example/#frag?utm_source=hidden',
  'https://shop.example/p?msclkid=1#utm_source=fragment',
  'https://[2001:db8::1]/p?utm_medium=cpc',
  'http://utm_host.example/',
  '/relative/p?utm_source=rel',
  '?utm_campaign=only',
  'no scheme at all',
  'https://',
  'https://shop.example?braid=1&wbraid=2',
  'https://shop.example/p?fbclid=x',
  'mailto:someone@example.com',
];

describe('attributionUrl', () => {
  it('keeps what hostOf and campaignFromUrl read of a URL, and nothing else', () => {
    for (const url of URLS) {
      const page = attributionUrl(url, true);
      expect([url, hostOf(page)]).toEqual([url, hostOf(url)]);
      expect([url, campaignFromUrl(page)]).toEqual([url, campaignFromUrl(url)]);
      expect([url, hostOf(attributionUrl(url, false))]).toEqual([url, hostOf(url)]);
      expect((page ?? '').length).toBeLessThanOrEqual(url.length);
    }
    expect(attributionUrl('https://shop.example/a/long/path?sort=price#x', true)).toBe('https://shop.example');
    expect(attributionUrl('https://shop.example/p?utm_source=a#b', true)).toBe('https://shop.example?utm_source=a');
    expect(attributionUrl('https://shop.example/p?utm_source=a', false)).toBe('https://shop.example');
    expect(attributionUrl(undefined, true)).toBeUndefined();
  });
});

describe('stored facts', () => {
  const at = '2024-05-01T10:00:00.000Z';
  const events: StoredEvent[] = [
    { type: 'page', messageId: 'a', anonymousId: 'A', timestamp: at, receivedAt: at, context: { page: { path: '/p', url: 'https://shop.example/p?utm_source=x', referrer: 'https://www.google.com/search?q=1' }, sessionId: 's1', device: { type: 'mobile' }, browser: { name: 'Safari' }, os: { name: 'iOS' } } },
    { type: 'track', event: 'Product Added', messageId: 'b', userId: 'U', timestamp: at, receivedAt: at, properties: { product_id: 'p1', variant: 'red', name: 'Shoe', price: '19.5', quantity: 2, currency: 'EUR' }, context: { campaign: { source: 's', medium: 'm', name: 'c' } } },
    { type: 'track', event: 'Order Completed', messageId: 'c', anonymousId: 'A', timestamp: 'not a time', receivedAt: at, properties: { order_id: 'o', total: 10, revenue: 8, currency: 'EUR', products: [{ product_id: 'p1', price: 5 }, null, { name: 'no id' }] } },
    { type: 'track', event: 'Order Completed', messageId: 'd', anonymousId: 'A', timestamp: at, receivedAt: at, properties: {} },
    { type: 'identify', messageId: 'e', anonymousId: 'A', userId: 'U', timestamp: at, receivedAt: at, context: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' } },
    { type: 'track', event: 'Survey Answered', messageId: 'f', anonymousId: 'A', timestamp: at, receivedAt: at, properties: { survey_id: 'exit', question: 'Why?', answer: 'price', text: 'too "dear"', cart_id: 'c1', cart_value: 42.5, currency: 'usd', items: 3 } },
    { type: 'track', event: 'Survey Dismissed', messageId: 'g', anonymousId: 'A', timestamp: at, receivedAt: at, properties: { survey_id: 'exit', cart_value: 'n/a' } },
  ] as StoredEvent[];

  it('fill the record as the event does (URLs as attributionUrl keeps them)', () => {
    const record = new FactRecord();
    events.forEach((event, i) => {
      const text = encodeFacts(event);
      expect(text.startsWith(FACTS_PREFIX)).toBe(true);
      readCatchUpRow(text, i + 1, record);
      const expected = factFromEvent(event, i + 1);
      const url = attributionUrl(expected.url, true);
      const referrer = attributionUrl(expected.referrer, false);
      delete expected.url;
      delete expected.referrer;
      expect(record.toFact()).toEqual({ ...expected, ...(url && { url }), ...(referrer && { referrer }) });
    });
  });

  it('carry the survey, answer, free text and cart of a survey event', () => {
    const record = new FactRecord();
    readCatchUpRow(encodeFacts(events[5]), 1, record);
    expect(record.toFact().survey).toEqual({ surveyId: 'exit', answer: 'price', text: 'too "dear"', cartId: 'c1', cartValue: 42.5, currency: 'USD' });
    readCatchUpRow(encodeFacts(events[6]), 2, record);
    expect(record.toFact().survey).toEqual({ surveyId: 'exit' });
  });

  it('of version 2 (before surveys) are read from the body, survey fields included', () => {
    const record = new FactRecord();
    expect(readFacts('[2,1714557600000,"track","Survey Answered","A"]', 1, record)).toBe(false);
  });

  it('are read from the body when a row has none, and refused when of another version', () => {
    const record = new FactRecord();
    readCatchUpRow(JSON.stringify(events[1]), 7, record);
    expect(record.toFact()).toEqual(factFromEvent(events[1], 7));
    expect(() => readCatchUpRow('[999,1]', 8, record)).toThrow('another version');
  });
});
