// A catch-up page (Storage.factsAfter's bytes) made into a FactPage and appended as one must give
// the table that appending each of its rows as a record gives: the same rows, the same codes in
// every column (every dictionary numbering its strings in the same order), the same agents,
// origins and cart entries. Rows as facts and as bodies, odd values, pages cut anywhere.
import type { StoredEvent } from '@spur/sdk';
import { cartFieldsAt } from '../../src/analytics/cart-table';
import { FactTable, factAt, type FactView } from '../../src/analytics/facts';
import { readFactsPage, encodeFactPage } from '../../src/analytics/fact-page-encoder';
import { FactRecord } from '../../src/analytics/fact-record';
import { encodeFacts, FACTS_VERSION, readCatchUpRow } from '../../src/analytics/stored-facts';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { shopBatches } = require('../../../../bench/lib/shop-events') as {
  shopBatches(total: number, options?: { seed?: number; size?: number }): Iterable<StoredEvent[]>;
};

const at = '2024-05-01T10:00:00.000Z';
/** Events with what the shop never sends: raw user agents, campaigns, odd carts, empty and non-Latin-1 strings. */
const ODD: StoredEvent[] = [
  { type: 'page', messageId: 'a', anonymousId: 'A', timestamp: at, receivedAt: at, context: { page: { path: '/p', url: 'https://shop.example/p?utm_source=x', referrer: 'https://www.google.com/search?q=1' }, sessionId: 's1', device: { type: 'mobile' }, browser: { name: 'Safari' }, os: { name: 'iOS' } } },
  { type: 'track', event: 'Product Added', messageId: 'b', userId: 'U', timestamp: at, receivedAt: at, properties: { product_id: 'p1', variant: 'red', name: 'Schuh – größe 42 👟', price: '19.5', quantity: 2, currency: 'EUR', cart_id: 'c1' }, context: { campaign: { source: 's', medium: 'm', name: 'c' } } },
  { type: 'track', event: 'Order Completed', messageId: 'c', anonymousId: 'A', timestamp: 'not a time', receivedAt: at, properties: { order_id: 'o', total: 10, revenue: 8, currency: 'EUR', products: [{ product_id: 'p1', price: 5 }, null, { name: 'no id' }] } },
  { type: 'track', event: 'Order Completed', messageId: 'd', anonymousId: 'A', timestamp: at, receivedAt: at, properties: {} },
  { type: 'track', event: 'Order Completed', messageId: 'd2', anonymousId: 'A', timestamp: at, receivedAt: at, properties: { order_id: 'o2', products: [] } },
  { type: 'identify', messageId: 'e', anonymousId: 'A', userId: 'U', timestamp: at, receivedAt: at, context: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' } },
  { type: 'track', event: 'Product Viewed', messageId: 'f', anonymousId: '', userId: 'Ünïcødé \ud800', timestamp: at, receivedAt: at, context: { sessionId: '', device: { type: '' }, page: { url: '' } }, properties: { product_id: '' } },
  { type: 'screen', messageId: 'g', anonymousId: 'B', timestamp: at, receivedAt: at, context: { device: { type: 'tablet' } } },
  // Sales channels: a phone order, then one in a store on the same page values (a cached origin must not carry over).
  { type: 'track', event: 'Order Completed', messageId: 'i', userId: 'U', timestamp: at, receivedAt: at, context: { channel: 'phone' }, properties: { order_id: 'o3', revenue: 30, currency: 'EUR' } },
  { type: 'track', event: 'Order Completed', messageId: 'j', userId: 'U', timestamp: at, receivedAt: at, context: { channel: 'store' }, properties: { order_id: 'o4', revenue: 40, currency: 'EUR' } },
  // Exit survey events: their fields travel in the page's survey list.
  { type: 'track', event: 'Survey Answered', messageId: 'k', anonymousId: 'A', timestamp: at, receivedAt: at, properties: { survey_id: 'exit', answer: 'price', text: 'Zu teuer – 🙁', cart_id: 'c1', cart_value: 19.5, currency: 'eur', items: 2 } },
  { type: 'track', event: 'Survey Shown', messageId: 'l', anonymousId: 'B', timestamp: at, receivedAt: at, properties: { survey_id: 'exit' } },
  { type: 'track', event: 'Product Removed', messageId: 'h', anonymousId: 'B', timestamp: at, receivedAt: at, context: { browser: { name: 'Firefox' } }, properties: { product_id: 'p2', price: 'n/a' } },
] as StoredEvent[];

/** The shop's events with the odd ones among them. */
function events(): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const batch of shopBatches(3000, { seed: 3, size: 500 })) out.push(...batch);
  ODD.forEach((e, i) => out.splice(100 + i * 301, 0, e));
  return out;
}

// Facts with empty strings, which encodeFacts never writes but a row may hold: no value, as for appendRecord.
const EMPTY = `[${FACTS_VERSION},1714557600000,"track","","","","","","","","","","","","","","","","",["","",""],["",1,2,[["",""]]],""]`;

/** Rows as a catch-up reads them: facts, but every seventh a body (stored before facts existed). */
const rowTexts = (list: StoredEvent[]) => {
  const texts = list.map((e, i) => (i % 7 === 3 ? JSON.stringify(e) : encodeFacts(e)));
  texts.splice(50, 0, EMPTY);
  return texts;
};

