// Customer statistics and RFM against the seeded shop with known answers (fixtures/), end to end
// for a storage backend: the shop's visits are sent through the ordinary ingest of a real
// collector on loopback (POST /v1/batch with each device's user agent; the backend's phone orders
// without one), then the customers export, the segments insight and a history must give what the
// generator's books say.
import { createCollector, createStore, startServer, type RunningServer, type Storage } from '../../src';
import { AS_OF, customerShop, type Book, type ShopBatch } from '../fixtures/customer-shop';
import { expectedCustomers } from '../fixtures/customer-shop-expected';
import { recordAbandonedCarts } from '../helpers';

const KEY = 'wk_customers';
const TOKEN = 'customers-admin-token';
const PREDICTIONS = ['pAlive', 'expectedOrders30d', 'expectedOrders90d', 'expectedOrders365d', 'expectedValue365d', 'expectedValueCurrency'];

// Requests of at most 1,000 events, each with one user agent (or none).
function requests(batches: ShopBatch[]): ShopBatch[] {
  const out: ShopBatch[] = [];
  const byAgent = new Map<string | undefined, Record<string, unknown>[]>();
  for (const b of batches) byAgent.set(b.userAgent, [...(byAgent.get(b.userAgent) ?? []), ...b.events]);
  for (const [userAgent, events] of byAgent) for (let i = 0; i < events.length; i += 1000) out.push({ userAgent, events: events.slice(i, i + 1000) });
  return out;
}

/** Registers the tests on a collector over the storage `open` opens (fresh and empty). */
export function customerShopTests(open: () => Promise<Storage>): void {
  let server: RunningServer;
  const shop = customerShop(20261205, 260);
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    const storage = createStore(await open());
    const app = createCollector({ storage, writeKeys: { [KEY]: [] }, adminToken: TOKEN, rateLimit: 0, eventRateLimit: 0, clientClock: 'trust', now: () => AS_OF });
    server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    for (const { userAgent, events } of requests(shop.batches)) {
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` };
      if (userAgent) headers['user-agent'] = userAgent;
      const res = await fetch(`${server.url}/v1/batch`, { method: 'POST', headers, body: JSON.stringify({ batch: events }) });
      const body = (await res.json()) as { rejected: unknown[] };
      expect({ status: res.status, rejected: body.rejected }).toEqual({ status: 200, rejected: [] });
    }
    // The collector's abandonment job, once: its Cart Abandoned events are stored events of the
    // customers now, and must not count as their activity.
    expect(await recordAbandonedCarts(storage, () => AS_OF)).toBeGreaterThan(10);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('has what the test is about: guests, two devices, currencies, phone orders, resends, bots', () => {
    const books = shop.books;
    expect(books.filter((b) => !b.identified && b.orders.length > 0).length).toBeGreaterThan(10);
    expect(books.filter((b) => b.deviceTypes.size === 2).length).toBeGreaterThan(10);
    expect(new Set(books.flatMap((b) => b.orders.map((o) => o.currency))).size).toBe(3);
    expect(books.filter((b) => new Set(b.orders.map((o) => o.currency)).size > 1).length).toBeGreaterThan(5);
    expect(books.filter((b) => b.channels.has('phone')).length).toBeGreaterThan(5);
    expect(shop.batches.filter((b) => b.userAgent?.includes('HeadlessChrome')).length).toBeGreaterThan(10);
    expect(books.filter((b) => carts(b) > 0).length).toBeGreaterThan(10);
    const orderIds = shop.batches.flatMap((b) => b.events.map((e) => (e.properties as { order_id?: string } | undefined)?.order_id).filter(Boolean));
    expect(orderIds.length - new Set(orderIds).size).toBeGreaterThan(5); // orders sent twice
    const expected = expectedCustomers(books, AS_OF);
    expect(new Set(expected.map((r) => r.segment)).size).toBeGreaterThanOrEqual(8);
    expect(expected.filter((r) => r.previousSegment !== null).length).toBeGreaterThan(20);
    expect(expected.filter((r) => (r.cartsRecovered as number) > 0).length).toBeGreaterThan(3);
  });

  it('gives every customer the statistics and RFM the books give', async () => {
    const rows = (await get(`/v1/exports/customers?asOf=${new Date(AS_OF).toISOString()}`)) as Record<string, unknown>[];
    const expected = expectedCustomers(shop.books, AS_OF);
    const withoutPredictions = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !PREDICTIONS.includes(k))));
    expect(withoutPredictions.map((r) => r.customerId)).toEqual(expected.map((r) => r.customerId));
    for (let i = 0; i < expected.length; i++) expect(withoutPredictions[i]).toEqual(expected[i]);
    // Who has a prediction: every customer who ordered, once the model could be fitted.
    for (const r of rows) {
      if (r.segment === null) expect(r.pAlive).toBeNull();
      else expect(r.pAlive as number).toBeGreaterThanOrEqual(0);
      if (r.pAlive !== null) expect(r.pAlive as number).toBeLessThanOrEqual(1);
    }
    expect(rows.some((r) => typeof r.pAlive === 'number')).toBe(true);
  });

  it('sums the segments as the books do', async () => {
    const summary = (await get(`/v1/insights/segments?asOf=${new Date(AS_OF).toISOString()}`)) as { customers: number; segments: { segment: string; customers: number }[] };
    const expected = expectedCustomers(shop.books, AS_OF).filter((r) => r.segment !== null);
    expect(summary.customers).toBe(expected.length);
    for (const s of summary.segments) expect([s.segment, s.customers]).toEqual([s.segment, expected.filter((r) => r.segment === s.segment).length]);
  });

  it("gives a customer's history across both devices and the phone, in time order, bots' and derived events apart", async () => {
    const book = shop.books.find((b) => b.deviceTypes.size === 2 && b.channels.has('phone')) ?? shop.books.find((b) => b.deviceTypes.size === 2)!;
    const history = (await get(`/v1/customers/${book.id}/history?asOf=${new Date(AS_OF).toISOString()}`)) as { summary: Record<string, unknown>; events: Record<string, unknown>[] };
    const own = history.events.filter((e) => e.event !== 'Cart Abandoned' && !String((e.context as { sessionId?: string } | undefined)?.sessionId ?? '').endsWith('-bot'));
    expect(own.map((e) => e.messageId)).toEqual(mine(book));
    const row = ((await get(`/v1/exports/customers?asOf=${new Date(AS_OF).toISOString()}`)) as Record<string, unknown>[]).find((r) => r.customerId === book.id);
    expect(history.summary).toEqual(row);
  });
}

// The book's events in time order (the history's order: time, then storage order).
const mine = (book: Book) => [...book.events].sort((a, b) => a.at - b.at).map((e) => e.messageId);
const carts = (book: Book) => book.cartTimeline.filter(([, what]) => what === 'add').length;
