// Every filter an analytics export documents, on every export, through a real collector on each
// storage backend: each row of the table asks an export with one filter and checks the answer,
// and that the answer differs from the one without the filter (a filter that were ignored would
// fail it). What a filter means for each export is the README's table of filters.
import request from 'supertest';
import type { Express } from 'express';
import { createCollector, createStore, openSqliteStorage, type Collector, type Storage, type Store } from '../../src';
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { EXPORT_KINDS, EXPORT_PARAMETERS, type ExportKind } from '../../src/export-params';
import { ADMIN_TOKEN, NOW, WRITE_KEY, WRITE_KEYS, basic, bearer, makeTempDir } from '../helpers';
import { describePostgres } from '../postgres/server';
import { join } from 'node:path';

const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

const UA = {
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  mobile: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  server: 'analytics-node/6.2.0',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
};
const MUG = { product_id: 'mug', name: 'Mug', price: 10, currency: 'EUR' };
const TEA = { product_id: 'tea', name: 'Tea', price: 4, currency: 'EUR' };

let n = 0;
type Context = Record<string, unknown>;
const ev = (anonymousId: string | undefined, minutes: number, context: Context, fields: Record<string, unknown>) => ({
  messageId: `f-${++n}`,
  ...(anonymousId && { anonymousId }),
  timestamp: at(minutes),
  context,
  ...fields,
});
const page = (a: string, m: number, c: Context, path: string) => ev(a, m, c, { type: 'page', properties: { path }, context: { ...c, page: { path } } });
const track = (a: string, m: number, c: Context, event: string, properties: Record<string, unknown> = {}) => ev(a, m, c, { type: 'track', event, properties });
const identify = (a: string, m: number, c: Context, userId: string) => ev(a, m, c, { type: 'identify', userId });
const order = (a: string | undefined, m: number, c: Context, userId: string, id: string, products: Record<string, unknown>[]) =>
  ev(a, m, c, { type: 'track', userId, event: 'Order Completed', properties: { order_id: id, currency: 'EUR', products } });

/**
 * D (desktop, from a Google ad) buys a mug and tea as C1, ten days ago; E (desktop, direct) leaves a
 * mug in the cart, anonymous. M (phone, from the newsletter) logs in
 * as C2, adds tea and leaves it; C2 later orders two teas by phone (context.channel phone, sent
 * by the shop's backend). T (tablet, direct) buys a mug and tea as C3. The headless browser B
 * buys both as C4, and looks at tea as C2; the crawler Z leaves a cart with tea. RFM as of now:
 * C1 (10 days ago, 14 EUR) and C2 (today, 8 EUR) are Hibernating, C3 (today, 14 EUR) About to
 * sleep.
 */
const traffic: [keyof typeof UA, Record<string, unknown>[]][] = [
  ['desktop', [
    page('D', -14400, { sessionId: 'sD', campaign: { source: 'google', medium: 'cpc' } }, '/products/mug'),
    track('D', -14399, { sessionId: 'sD' }, 'Product Viewed', MUG),
    track('D', -14398, { sessionId: 'sD' }, 'Product Added', MUG),
    identify('D', -14397, { sessionId: 'sD' }, 'C1'),
    track('D', -14396, { sessionId: 'sD' }, 'Checkout Started'),
    order('D', -14395, { sessionId: 'sD' }, 'C1', 'o-1', [{ ...MUG, quantity: 1 }, { ...TEA, quantity: 1 }]),
    page('E', -51, { sessionId: 'sE' }, '/products/mug'),
    track('E', -50, { sessionId: 'sE' }, 'Product Added', MUG),
    track('E', -49, { sessionId: 'sE' }, 'Survey Answered', { survey_id: 'exit', answer: 'price' }),
  ]],
  ['mobile', [
    page('M', -300, { sessionId: 'sM', campaign: { source: 'newsletter', medium: 'email' } }, '/products/tea'),
    track('M', -299, { sessionId: 'sM' }, 'Product Viewed', TEA),
    identify('M', -298, { sessionId: 'sM' }, 'C2'),
    track('M', -297, { sessionId: 'sM' }, 'Product Added', TEA),
    track('M', -296, { sessionId: 'sM' }, 'Cart Viewed'),
  ]],
  ['tablet', [
    page('T', -200, { sessionId: 'sT' }, '/products/mug'),
    track('T', -199, { sessionId: 'sT' }, 'Product Viewed', MUG),
    track('T', -198, { sessionId: 'sT' }, 'Product Added', MUG),
    track('T', -197, { sessionId: 'sT' }, 'Product Added', TEA),
    identify('T', -196, { sessionId: 'sT' }, 'C3'),
    order('T', -195, { sessionId: 'sT' }, 'C3', 'o-3', [{ ...MUG, quantity: 1 }, { ...TEA, quantity: 1 }]),
  ]],
  ['server', [order(undefined, -100, { channel: 'phone' }, 'C2', 'o-2', [{ ...TEA, quantity: 2 }])]],
  ['headless', [
    page('B', -150, { sessionId: 'sB' }, '/products/mug'),
    track('B', -149, { sessionId: 'sB' }, 'Product Viewed', MUG),
    identify('B', -148, { sessionId: 'sB' }, 'C4'),
    order('B', -147, { sessionId: 'sB' }, 'C4', 'o-4', [{ ...MUG, quantity: 1 }, { ...TEA, quantity: 1 }]),
    track('Z', -140, { sessionId: 'sZ' }, 'Product Added', TEA),
    track('Z', -139, { sessionId: 'sZ' }, 'Survey Answered', { survey_id: 'exit', answer: 'price' }),
    ev('B2', -120, { sessionId: 'sB2' }, { type: 'track', userId: 'C2', event: 'Product Viewed', properties: TEA }),
  ]],
];

