// The webhook metrics through GET /metrics: a real collector on a real SQLite file delivers to a
// real receiver on 127.0.0.1, and the scrape says what the attempts were (by type and outcome),
// what became of the deliveries, how deep the outbox is and how old its oldest pending delivery,
// and which endpoints a 410 disabled.
import request from 'supertest';
import type { Collector } from '../../src';
import { ADMIN_TOKEN, bearer, useFixtures, ingestAsServer as ingest } from '../helpers';
import { startReceiver, type Receiver } from '../webhooks/receiver';
import { value } from './prometheus-text';

const fx = useFixtures();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(() => receiver.close());

let counter = 0;
const order = () => ({
  type: 'track',
  event: 'Order Completed',
  messageId: `wm-${process.pid}-${++counter}`,
  userId: 'cust-1',
  timestamp: new Date().toISOString(),
  properties: { order_id: `o-${counter}`, total: 10, currency: 'EUR', products: [{ product_id: 'mug', price: 10, quantity: 1 }] },
});

async function collector(options: { allowPrivate?: boolean; file?: string } = {}): Promise<Collector> {
  const { app } = await fx.collector({ now: Date.now, webhooksAllowPrivate: options.allowPrivate ?? true, webhookIntervalMs: 100 }, options.file);
  return app;
}
const addEndpoint = async (app: Collector, url = receiver.url) =>
  (await request(app).post('/v1/webhooks').set('Authorization', bearer(ADMIN_TOKEN)).send({ url, events: ['order.completed'] }).expect(201)).body as { endpoint: { id: string } };

const scrape = async (app: Collector) => (await request(app).get('/metrics').set('Authorization', bearer(ADMIN_TOKEN)).expect(200)).text;

/** Scrapes until `ready` holds (the dispatcher counts the outbox at its next claim), 10 s at most. */
async function scrapeUntil(app: Collector, ready: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = await scrape(app);
    if (ready(text)) return text;
    await sleep(50);
  }
  throw new Error(`metrics never got there:\n${text.split('\n').filter((l) => l.startsWith('spur_webhook')).join('\n')}`);
}

const ORDER = { type: 'order.completed' };

describe('webhook metrics', () => {
  it('exist at zero before anything is delivered', async () => {
    const app = await collector();
    const text = await scrapeUntil(app, (t) => value(t, 'spur_webhook_outbox_pending') === 0);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '2xx' })).toBe(0);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: 'refused' })).toBe(0);
    expect(value(text, 'spur_webhook_deliveries_total', { ...ORDER, result: 'failed' })).toBe(0);
    expect(value(text, 'spur_webhook_outbox_oldest_pending_seconds')).toBe(0);
    expect(value(text, 'spur_webhook_endpoints_disabled_total')).toBe(0);
  });

  it('count a delivered attempt, time it, and empty the outbox', async () => {
    const app = await collector();
    await addEndpoint(app);
    await ingest(app, order(), order());
    await receiver.until(2);
    const text = await scrapeUntil(app, (t) => value(t, 'spur_webhook_deliveries_total', { ...ORDER, result: 'delivered' }) === 2 && value(t, 'spur_webhook_outbox_pending') === 0);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '2xx' })).toBe(2);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '5xx' })).toBe(0);
    expect(value(text, 'spur_webhook_attempt_duration_seconds_count', ORDER)).toBe(2);
    const seconds = value(text, 'spur_webhook_attempt_duration_seconds_sum', ORDER)!;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(15);
    expect(value(text, 'spur_webhook_outbox_oldest_pending_seconds')).toBe(0);
    expect(value(text, 'spur_webhook_endpoints', { state: 'enabled' })).toBe(1);
  });

  it('count a 500 as a 5xx attempt to retry, which stays pending and ages', async () => {
    const app = await collector();
    await addEndpoint(app);
    // The retry comes up to 5 s later; every answer is a 500 until then.
    receiver.answer(500, 500, 500, 500);
    await ingest(app, order());
    await receiver.until(1);
    const text = await scrapeUntil(app, (t) => value(t, 'spur_webhook_deliveries_total', { ...ORDER, result: 'retrying' })! >= 1 && value(t, 'spur_webhook_outbox_pending') === 1);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '5xx' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '2xx' })).toBe(0);
    expect(value(text, 'spur_webhook_deliveries_total', { ...ORDER, result: 'delivered' })).toBe(0);
    const age = value(text, 'spur_webhook_outbox_oldest_pending_seconds')!;
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThan(60);
    await sleep(300);
    expect(value(await scrape(app), 'spur_webhook_outbox_oldest_pending_seconds')).toBeGreaterThan(age);
  });

  it('count a 410 as a 4xx attempt that disabled its endpoint', async () => {
    const app = await collector();
    await addEndpoint(app);
    receiver.answer(410);
    await ingest(app, order());
    await receiver.until(1);
    const text = await scrapeUntil(app, (t) => value(t, 'spur_webhook_endpoints', { state: 'disabled' }) === 1);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '4xx' })).toBe(1);
    expect(value(text, 'spur_webhook_deliveries_total', { ...ORDER, result: 'disabled' })).toBe(1);
    expect(value(text, 'spur_webhook_endpoints_disabled_total')).toBe(1);
    expect(value(text, 'spur_webhook_endpoints', { state: 'enabled' })).toBe(0);
    expect(value(text, 'spur_webhook_outbox_pending')).toBe(0);
  });

  it('count a receiver that is not there as a network failure', async () => {
    const app = await collector();
    // A port nobody listens on any more: the connection is refused.
    const gone = await startReceiver();
    await gone.close();
    await addEndpoint(app, gone.url);
    await ingest(app, order());
    const text = await scrapeUntil(app, (t) => value(t, 'spur_webhook_attempts_total', { ...ORDER, outcome: 'network' }) === 1);
    expect(value(text, 'spur_webhook_deliveries_total', { ...ORDER, result: 'retrying' })).toBe(1);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: '5xx' })).toBe(0);
  });

  it('count an attempt to a private target where they are not allowed as refused', async () => {
    const file = fx.dbFile();
    // Added where private targets are allowed; attempted by a collector where they are not.
    const adder = await collector({ file });
    await addEndpoint(adder);
    await adder.close();
    const app = await collector({ allowPrivate: false, file });
    await ingest(app, order());
    const text = await scrapeUntil(app, (t) => value(t, 'spur_webhook_attempts_total', { ...ORDER, outcome: 'refused' }) === 1);
    expect(value(text, 'spur_webhook_deliveries_total', { ...ORDER, result: 'retrying' })).toBe(1);
    expect(value(text, 'spur_webhook_attempts_total', { ...ORDER, outcome: 'network' })).toBe(0);
    expect(receiver.deliveries).toHaveLength(0);
  });
});
