// GET /v1/insights/purchase-model on a real collector: the admin token, its parameters refused by
// name before any work (dates, their order, today, parameters it does not take), too few
// customers explained, several currencies never mixed, bots' orders left out unless asked for.
import request from 'supertest';
import type { Express } from 'express';
import { ADMIN_TOKEN, NOW, SERVER_KEY, basic, bearer, useFixtures } from '../helpers';

const fx = useFixtures();
const DAY = 86_400_000;
const get = (app: Express, query: string) => request(app).get(`/v1/insights/purchase-model${query}`).set('Authorization', bearer(ADMIN_TOKEN));
const HEADLESS = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36';

let n = 0;
/** Order Completed by `userId`, `daysAgo` days before the collector's NOW. */
function order(userId: string, daysAgo: number, revenue: number, currency: string | undefined) {
  n += 1;
  const properties = { order_id: `ins-${n}`, revenue, ...(currency && { currency }) };
  return { type: 'track', event: 'Order Completed', messageId: `ins-${n}`, userId, timestamp: new Date(NOW - daysAgo * DAY).toISOString(), properties };
}

async function send(app: Express, batch: unknown[], userAgent?: string) {
  const req = request(app).post('/v1/batch').set('Authorization', basic(SERVER_KEY));
  if (userAgent) req.set('User-Agent', userAgent);
  const res = await req.send({ batch });
  expect(res.body).toMatchObject({ ok: true, rejected: [] });
}

// A small shop: 30 customers in EUR and 15 in USD, most of them back a few times, on days 300
// to 20 before NOW; purchase counts and amounts vary by customer.
function shopOrders(): unknown[] {
  const out: unknown[] = [];
  for (let c = 0; c < 45; c++) {
    const currency = c < 30 ? 'EUR' : 'USD';
    const first = 300 - ((c * 37) % 200);
    const repeats = c % 5 === 0 ? 0 : (c * 7) % 6;
    out.push(order(`cust-${c}`, first, 20 + (c % 9) * 5, currency));
    for (let k = 1; k <= repeats; k++) out.push(order(`cust-${c}`, first - k * (11 + (c % 13)), 15 + ((c * k) % 11) * 4, currency));
  }
  return out;
}

const today = new Date(NOW).toISOString().slice(0, 10);
const daysAgo = (d: number) => new Date(NOW - d * DAY).toISOString().slice(0, 10);

