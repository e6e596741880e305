// The outbox on a real SQLite file, without HTTP: rows written with their events only, leases,
// and finished deliveries with their log deleted after WEBHOOK_LOG_DAYS.
import { startWebhookDispatcher, WEBHOOK_LOG_DAYS } from '../../src/webhooks/dispatcher';
import { webhookOp } from '../../src/webhooks/programs';
import { useFixtures } from '../helpers';
import { storedEvent } from '../storage/contract';

const fx = useFixtures();
const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

async function withEndpoint() {
  const storage = await fx.storage();
  await webhookOp(storage, {
    op: 'add',
    row: { id: 'ep_' + 'a'.repeat(24), url: 'http://127.0.0.1:9/', events: ['order.completed'], secret: 'whsec_' + Buffer.alloc(32, 3).toString('base64'), previousSecret: null, previousUntil: null, enabled: true, createdAt: iso(T0), disabledReason: null },
  });
  const order = (at: number) => ({ ...storedEvent(iso(at), { event: 'Order Completed', userId: 'c', properties: { order_id: 'o', total: 1 } }), receivedAt: iso(at) });
  return { storage, order };
}

describe('the webhook outbox', () => {
  it('holds a row for each stored event that fires, none for other events or duplicates', async () => {
    const { storage, order } = await withEndpoint();
    const fired = order(T0);
    await storage.append({ writeKey: 'wk', events: [fired, storedEvent(iso(T0), { event: 'Product Viewed' })], rejected: [] });
    await storage.append({ writeKey: 'wk', events: [fired], rejected: [] });
    expect(await webhookOp(storage, { op: 'counts' })).toEqual([{ endpointId: 'ep_' + 'a'.repeat(24), state: 'pending', count: 1 }]);
    // Leased once: a second claim before the lease ends takes nothing.
    const claimed = await webhookOp(storage, { op: 'claim', now: iso(T0), leaseUntil: iso(T0 + 60_000), limit: 10 });
    expect(claimed.deliveries).toHaveLength(1);
    expect((await webhookOp(storage, { op: 'claim', now: iso(T0 + 59_000), leaseUntil: iso(T0 + 120_000), limit: 10 })).deliveries).toEqual([]);
    expect((await webhookOp(storage, { op: 'claim', now: iso(T0 + 60_000), leaseUntil: iso(T0 + 120_000), limit: 10 })).deliveries).toHaveLength(1);
  });

  it(`deletes finished deliveries and attempts after ${WEBHOOK_LOG_DAYS} days, keeping pending ones`, async () => {
    const { storage, order } = await withEndpoint();
    await storage.append({ writeKey: 'wk', events: [order(T0), order(T0 + 1000)], rejected: [] });
    const [done] = (await webhookOp(storage, { op: 'claim', now: iso(T0 + 1000), leaseUntil: iso(T0 + 60_000), limit: 1 })).deliveries;
    await webhookOp(storage, { op: 'finish', attempt: { messageId: done.messageId, endpointId: done.endpointId, type: done.type, attempt: 1, statusCode: 200, durationMs: 3, error: null, at: iso(T0 + 2000) }, state: 'delivered', nextAttemptAt: iso(T0 + 2000) });
    // The dispatcher prunes as it starts; its clock is 31 days on (the target refuses: nothing is sent).
    const dispatcher = startWebhookDispatcher({ storage, allowPrivate: false, now: () => T0 + (WEBHOOK_LOG_DAYS + 1) * DAY, intervalMs: 60_000 });
    fx.cleanup(() => dispatcher.stop());
    let counts = await webhookOp(storage, { op: 'counts' });
    for (let i = 0; i < 100 && counts.some((c) => c.state === 'delivered'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      counts = await webhookOp(storage, { op: 'counts' });
    }
    expect(counts.map((c) => c.state)).toEqual(['pending']);
    const log = await webhookOp(storage, { op: 'attempts', endpointId: done.endpointId, limit: 10 });
    expect(log.map((a) => a.messageId)).not.toContain(done.messageId);
  });
});

describe('an erasure', () => {
  it('deletes the deliveries that name the subject, sent or pending, and leaves the others', async () => {
    const { storage } = await withEndpoint();
    const of = (userId: string) => ({ ...storedEvent(iso(T0), { event: 'Order Completed', userId, properties: { order_id: `o-${userId}`, total: 1 } }), receivedAt: iso(T0) });
    await storage.append({ writeKey: 'wk', events: [of('erase-me'), of('keep-me')], rejected: [] });
    const outcome = await storage.eraseSubject('erase-me', { at: iso(T0 + 1000), suppressUntil: null });
    expect(outcome.status).toBe('erased');
    const left = (await webhookOp(storage, { op: 'claim', now: iso(T0 + 2000), leaseUntil: iso(T0 + 60_000), limit: 10 })).deliveries;
    expect(left.map((d) => JSON.parse(d.payload).data.customer_id)).toEqual(['keep-me']);
  });
});
