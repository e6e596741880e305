// Bots are left out of every figure: headless browsers and crawlers, sent through a real
// collector with their own User-Agent headers (which the collector reduces to device type `bot`),
// are absent from funnels (every unit), sessions, products, carts, customers and the Cart
// Abandoned events the abandonment job records; `includeBots=true` shows them.
import request from 'supertest';
import type { Express } from 'express';
import { ADMIN_TOKEN, NOW, WRITE_KEY, basic, bearer, recordAbandonedCarts, useFixtures } from '../helpers';

const fx = useFixtures();
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));

const DESKTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
// What headless Chromium sends by default, and a crawler.
const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36';
const CRAWLER = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

const MUG = { product_id: 'mug', name: 'Mug', price: 10, currency: 'EUR' };
const TEA = { product_id: 'tea', name: 'Tea', price: 4, currency: 'EUR' };

let n = 0;
function ev(anonymousId: string, minutes: number, sessionId: string, fields: Record<string, unknown>) {
  n += 1;
  return { type: 'track', anonymousId, messageId: `b-${n}`, timestamp: at(minutes), context: { sessionId }, ...fields };
}
const track = (a: string, m: number, s: string, event: string, properties: Record<string, unknown> = {}, userId?: string) =>
  ev(a, m, s, { event, properties, ...(userId && { userId }) });

async function send(app: Express, userAgent: string, batch: Record<string, unknown>[]) {
  const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).set('User-Agent', userAgent).send({ batch });
  expect(res.body).toMatchObject({ ok: true, rejected: [] });
}

/**
 * People: H on a desktop views, adds and buys a mug as customer C; Q on a phone adds tea and
 * leaves. Bots: the headless browser B views and adds the mug, logs in as customer K and orders
 * it; the crawler Z views the tea and adds it (an abandoned cart that is no shop's lost sale).
 */
async function shop() {
  const { app, storage } = await fx.collector();
  await send(app, DESKTOP, [
    track('H', -300, 'sH', 'Product Viewed', MUG),
    track('H', -299, 'sH', 'Product Added', { ...MUG, quantity: 1 }),
    ev('H', -298, 'sH', { type: 'identify', userId: 'C' }),
    track('H', -297, 'sH', 'Order Completed', { order_id: 'o-1', total: 10, currency: 'EUR', products: [{ ...MUG, quantity: 1 }] }, 'C'),
  ]);
  await send(app, PHONE, [track('Q', -200, 'sQ', 'Product Viewed', TEA), track('Q', -199, 'sQ', 'Product Added', { ...TEA, quantity: 1 })]);
  await send(app, HEADLESS, [
    track('B', -150, 'sB', 'Product Viewed', MUG),
    track('B', -149, 'sB', 'Product Added', { ...MUG, quantity: 2 }),
    ev('B', -148, 'sB', { type: 'identify', userId: 'K' }),
    track('B', -147, 'sB', 'Order Completed', { order_id: 'o-2', total: 20, currency: 'EUR', products: [{ ...MUG, quantity: 2 }] }, 'K'),
  ]);
  await send(app, CRAWLER, [track('Z', -100, 'sZ', 'Product Viewed', TEA), track('Z', -99, 'sZ', 'Product Added', { ...TEA, quantity: 1 })]);
  return { app, storage };
}

const units = (body: { steps: { units: number }[] }) => body.steps.map((s) => s.units);

describe('bots in the exports', () => {
  it('stores what the bots sent with device type bot', async () => {
    const { storage } = await shop();
    const events = await storage.getProfileEvents('Z');
    expect(events!.map((e) => (e.context as { device?: { type: string } }).device?.type)).toEqual(['bot', 'bot']);
  });

  it.each([
    ['session', [2, 2, 1], [4, 4, 2]],
    ['visitor', [2, 2, 1], [4, 4, 2]],
    ['customer', [2, 2, 1], [4, 4, 2]],
  ])('leaves them out of a funnel by %s, and counts them with includeBots=true', async (unit, people, all) => {
    const { app } = await shop();
    const path = `/v1/exports/funnel?steps=Product Viewed,Product Added,Order Completed&unit=${unit}`;
    expect(units((await get(app, path).expect(200)).body)).toEqual(people);
    expect(units((await get(app, `${path}&includeBots=false`).expect(200)).body)).toEqual(people);
    expect(units((await get(app, `${path}&includeBots=true`).expect(200)).body)).toEqual(all);
  });

  it('has no bot sessions in a breakdown by device unless asked', async () => {
    const { app } = await shop();
    const path = '/v1/exports/funnel?steps=Product Viewed&by=device';
    const values = (body: { segments: { value: string; steps: { units: number }[] }[] }) =>
      Object.fromEntries(body.segments.map((s) => [s.value, s.steps[0].units]));
    expect(values((await get(app, path).expect(200)).body)).toEqual({ desktop: 1, mobile: 1 });
    expect(values((await get(app, `${path}&includeBots=true`).expect(200)).body)).toEqual({ desktop: 1, mobile: 1, bot: 2 });
  });

  it('leaves them out of product statistics', async () => {
    const { app } = await shop();
    const pick = (rows: { productId: string; views: number; adds: number; orders: number; units: number; cartsAbandoned: number }[]) =>
      Object.fromEntries(rows.map((r) => [r.productId, [r.views, r.adds, r.orders, r.units, r.cartsAbandoned]]));
    expect(pick((await get(app, '/v1/exports/products').expect(200)).body)).toEqual({ mug: [1, 1, 1, 1, 0], tea: [1, 1, 0, 0, 1] });
    expect(pick((await get(app, '/v1/exports/products?includeBots=true').expect(200)).body)).toEqual({ mug: [2, 2, 2, 3, 0], tea: [2, 2, 0, 0, 2] });
  });

  it('leaves their carts out of the carts export and out of the Cart Abandoned events the job records', async () => {
    const { app, storage } = await shop();
    const ids = (rows: { profileId: string }[]) => rows.map((r) => r.profileId);
    expect(ids((await get(app, '/v1/exports/abandoned-carts').expect(200)).body)).toEqual(['Q']);
    expect(ids((await get(app, '/v1/exports/abandoned-carts?includeBots=true').expect(200)).body)).toEqual(['Q', 'Z']);
    expect(await recordAbandonedCarts(storage)).toBe(1);
    expect((await storage.getProfileEvents('Q'))!.map((e) => e.event)).toContain('Cart Abandoned');
    expect((await storage.getProfileEvents('Z'))!.map((e) => e.event)).not.toContain('Cart Abandoned');
  });

  it('leaves bot customers out of the profiles export', async () => {
    const { app } = await shop();
    const rows = async (q: string) => ((await get(app, `/v1/exports/profiles${q}`).expect(200)).body as { customerId: string; orders: number }[]).map((r) => [r.customerId, r.orders]);
    expect(await rows('')).toEqual([['C', 1]]);
    expect(await rows('?includeBots=true')).toEqual([['C', 1], ['K', 1]]);
  });

  it('takes includeBots only as true or false', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/products?includeBots=yes').expect(400);
    expect(res.body.error.message).toBe('includeBots must be one of false, true (got "yes")');
  });
});
