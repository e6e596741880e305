// The cap on stored rejected events (ingest/limits.ts): per address and per write key an hour,
// an event counting once per 4 KiB begun. Past it the events are still answered under
// `rejected`, counted and logged, but not stored.
import request from 'supertest';
import type { Express } from 'express';
import { NOW, SERVER_KEY, basic, useFixtures } from '../helpers';
import { captureLogs } from '../log-capture';

const fx = useFixtures();

function manualClock(start = NOW) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** `n` events that validation rejects (no anonymousId or userId). */
const invalid = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, (_, i) => ({ type: 'track', event: 'No Id', messageId: `bad-${i}`, ...extra }));
const post = (app: Express, ip: string, batch: unknown[]) =>
  request(app).post('/v1/batch').set('X-Forwarded-For', ip).set('Authorization', basic(SERVER_KEY)).send({ batch });

describe('the cap on stored rejected events', () => {
  it('stores at most the cap per address an hour, answers every rejection, and logs what it did not store', async () => {
    const clock = manualClock();
    const logs = captureLogs();
    const { app, storage } = await fx.collector({ rejectedCap: { perIp: 5, perWriteKey: 100 }, trustProxy: true, now: clock.now, logger: logs.logger });
    const first = await post(app, '198.51.100.7', invalid(4));
    expect(first.body.rejected).toHaveLength(4);
    expect(await storage.listRejected()).toHaveLength(4);

    const second = await post(app, '198.51.100.7', invalid(4));
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ok: true, accepted: 0, duplicates: 0, rejected: invalid(4).map((e, index) => ({ index, messageId: e.messageId, reason: 'anonymousId or userId is required' })) });
    expect(await storage.listRejected()).toHaveLength(5);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'rejected events not stored (over the cap)', by: 'ip', address: '198.51.0.0', capPerHour: 5, count: 3 }),
    );

    // Another address has its own; this one gets its cap back over the hour.
    await post(app, '198.51.100.8', invalid(2));
    expect(await storage.listRejected()).toHaveLength(7);
    clock.advance(36 * 60_000); // three of five an hour
    await post(app, '198.51.100.7', invalid(4));
    expect(await storage.listRejected()).toHaveLength(10);
  });

  it('caps a write key across addresses', async () => {
    const { app, storage } = await fx.collector({ rejectedCap: { perIp: 100, perWriteKey: 6 }, trustProxy: true });
    await post(app, '192.0.2.1', invalid(4));
    await post(app, '192.0.2.2', invalid(4));
    expect(await storage.listRejected()).toHaveLength(6);
  });

  it('counts an event once per 4 KiB begun, so the cap bounds bytes too', async () => {
    const { app, storage } = await fx.collector({ rejectedCap: { perIp: 5, perWriteKey: 100 }, trustProxy: true });
    // About 9 KiB as stored: three of the five.
    const big = invalid(1, { properties: { pad: 'x'.repeat(9 * 1024) } });
    await post(app, '198.51.100.7', [...big, ...invalid(3)]);
    const kept = await storage.listRejected();
    expect(kept).toHaveLength(3);
    expect(kept.map((row) => row.raw.length > 9 * 1024)).toEqual([true, false, false]);
  });

  it('stores every rejected event with rejectedCap 0', async () => {
    const { app, storage } = await fx.collector({ rejectedCap: 0, eventRateLimit: 0 });
    await post(app, '198.51.100.7', invalid(1500));
    expect(await storage.listRejected()).toHaveLength(1500);
  });

  it('stores 1,000 per address an hour by default', async () => {
    const { app, storage } = await fx.collector({ eventRateLimit: 0 });
    await post(app, '198.51.100.7', invalid(1500));
    expect(await storage.listRejected()).toHaveLength(1000);
  });
});
