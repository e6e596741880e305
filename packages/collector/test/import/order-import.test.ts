// The order import on real SQLite files (the same cases run on PostgreSQL in test/postgres).
import { Readable } from 'node:stream';
import { importOrders } from '../../src/import/order-import';
import { ImportFileError } from '../../src/import/order-rows';
import { createStore } from '../../src/rules/store';
import { openSqliteStorage } from '../../src/storage';
import { useFixtures } from '../helpers';
import { NOW, orderImportTests, run, stored } from './order-import-cases';

const fx = useFixtures();

describe('importOrders on SQLite', () => {
  orderImportTests(() => openSqliteStorage(fx.dbFile()));

  it('reads the shop’s own column names with a column map, and refuses a map naming an unknown column', async () => {
    const store = await fx.storage();
    const text = 'Beleg,Datum,Kanal,Artikel,Menge,Preis,Waehrung,Extra\nA1,2026-11-02,phone,mug,1,9.95,EUR,x\n';
    const map = 'order_id=Beleg,date=Datum,channel=Kanal,sku=Artikel,quantity=Menge,price=Preis,currency=Waehrung';
    const summary = await importOrders(Readable.from([text]), { store, now: () => NOW, columnMap: map });
    expect(summary).toMatchObject({ orders: 1, imported: 1, ignoredColumns: ['Extra'] });
    await expect(importOrders(Readable.from([text]), { store, now: () => NOW, columnMap: 'order=Beleg' })).rejects.toThrow(/--map names unknown column "order"/);
    await expect(importOrders(Readable.from([text]), { store, now: () => NOW, columnMap: 'order_id=Belegnummer' })).rejects.toThrow(ImportFileError);
    await expect(importOrders(Readable.from(['Beleg,Datum\nA1,2026-11-02\n']), { store, now: () => NOW })).rejects.toThrow(/the header lacks order_id, date, channel/);
  });

  it('puts together the rows of an order that lie apart in the file', async () => {
    const store = await fx.storage();
    const summary = await run(store, ['a,,,,2026-11-02,phone,mug,Mug,1,10,EUR', 'b,,,,2026-11-02,phone,mug,Mug,1,10,EUR', 'a,,,,2026-11-02,phone,tea,Tea,1,5,EUR']);
    expect(summary).toMatchObject({ orders: 2, lineItems: 3 });
    const a = (await stored(store)).find((e) => e.properties.order_id === 'a')!;
    expect(a.properties.revenue).toBe(15);
  });

  it('keeps a stray quote as text, and makes a quote left open one bad record to the end, with its order', async () => {
    const store = await fx.storage();
    const summary = await run(store, [
      'q1,,,,2026-11-02,phone,mug,Mug "Big",1,10,EUR', // 2: a stray quote, kept
      'q2,,,,2026-11-02,phone,mug,Mug,1,10,EUR', // 3: its order's other row is not CSV (4 to the end)
      'q2,,,,2026-11-02,phone,mug,"Mug,1,10,EUR',
      'q3,,,,2026-11-02,phone,mug,Mug,1,10,EUR',
    ]);
    expect(summary).toMatchObject({ orders: 1, imported: 1 });
    expect(summary.bad).toEqual([
      { line: 3, reason: 'order "q2" is not imported: line 4 is bad' },
      { line: 4, reason: expect.stringMatching(/^lines 4 to 5 are not CSV: Quote Not Closed/) },
    ]);
    const [q1] = (await stored(store)).filter((e) => e.event === 'Order Completed');
    expect(q1.properties.products[0].name).toBe('Mug "Big"');
    const rejected = (await store.listRejected()).map((r) => JSON.parse(r.raw));
    expect(rejected).toContainEqual({ import: 'orders', line: 4, text: 'q2,,,,2026-11-02,phone,mug,"Mug,1,10,EUR\nq3,,,,2026-11-02,phone,mug,Mug,1,10,EUR\n' });
  });

  it('keeps every bad row of a file of bad rows among the rejected events, batch by batch', async () => {
    const store = await fx.storage();
    const rows = Array.from({ length: 4_500 }, (_, i) => `x${i},,,,2026-11-02,phone,mug,Mug,1,free,EUR`);
    const summary = await run(store, rows);
    expect(summary).toMatchObject({ orders: 0, badRows: 4_500 });
    expect(summary.bad).toHaveLength(1_000);
    expect(await store.listRejected()).toHaveLength(4_500);
  });

  it('keeps what it stored when the file is reopened by another process', async () => {
    const file = fx.dbFile();
    const store = createStore(await openSqliteStorage(file));
    await run(store, [`z,,,,2026-11-02,store,mug,Mug,1,10,EUR`]);
    await store.close();
    const reopened = await fx.storage(file);
    expect((await stored(reopened)).map((e) => e.properties.order_id)).toEqual(['z']);
  });
});
