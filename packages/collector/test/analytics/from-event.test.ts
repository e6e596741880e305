import type { StoredEvent } from '@spur/sdk';
import { createAnalytics, FactTable, factAt, factFromEvent } from '../../src/analytics';
import { parseTime } from '../../src/analytics/from-event';
import { random } from './synthetic';

describe('parseTime', () => {
  it('equals Date.parse for stored times, across days, years and leap days', () => {
    const rnd = random(3);
    const times: string[] = [];
    for (let i = 0; i < 20_000; i++) times.push(new Date(Date.UTC(2020, 0, 1) + Math.floor(rnd() * 9 * 365 * 86400e3)).toISOString());
    times.push('2024-02-29T23:59:59.999Z', '2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z');
    expect(times.map(parseTime)).toEqual(times.map((t) => Date.parse(t)));
  });

  it('equals Date.parse for what is not a stored time, too', () => {
    const odd = [
      '2024-05-01T24:00:00.000Z',
      '2024-05-01T24:30:00.000Z',
      '2024-05-01T23:60:00.000Z',
      '2024-05-01T23:59:60.000Z',
      '2024-13-01T10:00:00.000Z',
      '2024-02-30T10:00:00.000Z',
      '2024-05-01T1a:00:00.000Z',
      '2024-05-01T10:00:00.00aZ',
      '2024-05-01t10:00:00.000Z',
      '2024-05-01T10:00:00.000z',
      'x024-05-01T10:00:00.000Z',
      '2024-05-01T10:00:00.000+00:00',
      '2024-05-01T10:00:00Z',
      '2024-05-01',
      'nonsense',
      '',
    ];
    // Each right after a stored time of the same day, so that a remembered day cannot stand in.
    for (const text of odd) {
      parseTime('2024-05-01T09:00:00.000Z');
      expect([text, parseTime(text)]).toEqual([text, Date.parse(text)]);
    }
  });
});

// Stored events in the shapes the engine meets: the SDK's, Segment clients' (a page in
// properties, a raw user agent), orders with junk lines, numeric strings, ids beyond ASCII.
function storedEvents(): StoredEvent[] {
  const rnd = random(11);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const names = ['Product Viewed', 'Product Added', 'Product Removed', 'Order Completed', 'Checkout Started', 'Signed Up'];
  const events: StoredEvent[] = [];
  for (let i = 0; i < 3000; i++) {
    const time = new Date(Date.UTC(2025, 0, 1) + i * 61_000).toISOString();
    const type = pick(['track', 'track', 'page', 'identify', 'screen', 'group', 'alias'] as const);
    const product = pick([{ product_id: `p-${i % 40}`, variant: pick(['S', 'M', undefined]), name: 'Mug', price: pick([9.5, '12.50', 'x', undefined]), quantity: pick([1, 2, '3', 0, -1, undefined]), currency: pick(['EUR', 'USD', undefined]) }, { name: 'no id' }]);
    const event: StoredEvent = {
      type,
      messageId: `m-${i}`,
      timestamp: i % 97 === 0 ? 'not a time' : time,
      originalTimestamp: time,
      receivedAt: time,
      anonymousId: pick([`a-${i % 50}`, `ä-${i % 3}`, undefined]),
      userId: pick([undefined, undefined, `u-${i % 9}`, 42 as unknown as string]),
      context: pick<StoredEvent['context']>([
        {
          page: { url: `https://shop.example/p/${i % 7}${pick(['', '?utm_source=news&utm_medium=email', '?gclid=x'])}`, path: `/p/${i % 7}`, referrer: pick(['', 'https://www.google.com/', 'https://shop.example/']) },
          sessionId: `s-${Math.floor(i / 10)}`,
          device: { type: pick(['mobile', 'desktop']) },
          browser: { name: 'Safari' },
          os: { name: 'iOS' },
          campaign: pick([undefined, { source: 'fb', medium: 'social', name: 'june' }]),
        },
        { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', sessionId: 7 as never },
        {},
        undefined,
      ]),
    };
    if (type === 'track') event.event = pick(names);
    if (type === 'page') event.properties = pick<StoredEvent['properties']>([{ path: '/from-props', url: 'https://s.example/from-props?utm_source=x', referrer: 'https://t.co/' }, {}]);
    else if (event.event === 'Order Completed') {
      event.properties = { order_id: pick([`o-${i % 500}`, 17, undefined]), total: pick([30, '31.5', undefined]), revenue: pick([25, undefined]), currency: 'EUR' } as StoredEvent['properties'];
      if (rnd() < 0.8) event.properties!.products = [product, 'junk', { product_id: 'p-1', quantity: 2 }] as never;
    } else if (type === 'track') event.properties = JSON.parse(JSON.stringify(product));
    events.push(JSON.parse(JSON.stringify(event)));
  }
  return events;
}

describe('appendEvent', () => {
  // appendEvent refills one record for every event: nothing of one event may stay for the next.
  it('builds the same table as appending factFromEvent of each event', () => {
    const events = storedEvents();
    const fast = createAnalytics();
    events.forEach((e, i) => fast.appendEvent(e, i + 1));
    const slow = FactTable.from(events.map((e, i) => factFromEvent(e, i + 1)));
    const a = fast.table.view();
    const b = slow.view();
    expect(a.length).toBe(3000);
    const rows = (v: typeof a) => Array.from({ length: v.length }, (_, i) => factAt(v, i));
    expect(rows(a)).toEqual(rows(b));
    expect([a.origins, a.agents]).toEqual([b.origins, b.agents]);
  });

  it('keeps a path for page views only: page:/path steps match nothing else', () => {
    const [page, track] = [
      factFromEvent({ type: 'page', messageId: 'p', timestamp: '2025-01-01T00:00:00.000Z', receivedAt: '', originalTimestamp: '', context: { page: { path: '/a' } } } as StoredEvent, 1),
      factFromEvent({ type: 'track', event: 'Product Viewed', messageId: 't', timestamp: '2025-01-01T00:00:00.000Z', receivedAt: '', originalTimestamp: '', context: { page: { path: '/a' } } } as StoredEvent, 2),
    ];
    expect(page.path).toBe('/a');
    expect(track.path).toBeUndefined();
  });
});
