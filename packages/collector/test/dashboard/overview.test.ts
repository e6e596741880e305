// The overview export (the dashboard's first view) and the steps export, over HTTP: figures by
// their definitions (analytics/overview.ts), days of the shop's time zone, CSV.
import request from 'supertest';
import type { Express } from 'express';
import { ADMIN_TOKEN, WRITE_KEY, basic, bearer, useFixtures } from '../helpers';

const fx = useFixtures();
// Tuesday 2026-03-31, 12:00 UTC: after the spring clock change in Berlin (UTC+2 from 29 March).
const NOW = Date.parse('2026-03-31T12:00:00.000Z');

let n = 0;
function ev(type: string, anonymousId: string, timestamp: string, fields: Record<string, unknown> = {}) {
  n += 1;
  return { type, anonymousId, messageId: `o-${n}`, timestamp, ...fields };
}
const page = (a: string, t: string, path: string, sid: string, ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36') =>
  ev('page', a, t, { context: { sessionId: sid, page: { path }, userAgent: ua } });
const track = (a: string, t: string, event: string, sid: string, properties: Record<string, unknown> = {}) => ev('track', a, t, { event, properties, context: { sessionId: sid } });
const order = (id: string, total: number, currency: string) => ({ order_id: id, total, currency, products: [{ product_id: 'mug', price: total, quantity: 1 }] });

async function send(app: Express, batch: Record<string, unknown>[]) {
  const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch });
  expect(res.body).toMatchObject({ ok: true, rejected: [] });
}
const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));

/**
 * In Berlin time: A comes on 29 March at 00:30 (22:30 UTC on the 28th: a Berlin day, not UTC's)
 * and orders 20 EUR; B comes on the 30th, orders 10 USD and the same order again (resent); C adds
 * to a cart on the 30th and leaves it; a bot views pages on the 30th; D orders 5 EUR on the 31st.
 */