describe('GET /v1/insights/purchase-model', () => {
  it('needs the admin token', async () => {
    const { app } = await fx.collector();
    await request(app).get('/v1/insights/purchase-model?calibrationEnd=2024-01-01').expect(401);
    await request(app).get('/v1/insights/purchase-model?calibrationEnd=2024-01-01').set('Authorization', basic(SERVER_KEY)).expect(401);
    const res = await request(app).get('/v1/insights/nothing').set('Authorization', bearer(ADMIN_TOKEN)).expect(404);
    expect(res.body.error.message).toBe('no route for GET /v1/insights/nothing');
  });

  it.each([
    ['', 'calibrationEnd is required: the last day (YYYY-MM-DD, UTC) of the orders the model is fitted on'],
    ['?calibrationEnd=', 'calibrationEnd is required: the last day (YYYY-MM-DD, UTC) of the orders the model is fitted on'],
    ['?calibrationEnd=2024-02-30', 'calibrationEnd must be a date YYYY-MM-DD (got "2024-02-30")'],
    ['?calibrationEnd=2024-01-01T00:00:00Z', 'calibrationEnd must be a date YYYY-MM-DD (got "2024-01-01T00:00:00Z")'],
    ['?calibrationEnd=yesterday', 'calibrationEnd must be a date YYYY-MM-DD (got "yesterday")'],
    ['?calibrationEnd=2024-01-01&calibrationEnd=2024-01-02', 'calibrationEnd must be given once'],
    ['?calibrationEnd=2024-03-01&holdoutEnd=2024-03-01', 'holdoutEnd 2024-03-01 must be after calibrationEnd 2024-03-01'],
    ['?calibrationEnd=2024-03-01&holdoutEnd=2024-02-01', 'holdoutEnd 2024-02-01 must be after calibrationEnd 2024-03-01'],
    ['?calibrationEnd=2024-03-01&holdoutEnd=2024-3-9', 'holdoutEnd must be a date YYYY-MM-DD (got "2024-3-9")'],
    [`?calibrationEnd=${daysAgo(-1)}`, `calibrationEnd ${daysAgo(-1)} is after today (${today})`],
    [`?calibrationEnd=2024-03-01&holdoutEnd=${daysAgo(-1)}`, `holdoutEnd ${daysAgo(-1)} is after today (${today}): a holdout is checked once it is over`],
    ['?calibrationEnd=2024-03-01&from=2024-01-01', 'the purchase model does not take from; it takes calibrationEnd, holdoutEnd, includeBots'],
    ['?calibrationEnd=2024-03-01&includeBots=yes', 'includeBots must be one of false, true (got "yes")'],
  ])('answers 400 to %s', async (query, message) => {
    const { app } = await fx.collector();
    const res = await get(app, query).expect(400);
    expect(res.body.error).toEqual({ code: 'invalid_query', message });
  });

  it('explains, with a 422, that there are too few customers to fit', async () => {
    const { app } = await fx.collector();
    await send(app, [order('a', 10, 5, 'EUR'), order('a', 5, 5, 'EUR'), order('b', 8, 5, 'EUR')]);
    const res = await get(app, `?calibrationEnd=${today}`).expect(422);
    expect(res.body.error).toEqual({
      code: 'too_few_customers',
      message: `cannot fit the purchase model on the orders up to ${today}: 2 customers with an order: the BG/NBD model needs at least 10`,
    });
    const empty = await get(app, '?calibrationEnd=2020-01-01').expect(422);
    expect(empty.body.error.message).toContain('0 customers with an order');
  });

  it('fits a spend model per currency, the main currency as `spend`, and says why a currency has none', async () => {
    const { app } = await fx.collector();
    await send(app, [...shopOrders(), order('yen-1', 50, 1000, 'JPY'), order('yen-1', 40, 1200, 'JPY')]);
    const res = await get(app, `?calibrationEnd=${daysAgo(10)}`).expect(200);
    expect(res.body).toMatchObject({ model: 'bg-nbd', calibrationEnd: daysAgo(10), customers: 46, holdout: null });
    for (const key of ['r', 'alpha', 'a', 'b']) expect(res.body.params[key]).toBeGreaterThan(0);
    expect(Number.isFinite(res.body.logLikelihood)).toBe(true);
    expect(res.body.spendByCurrency.map((s: { currency: string }) => s.currency)).toEqual(['EUR', 'USD', 'JPY']);
    expect(res.body.spend).toEqual(res.body.spendByCurrency[0]);
    const [eur, usd, jpy] = res.body.spendByCurrency;
    expect(eur).toMatchObject({ model: 'gamma-gamma', currency: 'EUR' });
    expect(eur.params.p).toBeGreaterThan(0);
    expect(usd.customers).toBeGreaterThanOrEqual(10);
    // one yen customer: no model, and the reason; yen amounts never reach another currency's fit
    expect(jpy).toEqual({
      model: 'gamma-gamma',
      currency: 'JPY',
      customers: 1,
      params: null,
      logLikelihood: null,
      reason: '1 customer bought again in JPY (as their main currency, for a positive amount): the Gamma-Gamma model needs at least 10',
    });
  });

  it('reads nothing after calibrationEnd, or after holdoutEnd for the holdout', async () => {
    const { app } = await fx.collector();
    await send(app, shopOrders());
    const before = await get(app, `?calibrationEnd=${daysAgo(60)}`).expect(200);
    // orders of new and old customers after the period change neither the fit nor the cohort
    await send(app, [order('late-1', 30, 10, 'EUR'), order('cust-1', 30, 10, 'EUR'), order('cust-2', 5, 10, 'EUR')]);
    const after = await get(app, `?calibrationEnd=${daysAgo(60)}`).expect(200);
    expect(after.body).toEqual(before.body);
    // the holdout counts cust-1's order 30 days ago, not cust-2's 5 days ago
    const holdout = await get(app, `?calibrationEnd=${daysAgo(60)}&holdoutEnd=${daysAgo(20)}`).expect(200);
    expect(holdout.body.params).toEqual(before.body.params);
    expect(holdout.body.holdout.holdoutEnd).toBe(daysAgo(20));
    expect(holdout.body.holdout.weeks).toBeCloseTo(40 / 7, 12);
    const later = await get(app, `?calibrationEnd=${daysAgo(60)}&holdoutEnd=${daysAgo(1)}`).expect(200);
    const total = (body: { holdout: { cumulative: { actual: number }[] } }) => body.holdout.cumulative.at(-1)!.actual;
    expect(total(later.body) - total(holdout.body)).toBeGreaterThanOrEqual(1);
  });

  it("leaves bots' orders out unless includeBots=true", async () => {
    const { app } = await fx.collector();
    await send(app, shopOrders());
    const people = await get(app, `?calibrationEnd=${today}`).expect(200);
    await send(app, [order('bot-1', 50, 10, 'EUR'), order('bot-1', 40, 10, 'EUR'), order('bot-2', 30, 10, 'EUR')], HEADLESS);
    const without = await get(app, `?calibrationEnd=${today}`).expect(200);
    expect(without.body).toEqual(people.body);
    const withBots = await get(app, `?calibrationEnd=${today}&includeBots=true`).expect(200);
    expect(withBots.body.customers).toBe(people.body.customers + 2);
  });
});
