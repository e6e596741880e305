// Webhooks and the live stream on PostgreSQL: the outbox row commits with its event, a delivery
// is leased to one collector at a time, the retry keeps its webhook-id, and GET /v1/live resumes
// after the backend's own cursor.
import request from 'supertest';
import { createStore } from '../../src';
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { webhookOp } from '../../src/webhooks/programs';
import { ADMIN_TOKEN, bearer, useFixtures, ingestAsServer as ingest } from '../helpers';
import { startReceiver, verifies, type Receiver } from '../webhooks/receiver';
import { describePostgres } from './server';

describePostgres('webhooks on PostgreSQL', (db) => {
  // A file name stands for a database of its own.
  const urls = new Map<string, string>();
  const fx = useFixtures(async (file) => {
    if (!urls.has(file)) urls.set(file, await db.fresh());
    return openPostgresStorage(urls.get(file)!);
  });
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());
  let counter = 0;
  const order = () => ({
    type: 'track',
    event: 'Order Completed',
    messageId: `pg-order-${++counter}`,
    userId: 'cust-pg',
    timestamp: new Date().toISOString(),
    properties: { order_id: `o-${counter}`, total: 9, currency: 'EUR' },
  });

  it('delivers, retries a 500 under the same webhook-id, and verifies', async () => {
    // The retry at a tenth of the schedule's first step (5 s): 500 ms after the first failure.
    const { app } = await fx.collector({ now: Date.now, webhooksAllowPrivate: true, webhookIntervalMs: 100, webhookJitter: () => 0.1 });
    const added = await request(app).post('/v1/webhooks').set('Authorization', bearer(ADMIN_TOKEN)).send({ url: receiver.url, events: ['order.completed'] }).expect(201);
    receiver.answer(500);
    await ingest(app, order());
    const [first, second] = await receiver.until(2);
    expect(second.id).toBe(first.id);
    expect(verifies(added.body.secret, first) && verifies(added.body.secret, second)).toBe(true);
    const log = await request(app).get(`/v1/webhooks/${added.body.endpoint.id}/attempts`).set('Authorization', bearer(ADMIN_TOKEN)).expect(200);
    expect(log.body.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([200, 500]);
    const [retried, failed] = log.body.attempts.map((a: { at: string }) => Date.parse(a.at));
    expect(retried - failed).toBeGreaterThanOrEqual(500);
  });

  it('leases a due delivery to one collector at a time', async () => {
    const file = 'shared';
    const one = await fx.storage(file);
    const two = createStore(await openPostgresStorage(urls.get(file)!));
    fx.cleanup(() => two.close());
    const at = new Date().toISOString();
    await webhookOp(one, {
      op: 'add',
      row: { id: 'ep_' + '1'.repeat(24), url: receiver.url, events: ['order.completed'], secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64'), previousSecret: null, previousUntil: null, enabled: true, createdAt: at, disabledReason: null },
    });
    const events = Array.from({ length: 6 }, () => ({ ...order(), type: 'track' as const, receivedAt: at, originalTimestamp: at, timestamp: at }));
    await one.append({ writeKey: 'wk', events, rejected: [] });
    const lease = new Date(Date.now() + 60_000).toISOString();
    const now = new Date(Date.now() + 1000).toISOString();
    const [a, b] = await Promise.all([webhookOp(one, { op: 'claim', now, leaseUntil: lease, limit: 4 }), webhookOp(two, { op: 'claim', now, leaseUntil: lease, limit: 4 })]);
    const ids = [...a.deliveries, ...b.deliveries].map((d) => d.messageId);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    // The outbox counted by the claim (the metrics): six pending, leased or not, the oldest made at `at`.
    expect(a.summary).toEqual({ pending: 6, oldestPendingAt: at, endpointsEnabled: 1, endpointsDisabled: 0 });
    // Leased: nobody takes them again before the lease ends; after it, they are due again.
    expect((await webhookOp(one, { op: 'claim', now, leaseUntil: lease, limit: 10 })).deliveries).toEqual([]);
    const later = new Date(Date.now() + 61_000).toISOString();
    expect((await webhookOp(two, { op: 'claim', now: later, leaseUntil: later, limit: 10 })).deliveries).toHaveLength(6);
  });

  it('streams live events with ids that resume after the backend cursor', async () => {
    const { app } = await fx.collector({ now: Date.now });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    fx.cleanup(async () => {
      app.endStreams();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const read = async (headers: Record<string, string>, until: (text: string) => boolean) => {
      const controller = new AbortController();
      const res = await fetch(`${base}/v1/live?event=Order%20Completed`, { headers: { authorization: bearer(ADMIN_TOKEN), ...headers }, signal: controller.signal });
      const reader = res.body!.getReader();
      let text = '';
      while (!until(text)) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      return text;
    };
    await ingest(app, order());
    const ready = await read({}, (t) => t.includes('event: ready'));
    const id = /id: (\S+)\nevent: ready/.exec(ready)![1];
    expect(id).toMatch(/^\d+:\d+\.\d+$/);
    const missed = order();
    await ingest(app, missed);
    const resumed = await read({ 'last-event-id': id }, (t) => t.includes('event: events'));
    expect(resumed).toContain(missed.messageId);
  });
});