/** A page as storage makes it: `[key,row,key,row,...]` in UTF-8. */
const page = (texts: string[], keys = texts.map((_, i) => i + 1)) => new TextEncoder().encode(`[${texts.map((t, i) => `${keys[i]},${t}`).join(',')}]`);

/** Everything a table holds, comparable. */
function contents(table: FactTable) {
  const v: FactView = table.view();
  const columns = ['ts', 'type', 'name', 'path', 'anonymousId', 'userId', 'sessionId', 'agent', 'origin', 'product', 'cart'] as const;
  return {
    rows: Array.from({ length: v.length }, (_, i) => factAt(v, i)),
    columns: Object.fromEntries(columns.map((c) => [c, Array.from(v[c])])),
    names: v.names.values,
    paths: v.paths.values,
    products: v.products.values,
    ids: [v.anonymousIds, v.userIds, v.sessionIds, v.carts.orderIds].map((d) => Array.from({ length: d.size }, (_, i) => d.value(i))),
    agents: v.agents,
    origins: v.origins,
    carts: Array.from({ length: v.carts.length }, (_, k) => cartFieldsAt(v.carts, k)),
    cartDictionaries: [v.carts.variants.values, v.carts.names.values, v.carts.currencies.values],
  };
}

/** The table appendRecord makes of the rows, one by one. */
function byRecords(texts: string[]): FactTable {
  const table = new FactTable();
  const record = new FactRecord();
  texts.forEach((text, i) => {
    readCatchUpRow(text, i + 1, record);
    table.appendRecord(record);
  });
  return table;
}

describe('fact pages', () => {
  it('append to the table appendRecord makes of their rows, however the rows are cut into pages', () => {
    const texts = rowTexts(events());
    const expected = contents(byRecords(texts));
    for (const size of [texts.length, 1000, 333, 1]) {
      const table = new FactTable();
      for (let from = 0; from < texts.length; from += size) {
        // Cloned as a page crosses from the decoder thread.
        const fact = structuredClone(encodeFactPage(page(texts.slice(from, from + size))));
        expect(fact.count).toBe(Math.min(size, texts.length - from));
        table.appendPage(fact, from + 1);
      }
      expect(contents(table)).toEqual(expected);
    }
  });

  it('carry the survey fields of survey events, and the cart_id of cart events', () => {
    const texts = rowTexts(events());
    const table = new FactTable();
    table.appendPage(structuredClone(encodeFactPage(page(texts))), 1);
    const v = table.view();
    const surveys = Array.from({ length: v.length }, (_, i) => factAt(v, i).survey).filter((x) => x !== undefined);
    expect(surveys).toEqual([{ cartId: 'c1' }, { surveyId: 'exit', answer: 'price', text: 'Zu teuer – 🙁', cartId: 'c1', cartValue: 19.5, currency: 'EUR' }, { surveyId: 'exit' }]);
  });

  it('share each distinct string of a page once, and carry every row', () => {
    const texts = rowTexts(events().slice(0, 5000));
    const fact = encodeFactPage(page(texts));
    expect(fact.count).toBe(texts.length);
    expect(new Set(fact.strings).size).toBe(fact.strings.length);
    // A shop's page repeats visitors, sessions, names and families: its rows hold many times
    // more strings than it has distinct ones.
    const cells = fact.cells.filter((k) => k >= 0).length;
    expect(fact.strings.length * 5).toBeLessThan(cells);
  });

  it('take the rows in the order of their keys, and refuse a key twice', () => {
    const texts = ['[1,1000,"track","a"]', '[1,2000,"track","b"]', '[1,3000,"track","c"]'];
    const names = (page: Uint8Array | string) => readFactsPage(page).map((row) => (row as unknown[])[3]);
    expect(names(page(texts, [5, 9, 12]))).toEqual(['a', 'b', 'c']);
    expect(names(page(texts, [12, 5, 9]))).toEqual(['b', 'c', 'a']);
    expect(() => readFactsPage(page(texts, [5, 9, 5]))).toThrow('the key 5 twice');
    expect(() => readFactsPage(new TextEncoder().encode('[1,"x",2]'))).toThrow('keys and rows');
    expect(() => readFactsPage(new TextEncoder().encode('["1","x"]'))).toThrow('key is a number');
    expect(readFactsPage(new TextEncoder().encode('[]'))).toEqual([]);
    // As a string, where a backend holds its rows as strings.
    expect(names(new TextDecoder().decode(page(texts, [12, 5, 9])))).toEqual(['b', 'c', 'a']);
  });

  it('refuse what appendRecord refuses, at the same row, and facts of another version', () => {
    const good = encodeFacts(ODD[0]);
    const noTime = JSON.stringify({ ...ODD[0], timestamp: 'never', receivedAt: 'never' });
    const table = new FactTable();
    expect(() => table.appendPage(encodeFactPage(page([good, noTime])), 1)).toThrow(new RangeError('fact 2 has no valid time'));
    expect(() => byRecords([good, noTime])).toThrow(new RangeError('fact 2 has no valid time'));
    const unknownType = JSON.stringify({ ...ODD[0], type: 'shout' });
    expect(() => new FactTable().appendPage(encodeFactPage(page([unknownType])), 7)).toThrow(new RangeError('fact 7 has an unknown type shout'));
    const later = new FactTable();
    later.appendPage(encodeFactPage(page([good])), 10);
    expect(() => later.appendPage(encodeFactPage(page([good])), 10)).toThrow('increasing seq order: 10 after 10');
    expect(() => encodeFactPage(page([good, '[999,1]']))).toThrow('another version');
  });
});
