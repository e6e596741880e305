// The export API as a product team uses it: funnels, abandoned carts (recorded once by the
// abandonment job, shown in the timeline, recovered across devices), products, profiles and the
// raw event stream, in every format. Reading an export writes nothing.
import request from 'supertest';
import type { Express } from 'express';
import { startAbandonment } from '../../src/jobs/abandonment';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import { ADMIN_TOKEN, NOW, WRITE_KEY, basic, bearer, recordAbandonedCarts, useFixtures } from '../helpers';

const fx = useFixtures();
const MIN = 60_000;
/** Event times relative to the collector's clock (NOW), in minutes. */
const at = (minutes: number) => new Date(NOW + minutes * MIN).toISOString();

let n = 0;
function ev(type: string, anonymousId: string, minutes: number, fields: Record<string, unknown> = {}) {
  n += 1;
  return { type, anonymousId, messageId: `m-${n}`, timestamp: at(minutes), ...fields };
}
const page = (a: string, m: number, path: string, sessionId: string) =>
  ev('page', a, m, { properties: { path }, context: { sessionId, page: { path, url: `https://shop.example${path}` } } });
const track = (a: string, m: number, event: string, sessionId: string, properties: Record<string, unknown> = {}, userId?: string) =>
  ev('track', a, m, { event, properties, context: { sessionId }, ...(userId && { userId }) });

async function send(app: Express, batch: Record<string, unknown>[]) {
  const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch });
  expect(res.body).toMatchObject({ ok: true, rejected: [] });
}
const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));

const MUG = { product_id: 'mug', name: 'Enamel mug', price: 12.5, currency: 'EUR' };
const TEA = { product_id: 'tea', name: '=HYPERLINK("http://evil.example","tea")', price: 8, currency: 'EUR' };

/**
 * Three visitors, all before NOW:
 * - P (phone, anonymous) views and adds a mug at -300 min, leaves; then logs in on a laptop (L)
 *   as customer C at -200 and buys it: the phone's cart is abandoned at -270 and recovered.
 * - Q views the tea, adds it at -100 and never comes back: abandoned at -70, not recovered.
 * - R only looks at the mug (-50) in two sessions.
 */
function scenario() {
  return [
    page('P', -301, '/products/mug', 'sP1'),
    track('P', -300, 'Product Viewed', 'sP1', MUG),
    track('P', -299, 'Product Added', 'sP1', { ...MUG, quantity: 2 }),
    ev('identify', 'L', -200, { userId: 'C', traits: { email: 'c@example.com' }, context: { sessionId: 'sL1' } }),
    ev('alias', 'L', -200, { previousId: 'P', userId: 'C' }),
    track('L', -199, 'Product Viewed', 'sL1', MUG, 'C'),
    track('L', -198, 'Product Added', 'sL1', { ...MUG, quantity: 1 }, 'C'),
    track('L', -197, 'Checkout Started', 'sL1', {}, 'C'),
    track('L', -196, 'Order Completed', 'sL1', { order_id: 'o-1', total: 12.5, currency: 'EUR', products: [{ ...MUG, quantity: 1 }] }, 'C'),
    page('Q', -101, '/products/tea', 'sQ1'),
    track('Q', -100, 'Product Viewed', 'sQ1', TEA),
    track('Q', -100, 'Product Added', 'sQ1', { ...TEA, quantity: 1 }),
    track('R', -50, 'Product Viewed', 'sR1', MUG),
    track('R', -10, 'Product Viewed', 'sR2', MUG),
  ];
}

async function shop() {
  const { app, storage } = await fx.collector();
  await send(app, scenario());
  return { app, storage };
}

