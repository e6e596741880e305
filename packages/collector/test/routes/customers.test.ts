// The customers export, the segments insight and one customer's history through the admin API:
// formats, asOf, guests, a customer on two devices and the phone, an anonymous id that identified,
// 404 for an unknown customer, and a long history streamed in pieces.
import request from 'supertest';
import type { Express } from 'express';
import { parse } from 'csv-parse/sync';
import { runExport } from '../../src';
import { ADMIN_TOKEN, NOW, SERVER_KEY, WRITE_KEY, basic, bearer, useFixtures } from '../helpers';

const fx = useFixtures();
const DAY = 86_400_000;
/** Event times relative to the collector's clock (NOW), in days. */
const at = (days: number) => new Date(NOW + days * DAY).toISOString();

let n = 0;
const ev = (fields: Record<string, unknown>) => ({ type: 'track', messageId: `c-${++n}`, ...fields });
const order = (days: number, who: Record<string, unknown>, orderId: string, total: number, currency: string, context: Record<string, unknown> = {}) =>
  ev({ ...who, event: 'Order Completed', timestamp: at(days), properties: { order_id: orderId, total, currency, products: [{ product_id: 'mug', price: total, quantity: 1 }] }, context });

/**
 * C: a phone (P) browsing at -20 d, identifies on a laptop (L) at -10 d and orders there in EUR,
 *    then orders by phone (the backend, context.channel phone) at -2 d.
 * G: a guest who orders at -5 d in USD.
 * V: identified, never orders.
 */
async function shop(): Promise<Express> {
  const { app } = await fx.collector({ clientClock: 'trust' });
  const send = (key: string, userAgent: string | undefined, batch: Record<string, unknown>[]) => {
    const req = request(app).post('/v1/batch').set('Authorization', basic(key));
    return (userAgent ? req.set('User-Agent', userAgent) : req).send({ batch }).expect(200);
  };
  await send(WRITE_KEY, PHONE, [ev({ type: 'page', anonymousId: 'P', timestamp: at(-20), context: { sessionId: 'p1', page: { path: '/mug', url: 'https://shop.example/mug' } } })]);
  await send(WRITE_KEY, LAPTOP, [
    ev({ type: 'identify', anonymousId: 'L', userId: 'C', timestamp: at(-10), traits: { email: 'c@example.com' }, context: { sessionId: 'l1' } }),
    ev({ type: 'alias', previousId: 'P', userId: 'C', timestamp: at(-10) }),
    order(-10, { anonymousId: 'L', userId: 'C' }, 'o1', 30, 'EUR', { sessionId: 'l1' }),
    order(-5, { anonymousId: 'G' }, 'g1', 12, 'USD', { sessionId: 'g1' }),
    ev({ type: 'identify', anonymousId: 'M', userId: 'V', timestamp: at(-3), context: { sessionId: 'm1' } }),
  ]);
  // The shop's backend, without a browser's user agent.
  await send(SERVER_KEY, undefined, [order(-2, { userId: 'C' }, 'o2', 50, 'EUR', { channel: 'phone' })]);
  return app;
}

const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0';

const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));

