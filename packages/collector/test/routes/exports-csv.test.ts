// Every CSV export, through the real HTTP route, read by a real CSV parser (csv-parse) the way a
// spreadsheet reads it: with `,` as the separator, and with `;`, as one set to a German or French
// locale does, where our quotes are not where it looks for them. Hostile values sit in event
// names, product ids and names, visitor and customer ids, order ids, currencies and utm sources;
// no cell either reading finds may start a formula, and the `,` reading gives back every value
// (with a ' in front of each part that would have started one), numbers as numbers.
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { createCollector, openSqliteStorage, startServer, type RunningServer } from '../../src';
import { ADMIN_TOKEN, NOW, WRITE_KEY, WRITE_KEYS, basic, bearer, makeTempDir } from '../helpers';

const HOSTILE = [
  ';=1+1',
  '\n=1+1',
  ' =1+1',
  '\uff1d1+1', // ＝1+1, full-width
  '\t=1',
  '-2+3',
  '@SUM(A1)',
  '=HYPERLINK("http://evil.example","click")',
  'x;=cmd|\' /C calc\'!A0;y',
  'a\r\n+1',
  '"=1"',
  '\u3000@x', // an ideographic space first
  '-5', // text that reads like a number is text
  'Enamel mug', // and a harmless value stays as it is
];

const MIN = 60_000;
const at = (minutes: number) => new Date(NOW + minutes * MIN).toISOString();

let n = 0;
const ev = (type: string, anonymousId: string, minutes: number, fields: Record<string, unknown>) => ({
  type,
  anonymousId,
  messageId: `csv-${++n}`,
  timestamp: at(minutes),
  ...fields,
});

/**
 * Visitor i comes from utm source HOSTILE[i] under anonymous id HOSTILE[i], views and adds product
 * HOSTILE[i] (named after the next one, priced in currency HOSTILE[i]) and tracks an event named
 * HOSTILE[i]. Even visitors log in as customer HOSTILE[i] and order (order id HOSTILE[i], with a
 * discount line of -2.5: a negative amount spur writes as a number); odd ones leave their cart.
 */
function events() {
  const all: Record<string, unknown>[] = [];
  HOSTILE.forEach((h, i) => {
    const context = { sessionId: `s${i}`, campaign: { source: h, medium: 'email' } };
    const product = { product_id: h, name: HOSTILE[(i + 1) % HOSTILE.length], price: 10, currency: h };
    const t = -300 + i;
    all.push(ev('page', h, t, { properties: { path: '/' }, context }));
    all.push(ev('track', h, t, { event: 'Product Viewed', properties: product, context }));
    all.push(ev('track', h, t, { event: 'Product Added', properties: { ...product, quantity: 2 }, context }));
    all.push(ev('track', h, t, { event: h, properties: {}, context }));
    if (i % 2) return;
    all.push(ev('identify', h, t + 1, { userId: h, traits: {}, context }));
    const discount = { product_id: 'discount', name: 'Discount', price: -2.5, quantity: 1, currency: h };
    const products = [{ ...product, quantity: 2 }, discount];
    all.push(ev('track', h, t + 2, { userId: h, event: 'Order Completed', properties: { order_id: h, total: 17.5, currency: h, products }, context }));
  });
  return all;
}