describe('GET /v1/exports/funnel', () => {
  it('counts sessions per step with drop-off, conversion and median time (JSON)', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/funnel?steps=Product Viewed,Product Added,Checkout Started,Order Completed').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.segments).toBeUndefined();
    const steps = res.body.steps as { units: number; dropOff: number | null; conversionFromStart: number | null; medianSecondsFromPrevious: number | null }[];
    // sessions with a view: sP1, sL1, sQ1, sR1, sR2; an add: sP1, sL1, sQ1; checkout and order: sL1.
    expect(steps.map((s) => s.units)).toEqual([5, 3, 1, 1]);
    expect(steps.map((s) => s.dropOff)).toEqual([2, 2, 0, null]);
    expect(steps[3].conversionFromStart).toBe(0.2);
    expect(steps[1].medianSecondsFromPrevious).toBe(60); // 60 s (P, L) and 0 s (Q): median of 0, 60, 60
  });

  it('counts stitched customers across devices with unit=customer, and breaks down by a session attribute', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/funnel?steps=Product Added,Order Completed&unit=customer').expect(200);
    // C (phone P + laptop L) added and bought; Q added only.
    expect(res.body.steps.map((s: { units: number }) => s.units)).toEqual([2, 1]);
    const by = await get(app, '/v1/exports/funnel?steps=Product Viewed,Product Added&by=returning').expect(200);
    const segments = by.body.segments as { key: string; value: string; steps: { units: number }[] }[];
    const total = segments.reduce((sum, s) => sum + s.steps[0].units, 0);
    expect(total).toBe(5);
    expect(segments.every((s) => s.key === 'returning')).toBe(true);
  });

  it('restricts step 1 to [from, to)', async () => {
    const { app } = await shop();
    const res = await get(app, `/v1/exports/funnel?steps=Product Viewed,Product Added&from=${at(-150)}&to=${at(-10)}`).expect(200);
    // views in range: sQ1 (-100), sR1 (-50); sR2 at -10 is excluded by the open end.
    expect(res.body.steps.map((s: { units: number }) => s.units)).toEqual([2, 1]);
  });

  it('writes CSV with a header row, one row per step and CRLF', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/funnel?steps=Product Viewed,Order Completed&format=csv').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="spur-funnel.csv"');
    const lines = res.text.split('\r\n');
    expect(lines[0]).toBe('step,name,units,dropOff,conversionFromPrevious,conversionFromStart,medianSecondsFromPrevious');
    expect(lines[1]).toMatch(/^1,Product Viewed,5,4,,1,$/);
    expect(lines[2]).toMatch(/^2,Order Completed,1,,0\.2,0\.2,\d+$/);
    expect(lines[3]).toBe('');
  });

  it('answers 400 naming the parameter for a bad query', async () => {
    const { app } = await shop();
    for (const [query, word] of [
      ['unit=household', 'unit'],
      ['window=3 weeks', 'window'],
      ['by=shoe_size', 'by'],
      ['from=yesterday', 'from'],
      [`from=${at(0)}&to=${at(-5)}`, 'from must be before to'],
      ['format=xlsx', 'format'],
      ['steps=Product Viewed,page:checkout', 'page path'],
    ]) {
      const res = await get(app, `/v1/exports/funnel?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(word);
    }
  });
});

describe('GET /v1/exports/abandoned-carts', () => {
  it('lists each abandoned cart once, recovered by an order on another device after login', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/abandoned-carts').expect(200);
    expect(res.body).toEqual([
      {
        profileId: 'C',
        customerId: 'C',
        anonymousId: 'P',
        items: [{ product_id: 'mug', variant: null, name: 'Enamel mug', price: 12.5, quantity: 2, currency: 'EUR' }],
        value: 25,
        currency: 'EUR',
        lastActivityAt: at(-299),
        abandonedAt: at(-269),
        recovered: true,
        recoveredOrderId: 'o-1',
        // Where it was left: the phone's session, the last page before -269; the checkout came later.
        device: 'unknown',
        channel: 'direct',
        utmSource: null,
        lastPage: '/products/mug',
        checkoutStep: 'cart',
        // No exit survey answer joined to it.
        surveyId: null,
        surveyAnswer: null,
        surveyText: null,
      },
      expect.objectContaining({ profileId: 'Q', customerId: null, value: 8, abandonedAt: at(-70), recovered: false, recoveredOrderId: null, lastPage: '/products/tea' }),
    ]);
  });

  it('writes nothing: the abandonment job records a Cart Abandoned event once, in the timeline of the profile, however often it runs', async () => {
    const { app, storage } = await shop();
    await get(app, '/v1/exports/abandoned-carts').expect(200);
    await get(app, '/v1/exports/abandoned-carts?format=csv').expect(200);
    expect(await storage.countEvents({})).toBe(scenario().length);
    expect(await recordAbandonedCarts(storage)).toBe(2);
    // Again, and from another collector's job: a duplicate each time.
    await recordAbandonedCarts(storage);
    await recordAbandonedCarts(storage);
    const timeline = (await get(app, '/v1/profiles/Q/events').expect(200)).body.events as { event?: string; timestamp: string; properties: Record<string, unknown> }[];
    const abandoned = timeline.filter((e) => e.event === 'Cart Abandoned');
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0].timestamp).toBe(at(-70));
    expect(abandoned[0].properties).toMatchObject({ value: 8, currency: 'EUR', products: [{ product_id: 'tea', quantity: 1 }] });
    const all = await storage.countEvents({});
    expect(all).toBe(scenario().length + 2);
  });

  it('keeps a cart open until its 30 minutes have passed by the collector clock', async () => {
    const { app } = await shop();
    await send(app, [track('Z', -29, 'Product Added', 'sZ1', { ...MUG, quantity: 1 })]);
    const ids = ((await get(app, '/v1/exports/abandoned-carts').expect(200)).body as { profileId: string }[]).map((c) => c.profileId);
    expect(ids).toEqual(['C', 'Q']);
  });

  it('makes spreadsheet formulas inert in CSV and filters by abandonment time', async () => {
    const { app } = await shop();
    const res = await get(app, `/v1/exports/abandoned-carts?format=csv&from=${at(-100)}`).expect(200);
    const [header, row, end] = res.text.split('\r\n');
    expect(header).toBe(
      'profileId,customerId,anonymousId,device,channel,utmSource,lastPage,checkoutStep,itemCount,lineCount,value,currency,lastActivityAt,abandonedAt,recovered,recoveredOrderId,' +
        'surveyId,surveyAnswer,surveyText,item1ProductId,item1Variant,item1Name,item1Quantity,item1Price,item1Currency',
    );
    expect(row.startsWith('Q,,Q,unknown,direct,,/products/tea,cart,1,1,8,EUR,')).toBe(true);
    // The product name has a cell of its own, prefixed so that it stays text.
    expect(row.endsWith(`,tea,,"'=HYPERLINK(""http://evil.example"",""tea"")",1,8,EUR`)).toBe(true);
    expect(end).toBe('');
    const ndjson = await get(app, '/v1/exports/abandoned-carts?format=ndjson').expect(200);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(ndjson.text.trim().split('\n').map((l) => JSON.parse(l).profileId)).toEqual(['C', 'Q']);
  });
});

describe('GET /v1/exports/products and /v1/exports/profiles', () => {
  it('gives per-product views, adds, checkouts, orders, revenue per currency, rates and abandonment', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/products').expect(200);
    const mug = res.body.find((p: { productId: string }) => p.productId === 'mug');
    expect(mug).toMatchObject({ views: 4, adds: 2, checkouts: 1, orders: 1, units: 1, revenue: [{ currency: 'EUR', amount: 12.5 }], carts: 1, cartsAbandoned: 1 });
    const csv = await get(app, '/v1/exports/products?format=csv').expect(200);
    // The formula in the tea's name is prefixed, so a spreadsheet shows it as text.
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil.example"",""tea"")"`);
  });

  it('gives per-customer figures under the earlier name profiles, as the customers export does', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/profiles').expect(200);
    expect(res.body).toEqual([
      expect.objectContaining({ customerId: 'C', devices: 2, orders: 1, currencies: [{ currency: 'EUR', orders: 1, revenue: 12.5, averageOrderValue: 12.5 }], lastOrderAt: at(-196) }),
    ]);
    expect((await get(app, '/v1/exports/customers').expect(200)).body).toEqual(res.body);
  });
});

