// Why carts are left: exit survey events validated at ingest, joined to the abandoned carts they
// were about (the carts export's survey columns), and weighted by lost cart value in the
// cart-reasons export, over HTTP against a real collector on a SQLite file.
import request from 'supertest';
import type { Express } from 'express';
import { ADMIN_TOKEN, NOW, WRITE_KEY, basic, bearer, useFixtures } from '../helpers';

const fx = useFixtures();
const MIN = 60_000;
const at = (minutes: number) => new Date(NOW + minutes * MIN).toISOString();

let n = 0;
const track = (anonymousId: string, minutes: number, event: string, properties: Record<string, unknown> = {}, context: Record<string, unknown> = {}) => {
  n += 1;
  return { type: 'track', anonymousId, messageId: `r-${n}`, timestamp: at(minutes), event, properties, context: { sessionId: `s-${anonymousId}`, ...context } };
};
const add = (a: string, m: number, product: string, price: number, currency = 'EUR') => track(a, m, 'Product Added', { product_id: product, price, quantity: 1, currency });
const survey = (a: string, m: number, event: string, extra: Record<string, unknown> = {}) =>
  track(a, m, event, { survey_id: 'exit-1', question: 'Why are you leaving?', cart_id: `cart-${a}`, cart_value: 10, currency: 'EUR', items: 1, ...extra });
const answered = (a: string, m: number, answer: string, text?: string) => survey(a, m, 'Survey Answered', { answer, ...(text !== undefined && { text }) });

async function send(app: Express, batch: Record<string, unknown>[]) {
  const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch });
  expect(res.body).toMatchObject({ ok: true, rejected: [] });
}
const get = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));

/**
 * Before NOW:
 * - A adds 40 EUR at -300, is shown the survey, answers "price" with text at -295, leaves: abandoned at -270.
 * - B adds 25 EUR at -250, answers "price" at -240; abandoned at -220, buys at -100: recovered.
 * - C adds 30 GBP at -200, answers "shipping" at -199: abandoned at -170.
 * - D adds 15 EUR at -150, dismisses the survey at -149: abandoned, no answer.
 * - E answers "just looking" at -120 with an empty cart: an answer without a cart.
 * - F adds 50 EUR at -400, leaves (abandoned at -370), comes back at -300 and answers "later" on the same cart.
 */
function scenario() {
  return [
    add('A', -300, 'mug', 40),
    survey('A', -296, 'Survey Shown'),
    answered('A', -295, 'price', 'Shipping to Lyon costs more than the mug'),
    add('B', -250, 'tea', 25),
    survey('B', -241, 'Survey Shown'),
    answered('B', -240, 'price'),
    track('B', -100, 'Order Completed', { order_id: 'o-b', total: 25, currency: 'EUR' }),
    add('C', -200, 'scarf', 30, 'GBP'),
    survey('C', -199, 'Survey Shown'),
    answered('C', -199, 'shipping'),
    add('D', -150, 'mug', 15),
    survey('D', -149, 'Survey Shown'),
    survey('D', -149, 'Survey Dismissed'),
    survey('E', -121, 'Survey Shown'),
    answered('E', -120, 'just looking'),
    add('F', -400, 'lamp', 50),
    survey('F', -301, 'Survey Shown'),
    answered('F', -300, 'later'),
  ];
}

async function shop() {
  const { app, storage } = await fx.collector();
  await send(app, scenario());
  return { app, storage };
}

describe('survey events at ingest', () => {
  it('rejects a free text over 500 characters with the reason, uncut, and keeps the good events', async () => {
    const { app } = await fx.collector();
    const long = answered('X', -10, 'price', 'x'.repeat(501));
    const exact = answered('Y', -10, 'price', 'y'.repeat(500));
    const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [long, exact] }).expect(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([{ index: 0, messageId: long.messageId, reason: 'properties.text of Survey Answered is longer than 500 characters' }]);
    const events = await get(app, '/v1/profiles/Y/events').expect(200);
    expect(events.body.events[0].properties.text).toBe('y'.repeat(500));
    await get(app, '/v1/profiles/X').expect(404);
  });

  it('requires survey_id and answer on Survey Answered, as strings', async () => {
    const { app } = await fx.collector();
    const batch = [
      track('X', -10, 'Survey Answered', { answer: 'price' }),
      track('X', -10, 'Survey Answered', { survey_id: 'exit-1' }),
      track('X', -10, 'Survey Answered', { survey_id: 'exit-1', answer: 7 }),
      track('X', -10, 'Survey Shown', { survey_id: 'exit-1', cart_value: 'ten' }),
      track('X', -10, 'Survey Answered', { survey_id: 'exit-1', answer: 'price', text: '' }),
    ];
    const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch }).expect(200);
    expect(res.body.rejected.map((r: { reason: string }) => r.reason)).toEqual([
      'properties.survey_id of Survey Answered is required',
      'properties.answer of Survey Answered is required',
      'properties.answer of Survey Answered must be a non-empty string',
      'properties.cart_value of Survey Shown must be a number',
    ]);
    expect(res.body.accepted).toBe(1);
  });
});

