// A messageId is stored once. A resend of the same event (what the SDK does after a lost answer)
// is a duplicate; the same messageId with another payload is a duplicate too, and is kept in the
// rejected events as a conflict. Per request the collector derives receipt time, corrected time
// and context.ip anew, so those must not make a retry look like a conflict.
import request from 'supertest';
import { CONFLICT_REASON } from '../src/storage/types';
import { NOW, WRITE_KEY, track, useFixtures } from './helpers';

const fx = useFixtures();

async function setup() {
  let now = NOW;
  const { app, storage } = await fx.collector({ now: () => now, trustProxy: true, ip: 'keep' });
  const send = (body: Record<string, unknown>, ip: string) =>
    request(app).post('/v1/batch').set('X-Forwarded-For', ip).send({ writeKey: WRITE_KEY, ...body });
  return { storage, send, later: (ms: number) => (now += ms) };
}

describe('messageId conflicts', () => {
  it('counts a retry from another address, with another sentAt, minutes later, as a plain duplicate', async () => {
    const { storage, send, later } = await setup();
    const batch = [track({ messageId: 'r-1' }), track({ messageId: 'r-2', timestamp: undefined, context: { page: { path: '/' } } })];
    const first = await send({ batch, sentAt: '2024-05-01T11:59:30.000Z' }, '203.0.113.7').expect(200);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 0 });
    later(5 * 60_000);
    const retry = await send({ batch, sentAt: '2024-05-01T12:04:30.000Z' }, '198.51.100.9').expect(200);
    expect(retry.body).toEqual({ ok: true, accepted: 0, duplicates: 2, rejected: [] });
    expect(await storage.listRejected()).toEqual([]);
    // The stored copy is the first one.
    const stored = await storage.getProfileEvents('anon-1');
    expect(stored?.map((e) => e.context?.ip)).toEqual(['203.0.113.7', '203.0.113.7']);
  });

  it('answers another payload under a stored messageId as a duplicate and keeps it as a conflict', async () => {
    const { storage, send, later } = await setup();
    const original = track({ messageId: 'c-1', properties: { product_id: 'p1', price: 10 } });
    await send({ batch: [original] }, '203.0.113.7').expect(200);
    later(1000);
    const changed = { ...original, properties: { product_id: 'p1', price: 12 } };
    const res = await send({ batch: [changed, track()] }, '203.0.113.7').expect(200);
    // Not under `rejected`: accepted + duplicates + rejected still add up to the batch, and the
    // client stops resending (nothing it can change would be stored under this messageId).
    expect(res.body).toEqual({ ok: true, accepted: 1, duplicates: 1, rejected: [] });
    const [event] = (await storage.getProfileEvents('anon-1')) ?? [];
    expect(event).toMatchObject({ messageId: 'c-1', properties: { price: 10 } });
    const rejected = await storage.listRejected();
    expect(rejected).toEqual([
      { messageId: 'c-1', reason: CONFLICT_REASON, writeKey: WRITE_KEY, receivedAt: new Date(NOW + 1000).toISOString(), raw: expect.any(String) },
    ]);
    expect(JSON.parse(rejected[0].raw)).toMatchObject({ messageId: 'c-1', event: 'Product Viewed', properties: { price: 12 } });
    // The client retrying that answer (lost on the way) adds no second record.
    await send({ batch: [changed] }, '203.0.113.7').expect(200);
    expect(await storage.listRejected()).toHaveLength(1);
  });
});
