// `spur import orders` into a database file and through a running collector (its admin API).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer, type RunningServer, type Store } from '@spur/collector';
import { main } from '@spur/cli';
import { captureIo } from './io';

const TOKEN = 'import-test-admin-token';
const HEADER = 'order_id,customer_id,email,phone,date,channel,sku,name,quantity,price,currency';
const GOOD = ['o1,alice,,,2026-11-02,phone,mug,Mug,2,9.95,EUR', 'o1,alice,,,2026-11-02,phone,tea,Tea,1,4.50,EUR', 'o2,,Bob@Example.com,,2026-11-03,store,pot,Pot,1,30,EUR'];

let dir: string;
let db: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spur-import-'));
  db = join(dir, 'spur.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function csv(rows: string[], name = 'orders.csv'): string {
  const file = join(dir, name);
  writeFileSync(file, `${[HEADER, ...rows].join('\n')}\n`);
  return file;
}

async function withStorage<T>(fn: (storage: Store) => Promise<T>): Promise<T> {
  const storage = createStore(await openSqliteStorage(db));
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

const orders = () => withStorage(async (s) => (await s.eventPage({}, 0, 1000)).map((e) => JSON.parse(e.body)).filter((e) => e.event === 'Order Completed'));

describe('spur import orders (database file)', () => {
  it('imports into SPUR_DB, prints the summary and exits 0; a second run stores nothing twice', async () => {
    const file = csv(GOOD);
    const io = captureIo({ SPUR_DB: db });
    expect(await main(['import', 'orders', file], io)).toBe(0);
    expect(io.stdout).toMatch(/3 rows, 2 orders with 3 line items/);
    expect(io.stdout).toMatch(/imported 2, already stored 0/);
    expect(io.stdout).toMatch(/matched by customer_id 1, email 0, phone 0; unmatched 1/);
    expect((await orders()).map((e) => [e.properties.order_id, e.context.channel])).toEqual([
      ['o1', 'phone'],
      ['o2', 'store'],
    ]);
    const again = captureIo({ SPUR_DB: db });
    expect(await main(['import', 'orders', file], again)).toBe(0);
    expect(again.stdout).toMatch(/imported 0, already stored 2/);
    expect(await orders()).toHaveLength(2);
  });

  it('exits 1 naming the bad rows by line, 2 when nothing is usable; --dry-run stores nothing', async () => {
    const mixed = csv([...GOOD, 'o3,,,,yesterday,phone,mug,Mug,1,9.95,EUR'], 'mixed.csv');
    const dry = captureIo();
    expect(await main(['import', 'orders', mixed, '--db', db, '--dry-run'], dry)).toBe(1);
    expect(dry.stdout).toMatch(/^dry run \(nothing stored\)/);
    expect(dry.stdout).toMatch(/line 5: date "yesterday" is not a date/);
    expect(await orders()).toEqual([]);

    const io = captureIo();
    expect(await main(['import', 'orders', mixed, '--db', db], io)).toBe(1);
    expect(io.stdout).toMatch(/bad rows: 1 \(kept among the rejected events\)/);
    expect(await orders()).toHaveLength(2);

    const none = captureIo();
    expect(await main(['import', 'orders', csv(['o4,,,,2026-11-02,phone,mug,Mug,1,abc,EUR'], 'bad.csv'), '--db', db], none)).toBe(2);
    const wrongMap = captureIo();
    expect(await main(['import', 'orders', mixed, '--db', db, '--map', 'ordernr=order_id'], wrongMap)).toBe(2);
    expect(wrongMap.stderr).toMatch(/--map names unknown column "ordernr"/);
  });

  it('reads national phone numbers with --country and refuses an unknown country', async () => {
    await withStorage((s) =>
      s.append({
        writeKey: 'k',
        rejected: [],
        events: [{ type: 'identify', messageId: 'i1', userId: 'carol', anonymousId: 'w', traits: { phone: '+49 171 2345678' }, timestamp: '2026-10-01T00:00:00.000Z', originalTimestamp: '2026-10-01T00:00:00.000Z', receivedAt: '2026-10-01T00:00:00.000Z' }],
      }),
    );
    const file = csv(['o9,,,0171 2345678,2026-11-02,phone,mug,Mug,1,9.95,EUR']);
    const io = captureIo();
    expect(await main(['import', 'orders', file, '--db', db, '--country', 'de'], io)).toBe(0);
    expect(io.stdout).toMatch(/phone 1; unmatched 0/);
    const bad = captureIo();
    expect(await main(['import', 'orders', file, '--db', db, '--country', 'XX'], bad)).toBe(2);
    expect(bad.stderr).toMatch(/country must be one of/);
  });

  it('draws progress on stderr only when it is a terminal', async () => {
    // Progress is told every 10,000 rows.
    const rows = Array.from({ length: 10_000 }, (_, i) => `p${i},,,,2026-11-02,store,mug,Mug,1,1,EUR`);
    const file = csv(rows);
    const tty = captureIo({}, true);
    expect(await main(['import', 'orders', file, '--db', db], tty)).toBe(0);
    expect(tty.stderr).toMatch(/importing: 10,000 rows/);
    const log = captureIo({}, false);
    expect(await main(['import', 'orders', file, '--db', join(dir, 'other.db')], log)).toBe(0);
    expect(log.stderr).toBe('');
  }, 60_000);
});

describe('spur import orders --collector (the admin API)', () => {
  let server: RunningServer;
  beforeEach(async () => {
    const storage = createStore(await openSqliteStorage(db));
    server = await startServer(createCollector({ storage, writeKeys: {}, adminToken: TOKEN }), { port: 0, host: '127.0.0.1', storage });
  });
  afterEach(async () => {
    await server.close();
  });

  it('uploads the file to POST /v1/import/orders and prints the same summary', async () => {
    const file = csv(GOOD);
    const io = captureIo({ SPUR_ADMIN_TOKEN: TOKEN });
    expect(await main(['import', 'orders', file, '--collector', server.url], io)).toBe(0);
    expect(io.stdout).toMatch(/imported 2, already stored 0/);
    const wrong = captureIo();
    expect(await main(['import', 'orders', file, '--collector', server.url, '--token', 'not-the-token-at-all'], wrong)).toBe(2);
    expect(wrong.stderr).toMatch(/answered 401/);
  });

  it('imports into the file a collector is serving, which answers with the orders in its exports', async () => {
    const io = captureIo({ SPUR_DB: db });
    expect(await main(['import', 'orders', csv(GOOD)], io)).toBe(0);
    const res = await fetch(`${server.url}/v1/exports/customers`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const customers = (await res.json()) as { customerId: string; orders: number; channels: string[] }[];
    expect(customers.find((c) => c.customerId === 'alice')).toMatchObject({ orders: 1, channels: ['phone'] });
    expect(customers.reduce((sum, c) => sum + c.orders, 0)).toBe(2);
  });
});
