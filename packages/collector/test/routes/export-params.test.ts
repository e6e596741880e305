// Every export refuses what it does not take, naming it (export-params.ts), and the funnel says
// which of its steps nothing stored can match, in the JSON answer and in X-Spur-Warnings.
import request from 'supertest';
import type { Express } from 'express';
import { EXPORT_KINDS, EXPORT_PARAMETERS, type ExportKind } from '../../src';
import { ADMIN_TOKEN, NOW, WRITE_KEY, basic, bearer, useFixtures } from '../helpers';

const fx = useFixtures();
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));
// The answer's bytes as they came (supertest would decode text and drop a byte order mark).
const text = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

let n = 0;
function event(type: 'track' | 'page', minutes: number, fields: Record<string, unknown>) {
  n += 1;
  return { type, anonymousId: 'A', messageId: `p-${n}`, timestamp: at(minutes), context: { sessionId: 's1' }, ...fields };
}

async function shop() {
  const { app } = await fx.collector();
  const batch = [
    event('page', -10, { properties: { path: '/products/mug' }, context: { sessionId: 's1', page: { path: '/products/mug' } } }),
    event('track', -9, { event: 'Product Viewed', properties: { product_id: 'mug' } }),
    // A track event whose page context has a path: a page:/checkout step must still not match it.
    event('track', -8, { event: 'Product Added', properties: { product_id: 'mug', price: 5, quantity: 1 }, context: { sessionId: 's1', page: { path: '/checkout' } } }),
  ];
  await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch }).expect(200);
  return app;
}

async function refused(app: Express, kind: string, query: string): Promise<string> {
  const res = await get(app, `/v1/exports/${kind}?${query}`);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_query');
  return res.body.error.message as string;
}

