// The order import's behaviour on a real backend: the same cases run on SQLite
// (order-import.test.ts) and PostgreSQL (test/postgres/import-orders.test.ts).
import { Readable } from 'node:stream';
import { runExport } from '../../src/exports';
import { importOrders, IMPORT_WRITE_KEY, type ImportOptions } from '../../src/import/order-import';
import { exitStatus } from '../../src/import/import-summary';
import { createStore, type Store } from '../../src/rules/store';
import type { Storage } from '../../src/storage/types';

export const NOW = Date.parse('2026-11-20T12:00:00.000Z');
export const HEADER = 'order_id,customer_id,email,phone,date,channel,sku,name,quantity,price,currency';

/** Runs an import of `csv` (the header is added) into `store`. */
export function run(store: Store, rows: string[], options: Partial<ImportOptions> = {}) {
  return importOrders(Readable.from([`${[HEADER, ...rows].join('\n')}\n`]), { store, now: () => NOW, ...options });
}

/** Every stored event's body, parsed. */
export async function stored(store: Store): Promise<Record<string, any>[]> {
  const pages = await store.eventPage({}, 0, 100_000);
  return pages.map((p) => JSON.parse(p.body));
}

/** Stores identify events of known customers, as a shop's site would have sent them. */
export async function identify(store: Store, customers: { userId: string; email?: string; phone?: string; at?: string }[]): Promise<void> {
  const events = customers.map((c, i) => ({
    type: 'identify' as const,
    messageId: `identify-${c.userId}-${i}`,
    userId: c.userId,
    anonymousId: `web-${c.userId}`,
    traits: { ...(c.email && { email: c.email }), ...(c.phone && { phone: c.phone }) },
    timestamp: c.at ?? '2026-10-01T10:00:00.000Z',
    originalTimestamp: c.at ?? '2026-10-01T10:00:00.000Z',
    receivedAt: '2026-10-01T10:00:00.000Z',
    context: {},
  }));
  await store.append({ writeKey: 'wk', events, rejected: [] });
}

const ORDERS = [
  'o1,C1,,,2026-11-02,phone,mug,Mug,2,9.95,EUR',
  'o1,C1,,,2026-11-02,phone,tea,Tea,1,4.50,EUR',
  'o2,,  Ann@Example.COM ,,2026-11-03T10:00:00+01:00,store,mug,Mug,1,9.95,EUR',
  'o3,,,030 1234567,2026-11-04 09:30,fax,pot,Pot,1,30,EUR',
  'o4,,walk@in.example,,2026-11-05,store,mug,Mug,1,9.95,EUR',
  'o5,,walk@in.example,,2026-11-06,store,tea,Tea,3,4.50,EUR',
  'o6,,,,2026-11-07,marketplace,tea,Tea,1,4.50,EUR',
];

