// One customer's history shows the customer's purchase prediction, and the purchase model behind
// it is fitted once per state of the analytics cache and day, not once per request: events
// stored through a real collector into a real SQLite file, histories read the way the route reads
// them (runExport over the collector's kind of analytics service), the fits counted by wrapping
// the real model (every answer comes from it).
import request from 'supertest';
import { createAnalyticsService, runExport, type AnalyticsService, type Collector, type Store } from '../src';
import { predictCustomers } from '../src/analytics/prediction';
import { NOW, SERVER_KEY, basic, useFixtures } from './helpers';

const fx = useFixtures();
const DAY = 86_400_000;

let n = 0;
const order = (customer: string, daysAgo: number, total: number) => ({
  type: 'track',
  messageId: `hf-${++n}`,
  userId: customer,
  event: 'Order Completed',
  timestamp: new Date(NOW - daysAgo * DAY).toISOString(),
  properties: { order_id: `hf-o-${n}`, total, currency: 'EUR' },
});

/** 40 customers over 300 days: some order once, some up to five times, at prices of their own. */
function orders(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let c = 0; c < 40; c++) {
    const first = 20 + ((c * 37) % 280);
    const count = 1 + ((c * 7) % 5);
    for (let k = 0; k < count; k++) out.push(order(`cust-${c}`, Math.max(1, first - k * (3 + ((c * 11) % 40))), 10 + ((c * 13) % 90) + k));
  }
  return out;
}

const ingest = (app: Collector, batch: unknown[]) => request(app).post('/v1/batch').set('Authorization', basic(SERVER_KEY)).send({ batch }).expect(200);

async function setUp(): Promise<{ app: Collector; storage: Store; service: AnalyticsService; fits: () => number }> {
  const { app, storage } = await fx.collector();
  await ingest(app, orders());
  let fits = 0;
  const service = createAnalyticsService(storage, {
    predict: (rows, asOf) => {
      fits++;
      return predictCustomers(rows, asOf);
    },
  });
  fx.cleanup(() => service.stop());
  return { app, storage, service, fits: () => fits };
}

async function history(storage: Store, service: AnalyticsService, customer: string, asOf?: string): Promise<{ summary: Record<string, unknown>; eventCount: number }> {
  const out = await runExport(storage, 'history', { customer, ...(asOf && { asOf }) }, { analytics: service, now: () => NOW });
  let text = '';
  for await (const chunk of out.chunks) text += chunk;
  return JSON.parse(text);
}

describe('the purchase model behind a customer history', () => {
  it('is fitted at the first request and reused by the next ones of the same state and day', async () => {
    const { storage, service, fits } = await setUp();
    const first = await history(storage, service, 'cust-3');
    expect(first.summary.pAlive).toEqual(expect.any(Number));
    expect(fits()).toBe(1);
    const again = await history(storage, service, 'cust-3');
    const other = await history(storage, service, 'cust-8');
    expect(fits()).toBe(1);
    expect(again.summary).toEqual(first.summary);
    expect(other.summary.expectedOrders365d).toEqual(expect.any(Number));
    // Another time of the same day that reads the same orders: the same fit.
    const earlier = await history(storage, service, 'cust-3', new Date(NOW - 3_600_000).toISOString());
    expect(fits()).toBe(1);
    expect(earlier.summary.pAlive).toBe(first.summary.pAlive);
  });

  it('answers what a fit of its own would (the cached model is the real one)', async () => {
    const { storage, service } = await setUp();
    await history(storage, service, 'cust-5');
    const cached = await history(storage, service, 'cust-12');
    // A one-off service (no shared cache) fits afresh.
    const out = await runExport(storage, 'history', { customer: 'cust-12' }, { now: () => NOW });
    let text = '';
    for await (const chunk of out.chunks) text += chunk;
    expect(cached.summary).toEqual(JSON.parse(text).summary);
  });

  it('is fitted again once a new event arrives, and for another day', async () => {
    const { app, storage, service, fits } = await setUp();
    const before = await history(storage, service, 'cust-3');
    expect(fits()).toBe(1);
    // Any event is a new state of the cache (it may be an order, a link that stitches two
    // customers, an erasure's aftermath): the next request fits on what is stored now.
    await ingest(app, [{ type: 'page', messageId: `hf-${++n}`, anonymousId: 'someone', timestamp: new Date(NOW - 1000).toISOString(), properties: { path: '/' } }]);
    await history(storage, service, 'cust-3');
    expect(fits()).toBe(2);
    // A new order of the customer: fitted again, and the prediction moves.
    await ingest(app, [order('cust-3', 0.01, 40)]);
    const after = await history(storage, service, 'cust-3');
    expect(fits()).toBe(3);
    expect(after.summary.orders).toBe((before.summary.orders as number) + 1);
    expect(after.summary.pAlive).not.toBe(before.summary.pAlive);
    // The same day before that order: other orders, so a fit of its own, which does not see it.
    const hourAgo = await history(storage, service, 'cust-3', new Date(NOW - 3_600_000).toISOString());
    expect(fits()).toBe(4);
    expect(hourAgo.summary.orders).toBe(before.summary.orders);
    expect(hourAgo.summary.pAlive).not.toBe(after.summary.pAlive);
    // Another day: T ends on another day, so another fit.
    await history(storage, service, 'cust-3', new Date(NOW - 10 * DAY).toISOString());
    expect(fits()).toBe(5);
    expect((await history(storage, service, 'cust-3')).summary).toEqual(after.summary);
    expect(fits()).toBe(5);
  });
});