async function shop(timeZone: string) {
  const { app } = await fx.collector({ now: () => NOW, timeZone, clientClock: 'trust' });
  await send(app, [
    page('A', '2026-03-28T23:30:00.000Z', '/', 'sA'),
    track('A', '2026-03-28T23:40:00.000Z', 'Order Completed', 'sA', order('o1', 20, 'EUR')),
    page('B', '2026-03-30T08:00:00.000Z', '/mug', 'sB'),
    track('B', '2026-03-30T08:05:00.000Z', 'Order Completed', 'sB', order('o2', 10, 'usd')),
    track('B', '2026-03-30T08:06:00.000Z', 'Order Completed', 'sB', order('o2', 10, 'usd')),
    page('C', '2026-03-30T09:00:00.000Z', '/mug', 'sC'),
    track('C', '2026-03-30T09:01:00.000Z', 'Product Added', 'sC', { product_id: 'mug', price: 12, quantity: 1, currency: 'EUR' }),
    page('bot', '2026-03-30T10:00:00.000Z', '/', 'sBot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
    page('bot', '2026-03-30T10:01:00.000Z', '/mug', 'sBot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
    page('D', '2026-03-31T06:00:00.000Z', '/', 'sD'),
    track('D', '2026-03-31T06:01:00.000Z', 'Order Completed', 'sD', order('o3', 5, 'EUR')),
  ]);
  return app;
}

describe('GET /v1/exports/overview', () => {
  it('counts visitors, sessions, orders (a resent one once), revenue per currency, conversion and carts, without bots', async () => {
    const app = await shop('Europe/Berlin');
    const res = await get(app, '/v1/exports/overview?from=2026-03-29&to=2026-04-01').expect(200);
    expect(res.body).toMatchObject({ from: '2026-03-28T23:00:00.000Z', to: '2026-03-31T22:00:00.000Z', timeZone: 'Europe/Berlin', interval: 'day' });
    expect(res.body.totals).toEqual({
      visitors: 4,
      sessions: 4,
      orders: 3,
      revenue: [
        { currency: 'EUR', orders: 2, revenue: 25 },
        { currency: 'USD', orders: 1, revenue: 10 },
      ],
      conversionRate: 0.75,
      abandonedCarts: 1,
      recoveredCarts: 0,
    });
    expect(res.body.series).toEqual([
      { start: '2026-03-28T23:00:00.000Z', label: '2026-03-29', visitors: 1, sessions: 1, orders: 1, revenue: { EUR: 20 } },
      { start: '2026-03-29T22:00:00.000Z', label: '2026-03-30', visitors: 2, sessions: 2, orders: 1, revenue: { USD: 10 } },
      { start: '2026-03-30T22:00:00.000Z', label: '2026-03-31', visitors: 1, sessions: 1, orders: 1, revenue: { EUR: 5 } },
    ]);
  });

  it('reads dates as days of the shop’s time zone: in UTC, A’s visit is on the 28th', async () => {
    const app = await shop('UTC');
    const res = await get(app, '/v1/exports/overview?from=2026-03-29&to=2026-04-01').expect(200);
    expect(res.body.from).toBe('2026-03-29T00:00:00.000Z');
    expect(res.body.totals).toMatchObject({ visitors: 3, orders: 2 });
    expect(res.body.series.map((p: { label: string; visitors: number }) => [p.label, p.visitors])).toEqual([
      ['2026-03-29', 0],
      ['2026-03-30', 2],
      ['2026-03-31', 1],
    ]);
  });

  it('defaults to the last 30 days of the shop’s calendar, today included', async () => {
    const app = await shop('Europe/Berlin');
    const res = await get(app, '/v1/exports/overview').expect(200);
    expect(res.body.from).toBe('2026-03-01T23:00:00.000Z');
    expect(res.body.to).toBe('2026-03-31T22:00:00.000Z');
    expect(res.body.series).toHaveLength(30);
    expect(res.body.totals.orders).toBe(3);
  });

  it('answers the series as CSV, a currency and revenue pair per currency, and by hour', async () => {
    const app = await shop('Europe/Berlin');
    const csv = await get(app, '/v1/exports/overview?from=2026-03-30&to=2026-03-31&format=csv').expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    // A currency and revenue pair per currency sold in the range, the currency next to its amount.
    expect(csv.text).toBe('start,label,visitors,sessions,orders,currency_1,revenue_1\r\n2026-03-29T22:00:00.000Z,2026-03-30,2,2,1,USD,10\r\n');
    const two = await get(app, '/v1/exports/overview?from=2026-03-30&to=2026-04-01&format=csv').expect(200);
    expect(two.text.split('\r\n')).toEqual([
      'start,label,visitors,sessions,orders,currency_1,revenue_1,currency_2,revenue_2',
      '2026-03-29T22:00:00.000Z,2026-03-30,2,2,1,USD,10,EUR,0',
      '2026-03-30T22:00:00.000Z,2026-03-31,1,1,1,USD,0,EUR,5',
      '',
    ]);
    const hours = await get(app, '/v1/exports/overview?from=2026-03-30&to=2026-03-31&interval=hour').expect(200);
    expect(hours.body.series).toHaveLength(24);
    expect(hours.body.series[10]).toMatchObject({ label: '2026-03-30T10:00', visitors: 1, orders: 1 });
    expect((await get(app, '/v1/exports/overview?from=2020-01-01&to=2026-01-01&interval=hour')).status).toBe(400);
    expect((await get(app, '/v1/exports/overview?interval=week')).body.error.message).toBe('interval must be one of day, hour (got "week")');
  });
});

describe('GET /v1/exports/steps', () => {
  it('lists event names and page paths, most frequent first, as a funnel names them (the bot’s pages with includeBots)', async () => {
    const app = await shop('UTC');
    const res = await get(app, '/v1/exports/steps').expect(200);
    expect(res.body).toEqual([
      { step: 'Order Completed', kind: 'event', events: 4 },
      { step: 'Product Added', kind: 'event', events: 1 },
      { step: 'page:/', kind: 'page', events: 2 },
      { step: 'page:/mug', kind: 'page', events: 2 },
    ]);
    const bots = await get(app, '/v1/exports/steps?includeBots=true').expect(200);
    expect(bots.body.slice(2)).toEqual([
      { step: 'page:/', kind: 'page', events: 3 },
      { step: 'page:/mug', kind: 'page', events: 3 },
    ]);
    const csv = await get(app, '/v1/exports/steps?format=csv&from=2026-03-31').expect(200);
    expect(csv.text).toBe('step,kind,events\r\nOrder Completed,event,1\r\npage:/,page,1\r\n');
  });
});