describe('export parameters', () => {
  it.each(EXPORT_KINDS)('the %s export answers 400 naming an unknown parameter, and lists what it takes', async (kind) => {
    const app = await shop();
    const message = await refused(app, kind, 'colour=red');
    expect(message).toContain(`the ${kind} export does not take colour`);
    for (const p of EXPORT_PARAMETERS[kind]) expect(message).toContain(p.name);
    // Empty values count too: a parameter that is there is never ignored.
    expect(await refused(app, kind, 'colour=')).toContain('does not take colour');
  });

  it.each(EXPORT_KINDS.filter((k) => k !== 'funnel'))('the %s export refuses the funnel parameters, saying which export takes them', async (kind) => {
    const app = await shop();
    for (const name of ['by', 'steps', 'unit', 'window']) {
      expect(await refused(app, kind, `${name}=device`)).toContain(`the ${kind} export does not take ${name} (only funnel does)`);
    }
  });

  it('answers 400 for an unknown by, unit or format, listing the values', async () => {
    const app = await shop();
    expect(await refused(app, 'funnel', 'by=shoe_size')).toBe('by must be one of device, browser, channel, utm_source, returning, segment (got "shoe_size")');
    expect(await refused(app, 'funnel', 'unit=household')).toContain('unit must be one of session, visitor, customer');
    const formats: Record<ExportKind, string> = {
      funnel: 'xlsx',
      'abandoned-carts': 'xml',
      'cart-reasons': 'xlsx',
      products: 'xml',
      'products-together': 'xlsx',
      customers: 'xml',
      profiles: 'parquet',
      segments: 'ndjson',
      history: 'xlsx',
      events: 'csv',
      overview: 'ndjson',
      steps: 'xml',
    };
    for (const kind of EXPORT_KINDS) expect(await refused(app, kind, `format=${formats[kind]}`)).toContain(`format of the ${kind} export must be one of`);
  });

  it('checks the filters: device types from the list, channels and UTM sources as lists without empty values', async () => {
    const app = await shop();
    expect(await refused(app, 'products', 'device=phone')).toBe('device must be one or more of desktop, mobile, tablet, bot, unknown (got "phone")');
    expect(await refused(app, 'funnel', 'device=mobile,,tablet')).toContain('without empty values');
    expect(await refused(app, 'profiles', 'utmSource=google,')).toContain('without empty values');
    expect(await refused(app, 'products-together', 'minOrders=0')).toBe('minOrders must be a whole number from 1 to 1000000000 (got "0")');
    expect(await refused(app, 'products-together', 'limit=10001')).toContain('limit must be a whole number from 1 to 10000');
    // The events export is the stored record: it takes no filter but its time range.
    for (const name of ['device', 'channel', 'utmSource', 'includeBots', 'bom']) {
      expect(await refused(app, 'events', `${name}=x`)).toContain(`the events export does not take ${name}`);
    }
  });

  it.each(EXPORT_KINDS.filter((k) => k !== 'events'))('the %s export starts its CSV with a UTF-8 byte order mark with bom=true, and only CSV', async (kind) => {
    const app = await shop();
    const who = kind === 'history' ? '&customer=A' : '';
    const withBom = await get(app, `/v1/exports/${kind}?format=csv&bom=true${who}`).buffer(true).parse(text).expect(200);
    const without = await get(app, `/v1/exports/${kind}?format=csv${who}`).buffer(true).parse(text).expect(200);
    expect([...(withBom.body as Buffer).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect((withBom.body as Buffer).subarray(3).equals(without.body as Buffer)).toBe(true);
    expect(await refused(app, kind, `format=json&bom=true${who}`)).toBe('bom applies to CSV only: add format=csv');
  });

  it('answers 400 for an asOf that is no day or time, and for a history without its customer', async () => {
    const app = await shop();
    for (const query of ['customers?asOf=yesterday', 'segments?asOf=2024-13-01', 'history?customer=A&asOf=2024-05-01T10:00']) {
      const [kind, rest] = query.split('?');
      expect(await refused(app, kind, rest)).toContain('asOf must be an ISO 8601 date or time');
    }
    expect(await refused(app, 'history', 'format=json')).toContain('the history export needs customer');
  });

  it('refuses a parameter given twice', async () => {
    const app = await shop();
    expect(await refused(app, 'products', 'from=2024-01-01&from=2024-02-01')).toBe('from must be given once');
  });
});

describe('funnel warnings', () => {
  it('names steps that no stored event matches in the JSON answer and the header; none when all match', async () => {
    const app = await shop();
    const res = await get(app, '/v1/exports/funnel?steps=page:/products,Prodcut Added,page:/checkout,Product Viewed').expect(200);
    const warnings = [
      'step 2 "Prodcut Added": no stored event has this name',
      'step 3 "page:/checkout": no page view has a path starting with /checkout',
    ];
    expect(res.body.warnings).toEqual(warnings);
    expect(res.body.steps.map((s: { units: number }) => s.units)).toEqual([1, 0, 0, 0]);
    expect(JSON.parse(res.headers['x-spur-warnings'])).toEqual(warnings);

    const ok = await get(app, '/v1/exports/funnel?steps=page:/products,Product Added').expect(200);
    expect(ok.body.warnings).toEqual([]);
    expect(ok.headers['x-spur-warnings']).toBeUndefined();
  });

  it('sends them in X-Spur-Warnings for CSV, with characters outside ASCII escaped', async () => {
    const app = await shop();
    const res = await get(app, `/v1/exports/funnel?format=csv&steps=${encodeURIComponent('Product Viewed,Produkt hinzugefügt ✓')}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const header = res.headers['x-spur-warnings'] as string;
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(header)).toEqual(['step 2 "Produkt hinzugefügt ✓": no stored event has this name']);
    expect(res.text).not.toContain('warning');
  });

  it('warns of a page step when no page view is stored at all', async () => {
    const { app } = await fx.collector();
    const res = await get(app, '/v1/exports/funnel?steps=page,Order Completed').expect(200);
    expect(res.body.warnings).toEqual(['step 1 "page": no page view is stored', 'step 2 "Order Completed": no stored event has this name']);
  });
});