describe('GET /v1/exports/abandoned-carts with survey answers', () => {
  it('gives each cart the answer joined to it, and its free text', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/abandoned-carts').expect(200);
    const by = Object.fromEntries(res.body.map((c: Record<string, unknown>) => [c.profileId, [c.surveyId, c.surveyAnswer, c.surveyText, c.value, c.recovered]]));
    expect(by).toEqual({
      A: ['exit-1', 'price', 'Shipping to Lyon costs more than the mug', 40, false],
      B: ['exit-1', 'price', null, 25, true],
      C: ['exit-1', 'shipping', null, 30, false],
      D: [null, null, null, 15, false],
      F: ['exit-1', 'later', null, 50, false],
    });
  });

  it('joins a cart of the range to the answer given before the range (the range picks carts, not answers)', async () => {
    const { app } = await shop();
    // A's cart is abandoned at -270: a range starting after the answer but before the abandonment keeps it.
    const res = await get(app, `/v1/exports/abandoned-carts?from=${encodeURIComponent(at(-280))}&to=${encodeURIComponent(at(-260))}`).expect(200);
    expect(res.body.map((c: Record<string, unknown>) => [c.profileId, c.surveyAnswer])).toEqual([['A', 'price']]);
  });

  it('writes the survey columns in CSV', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/abandoned-carts?format=csv').expect(200);
    const [header, ...lines] = res.text.trim().split('\r\n');
    const cols = header.split(',');
    expect(cols.slice(cols.indexOf('recoveredOrderId') + 1, cols.indexOf('recoveredOrderId') + 4)).toEqual(['surveyId', 'surveyAnswer', 'surveyText']);
    const a = lines.find((l) => l.startsWith('A,'))!;
    expect(a).toContain(',exit-1,price,Shipping to Lyon costs more than the mug');
  });
});

describe('GET /v1/exports/cart-reasons', () => {
  it('counts answers, abandoned carts and lost value per answer and currency, with shows and dismissals', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/cart-reasons').expect(200);
    const survey = { surveyShown: 6, surveyAnswered: 5, surveyDismissed: 1, surveyAnswerRate: 0.8333 };
    expect(res.body).toEqual([
      // price: A lost (40 EUR), B recovered (nothing lost). EUR lost: A 40 + F 50 = 90.
      { surveyId: 'exit-1', answer: 'price', answers: 2, abandonedCarts: 2, recoveredCarts: 1, lostValue: [{ currency: 'EUR', value: 40, share: 0.4444 }, { currency: 'GBP', value: 0, share: 0 }], ...survey },
      { surveyId: 'exit-1', answer: 'later', answers: 1, abandonedCarts: 1, recoveredCarts: 0, lostValue: [{ currency: 'EUR', value: 50, share: 0.5556 }, { currency: 'GBP', value: 0, share: 0 }], ...survey },
      { surveyId: 'exit-1', answer: 'shipping', answers: 1, abandonedCarts: 1, recoveredCarts: 0, lostValue: [{ currency: 'EUR', value: 0, share: 0 }, { currency: 'GBP', value: 30, share: 1 }], ...survey },
      { surveyId: 'exit-1', answer: 'just looking', answers: 1, abandonedCarts: 0, recoveredCarts: 0, lostValue: [{ currency: 'EUR', value: 0, share: 0 }, { currency: 'GBP', value: 0, share: 0 }], ...survey },
    ]);
  });

  it('takes the filters: answers in the range, on a device', async () => {
    const { app } = await shop();
    const late = await get(app, `/v1/exports/cart-reasons?from=${encodeURIComponent(at(-200))}`).expect(200);
    expect(late.body.map((r: Record<string, unknown>) => [r.answer, r.answers, r.abandonedCarts])).toEqual([
      ['shipping', 1, 1],
      ['just looking', 1, 0],
    ]);
    expect(late.body[0]).toMatchObject({ surveyShown: 3, surveyAnswered: 2, surveyDismissed: 1 });
    const mobile = await get(app, '/v1/exports/cart-reasons?device=mobile').expect(200);
    expect(mobile.body).toEqual([]);
    await get(app, '/v1/exports/cart-reasons?by=device').expect(400);
  });

  it("counts an answer of the range with its cart, wherever the cart's abandonment falls", async () => {
    const { app } = await shop();
    // A answered at -295 (cart left at -270, after the range); F at -300 (cart left at -370, before it).
    const res = await get(app, `/v1/exports/cart-reasons?from=${encodeURIComponent(at(-300))}&to=${encodeURIComponent(at(-280))}`).expect(200);
    const survey = { surveyShown: 1, surveyAnswered: 2, surveyDismissed: 0, surveyAnswerRate: 2 };
    expect(res.body).toEqual([
      { surveyId: 'exit-1', answer: 'later', answers: 1, abandonedCarts: 1, recoveredCarts: 0, lostValue: [{ currency: 'EUR', value: 50, share: 0.5556 }], ...survey },
      { surveyId: 'exit-1', answer: 'price', answers: 1, abandonedCarts: 1, recoveredCarts: 0, lostValue: [{ currency: 'EUR', value: 40, share: 0.4444 }], ...survey },
    ]);
  });

  it('writes CSV with a currency, value and share triple per currency', async () => {
    const { app } = await shop();
    const res = await get(app, '/v1/exports/cart-reasons?format=csv').expect(200);
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).toBe('surveyId,answer,answers,abandonedCarts,recoveredCarts,lostCurrency1,lostValue1,lostShare1,lostCurrency2,lostValue2,lostShare2,surveyShown,surveyAnswered,surveyDismissed,surveyAnswerRate');
    expect(lines[1]).toBe('exit-1,price,2,2,1,EUR,40,0.4444,GBP,0,0,6,5,1,0.8333');
  });

  it('is empty without survey events', async () => {
    const { app } = await fx.collector();
    await send(app, [add('A', -300, 'mug', 40)]);
    expect((await get(app, '/v1/exports/cart-reasons').expect(200)).body).toEqual([]);
  });
});

