// Making a FactPage (fact-page.ts) of a page as Storage.factsAfter returns it: where the parsing is
// done (the catch-up's decoder thread for large catch-ups, jobs/page-decoder-thread.ts). Every row
// is read as readCatchUpRow reads it (its facts, or its body) into a FactRecord, which is written
// down as numbers and references to the page's distinct strings.
import type { LineRecord } from './cart-table';
import { ANONYMOUS_ID, BROWSER, CAMPAIGN, CART, CHANNEL, DEVICE, MEDIUM, NAME, OS, PATH, PRODUCT, REFERRER, ROW_WIDTH, SESSION_ID, SOURCE, TYPE, URL, USER_AGENT, USER_ID, type FactPage } from './fact-page';
import { FactRecord } from './fact-record';
import { readCatchUpValue } from './stored-facts';

const utf8 = new TextDecoder();

/**
 * The rows of a page of Storage.factsAfter (JSON `[key,row,key,row,...]`, as UTF-8 bytes or a
 * string), parsed, in the order of their keys (commit order).
 */
export function readFactsPage(page: Uint8Array | string): unknown[] {
  const cells = JSON.parse(typeof page === 'string' ? page : utf8.decode(page)) as unknown[];
  if (!Array.isArray(cells) || cells.length % 2 !== 0) throw new TypeError('a catch-up page is a JSON array of keys and rows');
  const rows = new Array<unknown>(cells.length / 2);
  let ordered = true;
  for (let i = 0; i < rows.length; i++) {
    const key = cells[2 * i];
    if (typeof key !== 'number') throw new TypeError(`a catch-up page's key is a number, not ${JSON.stringify(key)}`);
    if (i > 0 && !(key > (cells[2 * i - 2] as number))) ordered = false;
    rows[i] = cells[2 * i + 1];
  }
  if (ordered) return rows;
  // A backend that delivered its rows out of their order (see the SQLite backend's page): put
  // them in it, which no two rows may share.
  const order = rows.map((_, i) => i).sort((a, b) => (cells[2 * a] as number) - (cells[2 * b] as number));
  for (let i = 1; i < order.length; i++) if (cells[2 * order[i]] === cells[2 * order[i - 1]]) throw new TypeError(`a catch-up page has the key ${String(cells[2 * order[i]])} twice`);
  return order.map((i) => rows[i]);
}

/** Makes a FactPage of a page of Storage.factsAfter (readFactsPage). */
export function encodeFactPage(page: Uint8Array | string): FactPage {
  const rows = readFactsPage(page);
  const strings: string[] = [];
  const index = new Map<string, number>();
  // The previous row's value and index per cell: rows of one visit repeat most of them, and a
  // comparison is cheaper than a lookup.
  const last: (string | undefined)[] = new Array<string | undefined>(ROW_WIDTH).fill(undefined);
  const lastRef = new Int32Array(ROW_WIDTH).fill(-1);
  const ref = (v: string | undefined): number => {
    if (v === undefined) return -1;
    let k = index.get(v);
    if (k === undefined) {
      k = strings.length;
      strings.push(v);
      index.set(v, k);
    }
    return k;
  };
  const ts = new Float64Array(rows.length);
  const cells = new Int32Array(rows.length * ROW_WIDTH);
  const carts: number[] = [];
  const surveys: FactPage['surveys'] = [];
  const line = (l: LineRecord) => carts.push(ref(l.productId), ref(l.variant), ref(l.name), ref(l.currency), l.price, l.quantity);
  const put = (o: number, cell: number, v: string | undefined) => {
    if (v !== last[cell]) {
      last[cell] = v;
      lastRef[cell] = ref(v);
    }
    cells[o + cell] = lastRef[cell];
  };
  const r = new FactRecord();
  for (let row = 0; row < rows.length; row++) {
    readCatchUpValue(rows[row], row + 1, r);
    ts[row] = r.ts;
    const o = row * ROW_WIDTH;
    // A type is looked up by name (TYPE_CODES): facts of odd shape (null, a number) keep their answer.
    put(o, TYPE, (r.type as unknown) === undefined ? undefined : String(r.type));
    put(o, NAME, r.name);
    put(o, ANONYMOUS_ID, r.anonymousId);
    put(o, USER_ID, r.userId);
    put(o, SESSION_ID, r.sessionId);
    put(o, PATH, r.path);
    put(o, URL, r.url);
    put(o, REFERRER, r.referrer);
    put(o, DEVICE, r.device);
    put(o, BROWSER, r.browser);
    put(o, OS, r.os);
    put(o, USER_AGENT, r.userAgent);
    put(o, SOURCE, r.source);
    put(o, MEDIUM, r.medium);
    put(o, CAMPAIGN, r.campaign);
    put(o, CHANNEL, r.channel);
    put(o, PRODUCT, r.productId);
    if (r.survey) surveys.push({ row, fields: r.survey });
    if (!r.cart) {
      cells[o + CART] = -1;
      continue;
    }
    cells[o + CART] = carts.length;
    line(r.line);
    if (!r.order) carts.push(0);
    else {
      carts.push(1, ref(r.orderId), r.total, r.revenue, r.lineCount);
      for (let j = 0; j < r.lineCount; j++) line(r.lines[j]);
    }
  }
  return { count: rows.length, strings, ts, cells, carts: Float64Array.from(carts), surveys };
}