type Answer = unknown;
type Named = { event?: string; type: string };
/** What each export's answer is reduced to (with the query it always has), so that a filter's effect shows in one value. */
const SIGNATURES: Record<string, [string, (body: never) => Answer]> = {
  funnel: ['steps=Product Viewed,Product Added,Order Completed', (b: { steps: { units: number }[] }) => b.steps.map((s) => s.units)],
  'abandoned-carts': ['', (b: { profileId: string }[]) => b.map((c) => c.profileId)],
  'cart-reasons': ['', (b: { answer: string; answers: number; abandonedCarts: number }[]) => b.map((r) => [r.answer, r.answers, r.abandonedCarts])],
  products: ['', (b: { productId: string; views: number; adds: number; orders: number; units: number }[]) => b.map((p) => [p.productId, p.views, p.adds, p.orders, p.units])],
  'products-together': ['minOrders=1', (b: { productA: string; productB: string; orders: number }[]) => b.map((p) => [p.productA, p.productB, p.orders])],
  customers: ['', (b: { customerId: string }[]) => b.map((c) => c.customerId)],
  profiles: ['', (b: { customerId: string }[]) => b.map((c) => c.customerId)],
  segments: ['', (b: { segments: { segment: string; customers: number }[] }) => b.segments.filter((s) => s.customers > 0).map((s) => [s.segment, s.customers])],
  // The collector's own Cart Abandoned comes when its job gets to it: not what is asked here.
  history: ['customer=C2', (b: { events: Named[] }) => b.events.map((e) => e.event ?? e.type).filter((e) => e !== 'Cart Abandoned')],
  overview: ['', (b: { totals: { visitors: number; sessions: number; orders: number; abandonedCarts: number } }) => {
    const t = b.totals;
    return [t.visitors, t.sessions, t.orders, t.abandonedCarts];
  }],
  steps: ['', (b: { step: string; events: number }[]) => b.map((s) => [s.step, s.events])],
};

const C2 = ['page', 'Product Viewed', 'identify', 'Product Added', 'Cart Viewed', 'Order Completed'];

