// Cart Abandoned webhooks come from the abandonment job as the cart's time passes, with nobody
// reading an export; the job's runs after the first replay only the carts abandoned lately (and
// those of customers with new events).
import request from 'supertest';
import { createAnalyticsService } from '../../src/jobs/catch-up';
import { startAbandonment } from '../../src/jobs/abandonment';
import { ADMIN_TOKEN, basic, bearer, NOW, SERVER_KEY, useFixtures } from '../helpers';
import { storedEvent } from '../storage/contract';
import { startReceiver, verifies } from './receiver';

const fx = useFixtures();
const mug = { product_id: 'mug', name: 'Mug', price: 12, currency: 'EUR', quantity: 2 };

describe('Cart Abandoned webhooks', () => {
  it('leave once the cart counts as abandoned, from the job alone', async () => {
    const receiver = await startReceiver();
    fx.cleanup(() => receiver.close());
    const { app } = await fx.collector({ now: Date.now, clientClock: 'trust', webhooksAllowPrivate: true, webhookIntervalMs: 100, abandonmentIntervalMs: 200 });
    const added = await request(app).post('/v1/webhooks').set('Authorization', bearer(ADMIN_TOKEN)).send({ url: receiver.url, events: ['cart.abandoned'] }).expect(201);
    // Left 30 minutes ago less 2 s: abandoned in 2 s.
    const left = new Date(Date.now() - 30 * 60_000 + 2000).toISOString();
    const event = { type: 'track', event: 'Product Added', messageId: 'add-1', anonymousId: 'anon-cart', timestamp: left, properties: mug };
    await request(app).post('/v1/batch').set('Authorization', basic(SERVER_KEY)).set('Content-Type', 'application/json').send({ batch: [event] }).expect(200);
    const [d] = await receiver.until(1, 20_000);
    expect(verifies(added.body.secret, d)).toBe(true);
    const body = JSON.parse(d.body);
    expect(body).toMatchObject({
      type: 'cart.abandoned',
      data: { anonymous_id: 'anon-cart', customer_id: null, value: 24, currency: 'EUR', products: [{ product_id: 'mug', name: 'Mug', price: 12, quantity: 2, currency: 'EUR' }], last_activity_at: left },
    });
    expect(Date.parse(body.timestamp)).toBe(Date.parse(left) + 30 * 60_000);
  });

  it('is recorded by a run that replays only the carts abandoned since shortly before the last', async () => {
    const storage = await fx.storage();
    let clock = NOW;
    await storage.append({ writeKey: 'wk', events: [storedEvent(new Date(NOW - 29 * 60_000).toISOString(), { event: 'Product Added', anonymousId: 'A', properties: mug })], rejected: [] });
    const analytics = createAnalyticsService(storage);
    // No full replay after the first: only the narrowed runs can find the cart.
    const job = startAbandonment({ store: storage, analytics, now: () => clock, intervalMs: 20 });
    fx.cleanup(() => Promise.all([job.stop(), analytics.stop()]));
    // The first catch-up starts the full run (not due yet); once it and any run queued behind it
    // are over, only the timer's narrowed runs come.
    await analytics.refresh();
    while (!job.status().ready) await new Promise((r) => setTimeout(r, 5));
    expect(await job.run(true)).toBe(0);
    expect(await job.run(true)).toBe(0);
    clock = NOW + 61_000;
    const timeline = async () => (await storage.getProfileEvents('A'))!.map((e) => e.event);
    for (let i = 0; i < 200 && (await timeline()).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await timeline()).toEqual(['Product Added', 'Cart Abandoned']);
  });
});