// What a spreadsheet may skip before it reads a cell's first character, and what would start a
// formula there; a number literal is data.
const FORMULA = /^[=+\-@]/;
const NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;
const startsFormula = (field: string) =>
  /^[\t\r]/.test(field) || (FORMULA.test(field.normalize('NFKC').replace(/^[\s"]+/, '')) && !NUMBER.test(field.trim()));

/** The rule (README, CSV): a ' in front of each part, before and after ; CR or LF, that would start a formula. */
function neutralised(text: string): string {
  const parts = text.split(/([;\r\n])/);
  const risky = (part: string) => part.startsWith('\t') || FORMULA.test(part.normalize('NFKC').replace(/^[\s"]+/, ''));
  return (text.startsWith('\r') ? "'" : '') + parts.map((p, i) => (i % 2 === 0 && risky(p) ? "'" + p : p)).join('');
}

/** A value of the JSON export as its CSV cell should read back. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return neutralised(typeof value === 'string' ? value : JSON.stringify(value));
}

const RECORDS = { record_delimiter: ['\r\n', '\n', '\r'] };
/** The three readings: `,` as RFC 4180 says; `;` with quotes where it finds them; `;` ignoring quotes. */
const readings = (text: string): [string, string[][]][] => [
  [',', parse(text, { delimiter: ',', ...RECORDS })],
  [';', parse(text, { delimiter: ';', relax_quotes: true, relax_column_count: true, ...RECORDS })],
  ['; without quotes', parse(text, { delimiter: ';', quote: false, relax_column_count: true, ...RECORDS })],
];

type Item = Record<string, unknown> & { quantity: number };
/** A cart of the JSON export as the CSV lays it out: item fields in numbered columns. */
function cartCells(cart: Row): Row {
  const items = cart.items as Item[];
  const row: Row = { ...cart, itemCount: items.reduce((k, i) => k + i.quantity, 0), lineCount: items.length };
  const fields: [string, string][] = [['ProductId', 'product_id'], ['Variant', 'variant'], ['Name', 'name'], ['Quantity', 'quantity'], ['Price', 'price'], ['Currency', 'currency']];
  items.forEach((item, n) => fields.forEach(([suffix, field]) => (row[`item${n + 1}${suffix}`] = item[field])));
  return row;
}

/** The products of the JSON export as the CSV lays them out: a currency and amount pair per currency. */
function productCells(products: Row[]): Row[] {
  type Amount = { currency: string | null; amount: number };
  const order = (x: string | null, y: string | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
  const currencies = [...new Set(products.flatMap((p) => (p.revenue as Amount[]).map((r) => r.currency)))].sort(order);
  return products.map((p) => {
    const row: Row = { ...p };
    currencies.forEach((c, k) => {
      row[`revenueCurrency${k + 1}`] = c;
      row[`revenue${k + 1}`] = (p.revenue as Amount[]).find((r) => r.currency === c)?.amount ?? 0;
    });
    return row;
  });
}

let server: RunningServer;
const cleanups: (() => unknown)[] = [];
beforeAll(async () => {
  const storage = await openSqliteStorage(join(makeTempDir(cleanups), 'spur.db'));
  const app = createCollector({ storage, writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW, clientClock: 'trust' });
  server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
  const res = await fetch(`${server.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basic(WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ batch: events() }),
  });
  expect(await res.json()).toMatchObject({ ok: true, rejected: [] });
});
afterAll(async () => {
  await server?.close(); // and the storage
  for (const f of cleanups) await f();
});

async function get(path: string): Promise<Response> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: bearer(ADMIN_TOKEN) } });
  expect(res.status).toBe(200);
  return res;
}

type Row = Record<string, unknown>;
const STEPS = HOSTILE.filter((h) => !h.includes(',')).map(encodeURIComponent).join(',');

// Each CSV export, and how its JSON twin becomes the rows of the CSV (header names as keys).
const EXPORTS: [string, string, (json: never) => Row[]][] = [
  ['funnel, hostile step names', `funnel?steps=Product%20Viewed,${STEPS}`, (json: { steps: Row[] }) => json.steps],
  [
    'funnel by utm_source',
    'funnel?steps=Product%20Viewed,Product%20Added,Order%20Completed&by=utm_source',
    (json: { segments: { key: string; value: string; steps: Row[] }[] }) =>
      json.segments.flatMap((s) => s.steps.map((step) => ({ segmentBy: s.key, segment: s.value, ...step }))),
  ],
  ['abandoned carts', 'abandoned-carts?', (json: Row[]) => json.map(cartCells)],
  ['products', 'products?', productCells],
  ['products bought together', 'products-together?minOrders=1', (json: Row[]) => json],
  ['customers', 'customers?', (json: Row[]) => json.map(flatCustomer)],
  ['profiles', 'profiles?', (json: Row[]) => json.map(flatCustomer)],
  [
    'segments',
    'segments?',
    (json: { segments: (Row & { revenue: { currency: string; amount: number }[] })[] }) =>
      json.segments.map(({ revenue, ...s }) => ({ ...s, ...Object.fromEntries(revenue.flatMap((r, i) => [[`currency_${i + 1}`, r.currency], [`revenue_${i + 1}`, r.amount]])) })),
  ],
];

// A customer of the JSON export as its CSV row: word lists joined by spaces, one group of
// columns per currency.
function flatCustomer({ currencies, channels, deviceTypes, ...row }: Row): Row {
  const groups = (currencies as Row[]).flatMap((c, i) => Object.entries(c).map(([k, v]) => [`${k}_${i + 1}`, v]));
  return { ...row, channels: (channels as string[]).join(' '), deviceTypes: (deviceTypes as string[]).join(' '), ...Object.fromEntries(groups) };
}

describe('CSV exports against spreadsheet formulas', () => {
  it.each(EXPORTS)('%s: no cell starts a formula, read with , or ;, and the , reading gives back every value', async (_name, path, rowsOf) => {
    const [csv, json] = await Promise.all([get(`/v1/exports/${path}&format=csv`), get(`/v1/exports/${path}&format=json`)]);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    const rows = rowsOf((await json.json()) as never);

    for (const [mode, records] of readings(text)) {
      const bad = records.flat().filter(startsFormula);
      expect({ mode, bad }).toEqual({ mode, bad: [] });
    }

    const [header, ...records] = parse(text, { delimiter: ',' }) as string[][];
    expect(records).toEqual(rows.map((row) => header.map((h) => cell(row[h]))));
    // The data reached every export: hostile values, and numbers (a negative one included) as numbers.
    expect(records.length).toBeGreaterThan(0);
    expect(text).toMatch(/'/);
  });

  it('holds what the hostile values were meant to test: they are in the exports, negative amounts as numbers', async () => {
    const products = (await (await get('/v1/exports/products?format=json')).json()) as { productId: string; revenue: { amount: number }[] }[];
    const discountRevenue = products.find((p) => p.productId === 'discount')!.revenue;
    expect(discountRevenue.length).toBeGreaterThan(1);
    expect(discountRevenue.every((r) => r.amount < 0)).toBe(true);
    const csv = await (await get('/v1/exports/products?format=csv')).text();
    const [header, ...records] = parse(csv, { delimiter: ',' }) as string[][];
    const discount = records.find((r) => r[header.indexOf('productId')] === 'discount')!;
    expect(discount[header.indexOf('revenue1')]).toMatch(/^-\d/);
    expect(records.map((r) => r[header.indexOf('productId')])).toEqual(expect.arrayContaining([";'=1+1", "\n'=1+1", "' =1+1", "'\uff1d1+1", "'-5"]));
    const funnel = await (await get('/v1/exports/funnel?steps=Product%20Viewed,Product%20Added&by=utm_source&format=csv')).text();
    expect(funnel).toContain(`"x;'=cmd|' /C calc'!A0;y"`);
  });
});