describe('survey free text and the data subject', () => {
  it('is in the access document, and gone from every export once the subject is erased', async () => {
    const { app } = await fx.collector();
    const text = 'My husband Jean-Luc pays, ask him at +33 6 12 34 56 78';
    await send(app, [
      { type: 'identify', anonymousId: 'A', userId: 'cus_7', messageId: 'id-1', timestamp: at(-310) },
      add('A', -300, 'mug', 40),
      answered('A', -295, 'price', text),
      add('B', -300, 'tea', 10),
      answered('B', -295, 'price', 'too dear'),
    ]);
    const before = await get(app, '/v1/exports/abandoned-carts').expect(200);
    expect(before.body.map((c: Record<string, unknown>) => c.surveyText).sort()).toEqual([text, 'too dear'].sort());
    const access = await get(app, '/v1/privacy/subjects/cus_7').expect(200);
    expect(JSON.stringify(access.body)).toContain(text);

    await request(app).delete('/v1/privacy/subjects/cus_7').set('Authorization', bearer(ADMIN_TOKEN)).expect(200);
    const carts = await get(app, '/v1/exports/abandoned-carts?format=csv').expect(200);
    expect(carts.text).not.toContain('Jean-Luc');
    expect(carts.text).toContain('too dear');
    const reasons = await get(app, '/v1/exports/cart-reasons').expect(200);
    expect(reasons.body).toEqual([expect.objectContaining({ answer: 'price', answers: 1, abandonedCarts: 1, surveyAnswered: 1 })]);
    const events = await get(app, '/v1/exports/events').expect(200);
    expect(events.text).not.toContain('Jean-Luc');
  });

  it('finds a refused free text (over 500 characters) in the access document, and erases it', async () => {
    const { app } = await fx.collector();
    const text = `Call me on +33 6 12 34 56 78 ${'x'.repeat(480)}`;
    const res = await request(app)
      .post('/v1/batch')
      .set('Authorization', basic(WRITE_KEY))
      .send({ batch: [{ type: 'identify', anonymousId: 'A', userId: 'cus_8', messageId: 'id-8', timestamp: at(-20) }, { ...answered('A', -10, 'price', text), userId: 'cus_8' }] })
      .expect(200);
    expect(res.body.rejected).toHaveLength(1);
    const access = await get(app, '/v1/privacy/subjects/cus_8').expect(200);
    expect(JSON.stringify(access.body.rejectedEvents)).toContain('+33 6 12 34 56 78');
    const erased = await request(app).delete('/v1/privacy/subjects/cus_8').set('Authorization', bearer(ADMIN_TOKEN)).expect(200);
    expect(erased.body.counts).toMatchObject({ rejectedEvents: 1 });
    await get(app, '/v1/privacy/subjects/cus_8').expect(404);
  });
});