describe('GET /v1/exports/events', () => {
  it('streams every stored event as NDJSON in pages, with the row count up front', async () => {
    // 4,500 events from one address on a clock that stands still: no event rate limit.
    const { app } = await fx.collector({ eventRateLimit: 0 });
    const batch = Array.from({ length: 4500 }, (_, i) => track(`v${i % 7}`, -1000 + (i % 900), 'Product Viewed', `s${i % 7}`, MUG));
    for (let i = 0; i < batch.length; i += 500) await send(app, batch.slice(i, i + 500));
    const res = await get(app, '/v1/exports/events').expect(200);
    expect(res.headers['x-spur-total-rows']).toBe('4500');
    const lines = res.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(4500);
    expect(new Set(lines.map((l) => JSON.parse(l).messageId)).size).toBe(4500);
    const ranged = await get(app, `/v1/exports/events?from=${at(-200)}&to=${at(-150)}`).expect(200);
    const times = ranged.text.trim().split('\n').map((l) => JSON.parse(l).timestamp as string);
    expect(times.length).toBe(Number(ranged.headers['x-spur-total-rows']));
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((t) => t >= at(-200) && t < at(-150))).toBe(true);
  });
});

describe('access to exports', () => {
  it('needs the admin token; a write key reads nothing; unknown exports are 404', async () => {
    const { app } = await shop();
    expect((await request(app).get('/v1/exports/funnel')).status).toBe(401);
    expect((await request(app).get('/v1/exports/events').set('Authorization', basic(WRITE_KEY))).status).toBe(401);
    expect((await request(app).get('/v1/exports/events').set('Authorization', bearer('wrong'))).status).toBe(401);
    const res = await get(app, '/v1/exports/everything');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('abandoned-carts');
  });
});

describe('cart abandonment on a timer', () => {
  it('records Cart Abandoned when the time has passed, without an export asking', async () => {
    const { app, storage } = await fx.collector();
    await send(app, [track('T', -40, 'Product Added', 'sT', { ...MUG, quantity: 1 })]);
    let clock = NOW - 20 * MIN;
    const service = createAnalyticsService(storage, { intervalMs: 10 });
    const job = startAbandonment({ store: storage, analytics: service, now: () => clock, intervalMs: 10 });
    service.start();
    try {
      await new Promise((r) => setTimeout(r, 50));
      const before = await storage.getProfileEvents('T');
      expect(before!.map((e) => e.event)).toEqual(['Product Added']);
      clock = NOW;
      // The timer records it: nothing here asks.
      const events = async () => (await storage.getProfileEvents('T'))!.map((e) => e.event);
      for (let i = 0; i < 200 && (await events()).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await events()).toEqual(['Product Added', 'Cart Abandoned']);
    } finally {
      await job.stop();
      await service.stop();
    }
  });
});