/** [export, filter, the answer with it]. */
const CASES: [string, string, Answer][] = [
  ['funnel', `from=${at(-250)}`, [1, 1, 1]],
  ['funnel', `to=${at(-250)}`, [2, 2, 1]],
  ['funnel', 'device=mobile', [1, 1, 0]],
  ['funnel', 'device=desktop,tablet', [2, 2, 2]],
  ['funnel', 'channel=email', [1, 1, 0]],
  ['funnel', 'utmSource=google', [1, 1, 1]],
  ['funnel', 'utmSource=(none)', [1, 1, 1]],
  ['funnel', 'segment=About to sleep', [1, 1, 1]],
  ['funnel', 'segment=hibernating', [2, 2, 1]],
  ['funnel', 'includeBots=true', [5, 3, 2]],
  ['abandoned-carts', `from=${at(-250)}`, ['E']],
  ['abandoned-carts', `to=${at(-250)}`, ['C2']],
  ['abandoned-carts', 'device=desktop', ['E']],
  ['abandoned-carts', 'channel=email', ['C2']],
  ['abandoned-carts', 'channel=paid_search', []],
  ['abandoned-carts', 'utmSource=google', []],
  ['abandoned-carts', 'utmSource=newsletter', ['C2']],
  ['abandoned-carts', 'segment=Hibernating', ['C2']],
  ['abandoned-carts', 'includeBots=true', ['C2', 'Z', 'E']],
  // E's answer (desktop, direct, anonymous) at -49 on the cart it left; the crawler Z's at -139.
  ['cart-reasons', `from=${at(-40)}`, []],
  ['cart-reasons', `to=${at(-250)}`, []],
  ['cart-reasons', 'device=mobile', []],
  ['cart-reasons', 'channel=email', []],
  ['cart-reasons', 'utmSource=google', []],
  ['cart-reasons', 'segment=Hibernating', []],
  ['cart-reasons', 'includeBots=true', [['price', 2, 2]]],
  ['products', `from=${at(-250)}`, [['mug', 1, 2, 1, 1], ['tea', 0, 1, 2, 3]]],
  ['products', `to=${at(-250)}`, [['mug', 1, 1, 1, 1], ['tea', 1, 1, 1, 1]]],
  ['products', 'device=tablet', [['mug', 1, 1, 1, 1], ['tea', 0, 1, 1, 1]]],
  ['products', 'channel=phone', [['tea', 0, 0, 1, 2]]],
  ['products', 'utmSource=newsletter', [['tea', 1, 1, 0, 0]]],
  ['products', 'segment=About to sleep', [['mug', 1, 1, 1, 1], ['tea', 0, 1, 1, 1]]],
  ['products', 'includeBots=true', [['mug', 3, 3, 3, 3], ['tea', 2, 3, 4, 5]]],
  ['products-together', `from=${at(-250)}`, [['mug', 'tea', 1]]],
  ['products-together', `to=${at(-250)}`, [['mug', 'tea', 1]]],
  ['products-together', 'device=desktop', [['mug', 'tea', 1]]],
  ['products-together', 'channel=direct', [['mug', 'tea', 1]]],
  ['products-together', 'utmSource=google', [['mug', 'tea', 1]]],
  ['products-together', 'segment=About to sleep', [['mug', 'tea', 1]]],
  ['products-together', 'includeBots=true', [['mug', 'tea', 3]]],
  ...(['customers', 'profiles'] as const).flatMap((kind): [string, string, Answer][] => [
    [kind, `from=${at(-250)}`, ['C2', 'C3']],
    [kind, `to=${at(-250)}`, ['C1', 'C2']],
    [kind, 'device=mobile', ['C2']],
    [kind, 'channel=phone', ['C2']],
    [kind, 'channel=paid_search', ['C1']],
    [kind, 'utmSource=newsletter', ['C2']],
    [kind, 'segment=Hibernating', ['C1', 'C2']],
    [kind, 'includeBots=true', ['C1', 'C2', 'C3', 'C4']],
  ]),
  ['segments', `from=${at(-250)}`, [['About to sleep', 1], ['Hibernating', 1]]],
  ['segments', `to=${at(-250)}`, [['Hibernating', 2]]],
  ['segments', 'device=tablet', [['About to sleep', 1]]],
  ['segments', 'channel=paid_search', [['Hibernating', 1]]],
  ['segments', 'utmSource=newsletter', [['Hibernating', 1]]],
  ['segments', 'includeBots=true', [['About to sleep', 2], ['Hibernating', 2]]],
  ['history', `from=${at(-250)}`, ['Order Completed']],
  ['history', `to=${at(-250)}`, C2.slice(0, 5)],
  ['history', 'device=mobile', C2.slice(0, 5)],
  ['history', 'channel=phone', ['Order Completed']],
  ['history', 'utmSource=newsletter', C2.slice(0, 5)],
  ['history', 'includeBots=true', [...C2.slice(0, 5), 'Product Viewed', 'Order Completed']],
  ['overview', `from=${at(-250)}`, [3, 3, 2, 1]],
  ['overview', `to=${at(-250)}`, [2, 2, 1, 1]],
  ['overview', 'device=mobile', [1, 1, 0, 1]],
  ['overview', 'channel=phone', [1, 1, 1, 0]],
  ['overview', 'channel=email', [1, 1, 0, 1]],
  ['overview', 'utmSource=google', [1, 1, 1, 0]],
  ['overview', 'includeBots=true', [8, 8, 4, 3]],
  ['steps', `from=${at(-250)}`, [['Product Added', 3], ['Order Completed', 2], ['Product Viewed', 1], ['Survey Answered', 1], ['page:/products/mug', 2]]],
  ['steps', `to=${at(-250)}`, [['Product Added', 2], ['Product Viewed', 2], ['Cart Viewed', 1], ['Checkout Started', 1], ['Order Completed', 1], ['page:/products/mug', 1], ['page:/products/tea', 1]]],
  ['steps', 'device=tablet', [['Product Added', 2], ['Order Completed', 1], ['Product Viewed', 1], ['page:/products/mug', 1]]],
  ['steps', 'channel=email', [['Cart Viewed', 1], ['Product Added', 1], ['Product Viewed', 1], ['page:/products/tea', 1]]],
  ['steps', 'utmSource=google', [['Checkout Started', 1], ['Order Completed', 1], ['Product Added', 1], ['Product Viewed', 1], ['page:/products/mug', 1]]],
  ['steps', 'includeBots=true', [['Product Added', 6], ['Product Viewed', 5], ['Order Completed', 4], ['Survey Answered', 2], ['Cart Viewed', 1], ['Checkout Started', 1], ['page:/products/mug', 4], ['page:/products/tea', 1]]],
];