describe('GET /v1/exports/customers', () => {
  it('lists identified customers and guests who ordered, in JSON, NDJSON and CSV', async () => {
    const app = await shop();
    const json = (await get(app, '/v1/exports/customers').expect(200)).body as Record<string, unknown>[];
    expect(json.map((r) => [r.customerId, r.identified, r.orders])).toEqual([
      ['C', true, 2],
      ['G', false, 1],
      ['V', true, 0],
    ]);
    expect(json[0]).toMatchObject({ devices: 2, channels: ['direct', 'phone'], deviceTypes: ['desktop', 'mobile'], currencies: [{ currency: 'EUR', orders: 2, revenue: 80, averageOrderValue: 40 }] });
    for (const key of ['recency', 'frequency', 'monetary', 'segment', 'previousSegment', 'segmentSince', 'pAlive', 'expectedOrders30d', 'expectedOrders90d', 'expectedOrders365d', 'expectedValue365d']) {
      expect(json[0]).toHaveProperty(key);
    }
    const ndjson = (await get(app, '/v1/exports/customers?format=ndjson').expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(ndjson).toEqual(json);
    const csv = await get(app, '/v1/exports/customers?format=csv').expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = parse(csv.text) as string[][];
    expect(header.slice(-4)).toEqual(['currency_1', 'orders_1', 'revenue_1', 'averageOrderValue_1']);
    expect(header).toEqual(expect.arrayContaining(['segment', 'previousSegment', 'segmentSince', 'pAlive', 'expectedValue365d', 'expectedValueCurrency']));
    const c = Object.fromEntries(header.map((h, i) => [h, rows[0][i]]));
    expect(c).toMatchObject({ customerId: 'C', channels: 'direct phone', currency_1: 'EUR', orders_1: '2', revenue_1: '80' });
    expect(rows).toHaveLength(3);
  });

  it('lists the customers with an event a filter keeps, with their whole figures', async () => {
    const app = await shop();
    const rows = async (query: string) => ((await get(app, `/v1/exports/customers?${query}`).expect(200)).body as { customerId: string; orders: number }[]).map((r) => [r.customerId, r.orders]);
    expect(await rows('channel=phone')).toEqual([['C', 2]]);
    expect(await rows('device=mobile')).toEqual([['C', 2]]);
    expect(await rows('device=desktop')).toEqual([
      ['C', 2],
      ['G', 1],
      ['V', 0],
    ]);
  });

  it('reads nothing after asOf: a day counts to its end, a time to that moment', async () => {
    const app = await shop();
    const rows = async (asOf: string) => ((await get(app, `/v1/exports/customers?asOf=${asOf}`).expect(200)).body as { customerId: string; orders: number }[]).map((r) => [r.customerId, r.orders]);
    const day = at(-5).slice(0, 10);
    expect(await rows(day)).toEqual([
      ['C', 1],
      ['G', 1],
    ]);
    expect(await rows(encodeURIComponent(new Date(NOW - 5 * DAY - 1).toISOString()))).toEqual([['C', 1]]);
  });
});

describe('GET /v1/insights/segments', () => {
  it('sums customers and value per segment, with the grid; CSV per segment', async () => {
    const app = await shop();
    const res = await get(app, '/v1/insights/segments').expect(200);
    expect(res.body.customers).toBe(2);
    expect(res.body.segments).toHaveLength(10);
    expect(res.body.grid).toHaveLength(25);
    const total = res.body.segments.reduce((sum: number, s: { customers: number }) => sum + s.customers, 0);
    expect(total).toBe(2);
    expect((await get(app, '/v1/exports/segments').expect(200)).body).toEqual(res.body);
    const csv = parse((await get(app, '/v1/insights/segments?format=csv').expect(200)).text) as string[][];
    expect(csv[0]).toEqual(['segment', 'customers', 'share', 'orders', 'currency_1', 'revenue_1']);
    expect(csv).toHaveLength(11);
  });
});

describe('GET /v1/customers/:id/history', () => {
  it('gives every event of the stitched customer in time order, across devices and the phone, with a summary', async () => {
    const app = await shop();
    const res = await get(app, '/v1/customers/C/history').expect(200);
    expect(res.body.summary).toMatchObject({ customerId: 'C', orders: 2, segment: expect.any(String) });
    expect(res.body.anonymousIds.sort()).toEqual(['L', 'P']);
    const events = res.body.events as { type: string; event?: string; anonymousId?: string; timestamp: string }[];
    expect(events.map((e) => [e.type, e.anonymousId ?? null])).toEqual([
      ['page', 'P'],
      ['identify', 'L'],
      ['alias', null],
      ['track', 'L'],
      ['track', null],
    ]);
    expect(res.body.eventCount).toBe(5);
    // The same customer by one of its anonymous ids.
    expect((await get(app, '/v1/customers/P/history').expect(200)).body).toEqual(res.body);
    // A guest, by its anonymous id.
    expect((await get(app, '/v1/customers/G/history').expect(200)).body).toMatchObject({ customerId: 'G', summary: { identified: false, orders: 1 }, eventCount: 1 });
  });

  it('answers NDJSON (the summary first) and CSV (the summary, an empty line, the events)', async () => {
    const app = await shop();
    const lines = (await get(app, '/v1/customers/C/history?format=ndjson').expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ customerId: 'C', eventCount: 5, summary: { orders: 2 } });
    expect(lines.slice(1).map((e) => e.type)).toEqual(['page', 'identify', 'alias', 'track', 'track']);
    const csv = (await get(app, '/v1/customers/C/history?format=csv').expect(200)).text;
    const [summary, events] = csv.split('\r\n\r\n');
    const [sHeader, sRow] = parse(summary) as string[][];
    expect(sRow[sHeader.indexOf('customerId')]).toBe('C');
    const [eHeader, ...rows] = parse(events) as string[][];
    expect(eHeader.slice(0, 5)).toEqual(['timestamp', 'type', 'event', 'channel', 'device']);
    expect(rows.map((r) => [r[1], r[3], r[4]])).toEqual([
      ['page', 'direct', 'mobile'],
      ['identify', 'direct', 'desktop'],
      ['alias', '', 'desktop'],
      ['track', 'direct', 'desktop'],
      ['track', 'phone', 'unknown'],
    ]);
  });

  it('leaves out what came after asOf, and answers 404 for an unknown customer', async () => {
    const app = await shop();
    const res = await get(app, `/v1/customers/C/history?asOf=${at(-10).slice(0, 10)}`).expect(200);
    expect(res.body.eventCount).toBe(4);
    expect(res.body.summary.orders).toBe(1);
    const missing = await get(app, '/v1/customers/nobody/history').expect(404);
    expect(missing.body.error.message).toContain('nobody');
    expect((await get(app, '/v1/customers/C/history?customer=X').expect(400)).body.error.code).toBe('invalid_query');
    await request(app).get('/v1/customers/C/history').expect(401);
  });

  it('streams a long history in pieces, each read a page at a time', async () => {
    const { app, storage } = await fx.collector({ clientClock: 'trust', eventRateLimit: 0 });
    const batch = Array.from({ length: 3000 }, (_, i) =>
      ev({ anonymousId: 'A', userId: 'LONG', event: 'Product Viewed', timestamp: new Date(NOW - DAY + i * 1000).toISOString(), properties: { product_id: `p${i % 50}`, note: 'x'.repeat(80) } }),
    );
    for (let i = 0; i < batch.length; i += 1000) await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: batch.slice(i, i + 1000) }).expect(200);
    const output = await runExport(storage, 'history', { customer: 'LONG', format: 'ndjson' }, { now: () => NOW });
    const pieces: string[] = [];
    for await (const piece of output.chunks) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(10);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(70_000);
    const lines = pieces.join('').trim().split('\n');
    expect(lines).toHaveLength(3001);
    const times = lines.slice(1).map((l) => JSON.parse(l).timestamp as string);
    expect(times).toEqual([...times].sort());
  });
});
