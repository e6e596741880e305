// Webhooks end to end in one process: endpoints added through the admin API, events ingested over
// real HTTP into a real SQLite file, deliveries to a real receiver on 127.0.0.1 that checks each
// with the Standard Webhooks library.
import request from 'supertest';
import { ADMIN_TOKEN, bearer, useFixtures, ingestAsServer as ingest } from '../helpers';
import { startReceiver, verifies, type Receiver } from './receiver';
import type { Collector } from '../../src';

const fx = useFixtures();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(() => receiver.close());

let counter = 0;
const order = (overrides: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  messageId: `order-${process.pid}-${++counter}`,
  userId: 'cust-1',
  timestamp: new Date().toISOString(),
  properties: { order_id: `o-${counter}`, total: 42.5, currency: 'EUR', email: 'ann@example.com', products: [{ product_id: 'mug', price: 42.5, quantity: 1, color: 'red' }] },
  ...overrides,
});

async function collector(options: { allowPrivate?: boolean; file?: string } = {}) {
  // A retry at a tenth of its step: 500 ms after the first failure (the schedule's first step is 5 s).
  const { app } = await fx.collector({ now: Date.now, webhooksAllowPrivate: options.allowPrivate ?? true, webhookIntervalMs: 100, webhookJitter: () => 0.1 }, options.file);
  return app;
}
const admin = (app: Collector) => ({
  add: (body: unknown) => request(app).post('/v1/webhooks').set('Authorization', bearer(ADMIN_TOKEN)).send(body as object),
  list: async () => (await request(app).get('/v1/webhooks').set('Authorization', bearer(ADMIN_TOKEN)).expect(200)).body.endpoints,
  log: async (id: string) => (await request(app).get(`/v1/webhooks/${id}/attempts`).set('Authorization', bearer(ADMIN_TOKEN)).expect(200)).body.attempts,
});

async function endpoint(app: Collector, events: string[]) {
  const res = await admin(app).add({ url: receiver.url, events }).expect(201);
  return res.body as { endpoint: { id: string }; secret: string };
}