const UNFILTERED: Record<string, Answer> = {
  funnel: [3, 3, 2],
  'abandoned-carts': ['C2', 'E'],
  'cart-reasons': [['price', 1, 1]],
  products: [['mug', 2, 3, 2, 2], ['tea', 1, 2, 3, 4]],
  'products-together': [['mug', 'tea', 2]],
  customers: ['C1', 'C2', 'C3'],
  profiles: ['C1', 'C2', 'C3'],
  segments: [['About to sleep', 1], ['Hibernating', 2]],
  history: C2,
  overview: [5, 5, 3, 2],
  steps: [['Product Added', 5], ['Order Completed', 3], ['Product Viewed', 3], ['Cart Viewed', 1], ['Checkout Started', 1], ['Survey Answered', 1], ['page:/products/mug', 3], ['page:/products/tea', 1]],
};

function filterTests(name: string, open: () => Promise<Storage>): void {
  describe(`export filters (${name})`, () => {
    let app: Collector;
    let store: Store;
    beforeAll(async () => {
      store = createStore(await open());
      app = createCollector({ storage: store, writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW });
      for (const [agent, batch] of traffic) {
        const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).set('User-Agent', UA[agent]).send({ batch });
        expect(res.body).toMatchObject({ ok: true, rejected: [] });
      }
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await store?.close();
    });

    const answer = async (kind: string, query: string) => {
      const [base, signature] = SIGNATURES[kind];
      const res = await get(app, `/v1/exports/${kind}?${[base, query].filter(Boolean).join('&')}`);
      expect({ status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ status: 200, body: 'ok' });
      return signature(res.body as never);
    };

    it.each(Object.keys(UNFILTERED))('%s without a filter', async (kind) => {
      expect(await answer(kind, '')).toEqual(UNFILTERED[kind]);
    });

    it.each(CASES)('%s with %s', async (kind, query, expected) => {
      expect(expected).not.toEqual(UNFILTERED[kind]);
      expect(await answer(kind, query)).toEqual(expected);
    });

    it('funnel by=segment: a segment per RFM segment of step 1\'s customer, each the funnel filtered to it', async () => {
      const res = await get(app, `/v1/exports/funnel?${SIGNATURES.funnel[0]}&by=segment`);
      expect(res.status).toBe(200);
      const segments = (res.body as { segments: { key: string; value: string; steps: { units: number }[] }[] }).segments;
      expect(segments.map((s) => [s.key, s.value, s.steps.map((x) => x.units)])).toEqual([
        ['segment', 'Hibernating', [2, 2, 1]],
        ['segment', 'About to sleep', [1, 1, 1]],
      ]);
      for (const s of segments) expect(await answer('funnel', `segment=${s.value}`)).toEqual(s.steps.map((x) => x.units));
    });
  });
}

const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));

describe('the table of cases', () => {
  it('has a case for every filter every analytics export takes', () => {
    const filtersOf = (kind: ExportKind) => EXPORT_PARAMETERS[kind].map((p) => p.name).filter((p) => ['from', 'to', 'device', 'channel', 'utmSource', 'includeBots', 'segment'].includes(p));
    expect(Object.keys(UNFILTERED).sort()).toEqual(EXPORT_KINDS.filter((k) => k !== 'events').sort());
    for (const kind of Object.keys(UNFILTERED) as ExportKind[]) {
      const tested = new Set(CASES.filter(([k]) => k === kind).map(([, q]) => q.split('=')[0]));
      expect({ kind, missing: filtersOf(kind).filter((f) => !tested.has(f)) }).toEqual({ kind, missing: [] });
    }
  });
});

const cleanups: (() => unknown)[] = [];
afterAll(() => cleanups.forEach((f) => f()));
filterTests('SQLite', async () => openSqliteStorage(join(makeTempDir(cleanups), 'spur.db')));
describePostgres('export filters on PostgreSQL', (db) => filterTests('PostgreSQL', async () => openPostgresStorage(await db.fresh())));