export function orderImportTests(open: () => Promise<Storage>): void {
  let store: Store;
  beforeEach(async () => {
    store = createStore(await open());
  });
  afterEach(async () => {
    await store.close();
  });

  it('matches by customer_id, else by the email or phone of a known customer; each unmatched contact is one customer', async () => {
    await identify(store, [
      { userId: 'ann', email: 'ann@example.com' },
      { userId: 'bob', phone: '+49 30 1234567' },
    ]);
    const summary = await run(store, ORDERS, { country: 'DE', timeZone: 'Europe/Berlin' });
    expect(summary).toMatchObject({ rows: 7, orders: 6, lineItems: 7, imported: 6, duplicates: 0, badRows: 0, matched: { customer_id: 1, email: 1, phone: 1 }, unmatched: 3 });
    expect(exitStatus(summary)).toBe(0);

    const events = await stored(store);
    const order = (id: string) => events.find((e) => e.event === 'Order Completed' && e.properties.order_id === id)!;
    expect(order('o1')).toMatchObject({ userId: 'C1', timestamp: '2026-11-01T23:00:00.000Z', context: { channel: 'phone' } });
    expect(order('o1').properties).toMatchObject({ revenue: 24.4, total: 24.4, currency: 'EUR' });
    expect(order('o1').properties.products).toEqual([
      { product_id: 'mug', sku: 'mug', name: 'Mug', quantity: 2, price: 9.95 },
      { product_id: 'tea', sku: 'tea', name: 'Tea', quantity: 1, price: 4.5 },
    ]);
    // A local time is the shop's wall clock (Berlin, UTC+1 in November).
    expect(order('o3').timestamp).toBe('2026-11-04T08:30:00.000Z');
    expect((await store.getProfile('ann'))!.anonymousIds).toContain(order('o2').anonymousId);
    expect((await store.getProfile('bob'))!.anonymousIds).toContain(order('o3').anonymousId);
    expect((await store.getProfileEvents('ann'))!.map((e) => e.event ?? e.type)).toContain('Order Completed');
    // Two orders of one unknown email: one customer; an order without contact: one of its own.
    expect(order('o4').anonymousId).toBe(order('o5').anonymousId);
    expect(order('o6').anonymousId).not.toBe(order('o4').anonymousId);
    // Neither the email nor the phone is stored in clear by the import.
    const imported = JSON.stringify(events.filter((e) => e.messageId.startsWith('import-')));
    expect(imported).not.toMatch(/walk@in|ann@example|1234567/i);
  });

  it('stores nothing twice: the same file again, or an order again in another file, is a duplicate', async () => {
    const first = await run(store, ORDERS, { country: 'DE' });
    const count = (await stored(store)).length;
    expect(first.imported).toBe(6);
    const again = await run(store, ORDERS, { country: 'DE' });
    expect(again).toMatchObject({ orders: 6, imported: 0, duplicates: 6, badRows: 0 });
    expect(exitStatus(again)).toBe(0);
    const other = await run(store, [ORDERS[6], 'o7,,,,2026-11-08,phone,pot,Pot,1,30,EUR'], { country: 'DE' });
    expect(other).toMatchObject({ orders: 2, imported: 1, duplicates: 1 });
    expect((await stored(store)).length).toBe(count + 1);
  });

  it('refuses an order_id imported before with other lines, naming its lines, and keeps it among the rejected events', async () => {
    await run(store, ORDERS.slice(0, 2));
    const changed = await run(store, ['o1,C1,,,2026-11-02,phone,mug,Mug,2,9.95,EUR', 'o1,C1,,,2026-11-02,phone,tea,Tea,1,5.50,EUR']);
    expect(changed).toMatchObject({ orders: 0, imported: 0, badRows: 2 });
    expect(changed.bad[0]).toEqual({ line: 2, reason: expect.stringMatching(/^order "o1" was imported before with other lines/) });
    expect(changed.bad[1].line).toBe(3);
    expect(exitStatus(changed)).toBe(2);
    const order = (await stored(store)).find((e) => e.properties?.order_id === 'o1')!;
    expect(order.properties.revenue).toBe(24.4);
    const rejected = await store.listRejected();
    expect(rejected.some((r) => r.reason.startsWith('conflict') && JSON.parse(r.raw).properties.revenue === 25.4)).toBe(true);
  });

  it('matches an order imported before its customer was known once it is imported again', async () => {
    const first = await run(store, [ORDERS[4]]);
    expect(first).toMatchObject({ unmatched: 1, imported: 1 });
    await identify(store, [{ userId: 'walker', email: 'WALK@in.example' }]);
    const again = await run(store, [ORDERS[4]]);
    expect(again).toMatchObject({ duplicates: 1, imported: 0, badRows: 0, matched: { email: 1 } });
    const events = (await store.getProfileEvents('walker'))!;
    expect(events.filter((e) => e.event === 'Order Completed')).toHaveLength(1);
    expect(await store.listRejected()).toEqual([]);
  });

  it('erases the orders matched to a customer with that customer, and stores none of them again while suppressed', async () => {
    await identify(store, [{ userId: 'ann', email: 'ann@example.com' }]);
    await run(store, [ORDERS[2]]);
    expect((await store.getProfileEvents('ann'))!.some((e) => e.event === 'Order Completed')).toBe(true);
    await store.eraseSubject('ann', { at: new Date(NOW).toISOString(), suppressUntil: new Date(NOW + 30 * 86_400_000).toISOString() });
    expect((await stored(store)).filter((e) => e.event === 'Order Completed')).toEqual([]);
    // The import still finds nobody by that email (the identify is gone): the order would be a
    // customer of its own, but its contact id is suppressed with the subject's other ids.
    const again = await run(store, [ORDERS[2]]);
    expect(again).toMatchObject({ imported: 0, suppressed: 1 });
    expect((await stored(store)).filter((e) => e.event === 'Order Completed')).toEqual([]);
  });

  it('names bad rows by line and reason, keeps them among the rejected events, and imports the good orders', async () => {
    const summary = await run(store, [
      ',C1,,,2026-11-02,phone,mug,Mug,1,9.95,EUR', // 2: no order_id
      'b1,C1,,,2026-11-02,phone,mug,Mug,1,9,95,EUR', // 3: a comma in the price: a cell too many
      'b2,C1,,,2026-11-02,phone,mug,Mug,1,9.95€,EUR', // 4: bad price
      'b3,C1,,,02.11.2026,phone,mug,Mug,1,9.95,EUR', // 5: bad date
      'b4,C1,,,2026-11-02,phone,mug,Mug,1,9.95,EUR', // 6: mixed currencies (with 7)
      'b4,C1,,,2026-11-02,phone,tea,Tea,1,4.50,USD', // 7
      'b5,C1,,,2026-11-02,phone,mug,Mug,1,9.95,EUR', // 8: good, its other row bad (9)
      'b5,C1,,,2026-11-02,phone,tea,Tea,0,4.50,EUR', // 9: quantity 0
      'g1,C1,,,2026-11-02,phone,mug,Mug,1,9.95,EUR', // 10: good
      'b6,C1,,,2027-01-01,phone,mug,Mug,1,9.95,EUR', // 11: in the future
    ]);
    expect(summary).toMatchObject({ rows: 10, orders: 1, imported: 1, badRows: 9 });
    expect(exitStatus(summary)).toBe(1);
    const reasons = Object.fromEntries(summary.bad.map((b) => [b.line, b.reason]));
    expect(reasons[2]).toBe('order_id is missing');
    expect(reasons[3]).toBe('has 12 cells, the header 11');
    expect(reasons[4]).toMatch(/^price "9.95€" is not a price/);
    expect(reasons[5]).toMatch(/^date "02.11.2026" is not a date/);
    expect(reasons[7]).toMatch(/^rows of order "b4" disagree on currency: "EUR" at line 6, "USD" at line 7/);
    expect(reasons[6]).toMatch(/^order "b4" is not imported: line 7/);
    expect(reasons[9]).toMatch(/^quantity "0"/);
    expect(reasons[8]).toBe('order "b5" is not imported: line 9 is bad');
    expect(reasons[11]).toBe('date "2027-01-01" lies in the future');
    const rejected = await store.listRejected();
    expect(rejected).toHaveLength(9);
    expect(rejected.every((r) => r.writeKey === IMPORT_WRITE_KEY)).toBe(true);
    const line4 = rejected.find((r) => r.reason.startsWith('line 4:'))!;
    expect(JSON.parse(line4.raw)).toEqual({ import: 'orders', line: 4, row: expect.objectContaining({ order_id: 'b2', price: '9.95€' }) });
    expect((await stored(store)).map((e) => e.properties?.order_id)).toEqual(['g1']);
  });

  it('shows in a dry run what an import would do, and stores nothing', async () => {
    await run(store, [ORDERS[6]]);
    const before = (await stored(store)).length;
    const summary = await run(store, [...ORDERS, 'x,,,,someday,phone,mug,Mug,1,1,EUR'], { dryRun: true, country: 'DE' });
    expect(summary).toMatchObject({ dryRun: true, orders: 6, imported: 5, duplicates: 1, badRows: 1 });
    expect((await stored(store)).length).toBe(before);
    expect(await store.listRejected()).toEqual([]);
  });

  it('counts imported orders in the customers export and as a channel in the funnel breakdown', async () => {
    await run(store, ORDERS, { country: 'DE' });
    const text = async (kind: 'customers' | 'funnel', query: Record<string, string>) => {
      const out = await runExport(store, kind, { format: 'json', ...query }, { now: () => NOW });
      let all = '';
      for await (const chunk of out.chunks) all += chunk;
      return JSON.parse(all);
    };
    const customers = (await text('customers', {})) as { customerId: string; orders: number; channels: string[] }[];
    expect(customers.find((c) => c.customerId === 'C1')).toMatchObject({ orders: 1, channels: ['phone'] });
    expect(customers.reduce((sum, c) => sum + c.orders, 0)).toBe(6);
    const funnel = await text('funnel', { steps: 'Order Completed', by: 'channel', unit: 'customer', from: '2026-11-01' });
    const byChannel = Object.fromEntries((funnel.segments as { value: string; steps: { units: number }[] }[]).map((b) => [b.value, b.steps[0].units]));
    expect(byChannel).toEqual({ phone: 1, store: 2, fax: 1, marketplace: 1 });
  });
}