describe('webhooks', () => {
  it('delivers an Order Completed as Standard Webhooks specifies, and the library verifies it', async () => {
    const app = await collector();
    const { endpoint: ep, secret } = await endpoint(app, ['order.completed']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const sent = order();
    await ingest(app, sent);
    const [d] = await receiver.until(1);
    expect(verifies(secret, d)).toBe(true);
    expect(d.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(d.headers['content-type']).toBe('application/json');
    expect(JSON.parse(d.body)).toEqual({
      type: 'order.completed',
      timestamp: sent.timestamp,
      data: {
        event_id: sent.messageId,
        customer_id: 'cust-1',
        anonymous_id: null,
        order_id: sent.properties.order_id,
        total: 42.5,
        currency: 'EUR',
        products: [{ product_id: 'mug', price: 42.5, quantity: 1 }],
        channel: 'web',
        occurred_at: sent.timestamp,
      },
    });
    // Another secret does not verify it.
    expect(verifies('whsec_' + Buffer.alloc(32, 1).toString('base64'), d)).toBe(false);
    const log = await admin(app).log(ep.id);
    expect(log).toEqual([expect.objectContaining({ messageId: d.id, attempt: 1, statusCode: 200, error: null, type: 'order.completed' })]);
  });

  it('retries after a 500 under the same webhook-id, signed afresh, and logs both attempts', async () => {
    const app = await collector();
    const { endpoint: ep, secret } = await endpoint(app, ['order.completed']);
    receiver.answer(500);
    await ingest(app, order());
    const [first, second] = await receiver.until(2);
    expect(second.id).toBe(first.id);
    expect(verifies(secret, first) && verifies(secret, second)).toBe(true);
    expect(second.timestamp).toBeGreaterThanOrEqual(first.timestamp);
    const log = await admin(app).log(ep.id);
    expect(log.map((a: { attempt: number; statusCode: number; error: string | null }) => [a.attempt, a.statusCode, a.error])).toEqual([
      [2, 200, null],
      [1, 500, 'HTTP 500'],
    ]);
    // Not at once: after its share of the schedule's first step (RETRY_SCHEDULE_MS[0] × 0.1).
    expect(Date.parse(log[0].at) - Date.parse(log[1].at)).toBeGreaterThanOrEqual(500);
    expect((await admin(app).list())[0].deliveries).toEqual({ delivered: 1 });
  });

  it('disables an endpoint that answers 410: no more attempts, the reason kept', async () => {
    const app = await collector();
    const { endpoint: ep } = await endpoint(app, ['order.completed']);
    receiver.answer(410);
    await ingest(app, order());
    await receiver.until(1);
    let listed: { enabled: boolean; disabledReason: string }[] = [];
    for (let i = 0; i < 500 && (listed = await admin(app).list())[0].enabled; i++) await sleep(20);
    expect(listed[0]).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410 Gone') });
    await ingest(app, order());
    await sleep(1000);
    expect(receiver.deliveries).toHaveLength(1);
    expect((await admin(app).log(ep.id)).map((a: { statusCode: number }) => a.statusCode)).toEqual([410]);
  });

  it('does not follow a redirect: the attempt fails and is retried', async () => {
    const app = await collector();
    const { endpoint: ep } = await endpoint(app, ['order.completed']);
    receiver.answer(302);
    await ingest(app, order());
    await receiver.until(2);
    const log = await admin(app).log(ep.id);
    expect(log.map((a: { statusCode: number; error: string | null }) => [a.statusCode, a.error])).toEqual([
      [200, null],
      [302, 'redirect not followed'],
    ]);
  });

  it('sends only the types an endpoint takes, leaves free text and old events out', async () => {
    const app = await collector();
    await endpoint(app, ['survey.answered']);
    const answered = {
      type: 'track',
      event: 'Survey Answered',
      messageId: `survey-${++counter}`,
      anonymousId: 'anon-9',
      timestamp: new Date().toISOString(),
      properties: { survey_id: 'exit', question: 'Why?', answer: 'price', text: 'my name is Ann', cart_id: 'c1', cart_value: 30, currency: 'EUR', items: 2 },
    };
    const old = { ...answered, messageId: `survey-${++counter}`, timestamp: new Date(Date.now() - 2 * 86_400_000).toISOString() };
    await ingest(app, order(), old, answered);
    const [d] = await receiver.until(1);
    await sleep(800);
    expect(receiver.deliveries).toHaveLength(1);
    expect(JSON.parse(d.body)).toEqual({
      type: 'survey.answered',
      timestamp: answered.timestamp,
      data: { event_id: answered.messageId, customer_id: null, anonymous_id: 'anon-9', survey_id: 'exit', question: 'Why?', answer: 'price', cart_id: 'c1', cart_value: 30, currency: 'EUR', items: 2, occurred_at: answered.timestamp },
    });
  });

  it('enqueues a delivery with the stored event only: a resent event fires nothing more', async () => {
    const app = await collector();
    await endpoint(app, ['order.completed']);
    const sent = order();
    await ingest(app, sent);
    await ingest(app, sent);
    await receiver.until(1);
    await sleep(800);
    expect(receiver.deliveries).toHaveLength(1);
    expect((await admin(app).list())[0].deliveries).toEqual({ delivered: 1 });
  });

  it('signs with the old and the new secret after a rotation', async () => {
    const app = await collector();
    const { endpoint: ep, secret: old } = await endpoint(app, ['order.completed']);
    const rotated = await request(app).post(`/v1/webhooks/${ep.id}/rotate`).set('Authorization', bearer(ADMIN_TOKEN)).expect(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    expect(Date.parse(rotated.body.previousValidUntil)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    await ingest(app, order());
    const [d] = await receiver.until(1);
    expect(d.signature.split(' ')).toHaveLength(2);
    expect(verifies(fresh, d)).toBe(true);
    expect(verifies(old, d)).toBe(true);
    // Secrets are shown once: the list never has them.
    expect(JSON.stringify(await admin(app).list())).not.toContain('whsec_');
  });

  it('refuses loopback and private targets without SPUR_WEBHOOKS_ALLOW_PRIVATE, and other schemes always', async () => {
    const app = await collector({ allowPrivate: false });
    for (const url of [receiver.url, 'http://10.1.2.3/hook', 'http://[::ffff:127.0.0.1]:81/', 'http://169.254.169.254/latest', 'http://localhost/']) {
      const res = await admin(app).add({ url, events: ['order.completed'] }).expect(400);
      expect(res.body.error.message).toContain('url refused');
    }
    await admin(app).add({ url: 'ftp://example.com/x', events: ['order.completed'] }).expect(400);
    await admin(app).add({ url: 'https://example.com/x', events: ['order.shipped'] }).expect(400);
    expect(await admin(app).list()).toEqual([]);
  });

  it('checks the target again at every delivery: an attempt to a private address is refused and logged', async () => {
    const file = fx.dbFile();
    // Added where private targets are allowed; delivered by a collector where they are not.
    const adder = await collector({ file });
    const { endpoint: ep } = await endpoint(adder, ['order.completed']);
    await adder.close();
    const app = await collector({ allowPrivate: false, file });
    await ingest(app, order());
    let log: { error: string }[] = [];
    for (let i = 0; i < 500 && (log = await admin(app).log(ep.id)).length === 0; i++) await sleep(20);
    expect(log[0].error).toMatch(/^refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1/);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('removes an endpoint with its deliveries and answers 404 for it after', async () => {
    const app = await collector();
    const { endpoint: ep } = await endpoint(app, ['order.completed']);
    await request(app).delete(`/v1/webhooks/${ep.id}`).set('Authorization', bearer(ADMIN_TOKEN)).expect(200);
    await request(app).delete(`/v1/webhooks/${ep.id}`).set('Authorization', bearer(ADMIN_TOKEN)).expect(404);
    await request(app).get(`/v1/webhooks/${ep.id}/attempts`).set('Authorization', bearer(ADMIN_TOKEN)).expect(404);
    await request(app).get('/v1/webhooks').expect(401);
  });
});
