// Event rate limits (ingest/limits.ts, charged by ingest/service.ts): every event counts, valid or not, charged once the body is
// parsed; an address or write key whose events outran the limit is in debt, and its requests are
// refused at once, before their bodies are read, until it is paid back. The clock is injected.
import request from 'supertest';
import type { Express } from 'express';
import { NOW, OTHER_KEY, SERVER_KEY, SHOP, WRITE_KEY, basic, track, useFixtures } from '../helpers';
import { captureLogs } from '../log-capture';
import { head, openSocket, readAnswer, startLimited } from './raw';

const fx = useFixtures();

function manualClock(start = NOW) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const events = (n: number, valid = true) => Array.from({ length: n }, () => (valid ? track() : { type: 'track', event: 'No Id' }));
const post = (app: Express, ip: string, n: number, valid = true) =>
  request(app)
    .post('/v1/batch')
    .set('X-Forwarded-For', ip)
    .set('Content-Type', 'text/plain')
    .set('Authorization', basic(SERVER_KEY))
    .send(JSON.stringify({ batch: events(n, valid) }));

describe('event rate limits', () => {
  it('never refuses a request for its size, then refuses the next ones unread until the debt is paid', async () => {
    const clock = manualClock();
    // The defaults: 1,000 events/s per address, a bucket of 2,000.
    const lb = await startLimited({ now: clock.now, rateLimit: 0 });
    try {
      // Small events, so that 5,000 fit in the 500 KiB a request may carry.
      const batch = Buffer.from(JSON.stringify({ batch: Array.from({ length: 5000 }, (_, i) => ({ type: 'track', event: 'E', anonymousId: 'a', messageId: `big-${i}` })) }));
      const first = await openSocket(lb.port);
      first.write(head('/v1/batch', { 'Content-Length': batch.length, 'X-Spur-Write-Key': SERVER_KEY }));
      first.write(batch);
      const answer = await readAnswer(first);
      expect(answer?.status).toBe(200);
      expect(JSON.parse(answer!.body)).toMatchObject({ accepted: 5000 });
      first.destroy();

      // 3,000 events in debt: refused before its body, which never comes (a TB announced).
      const next = await openSocket(lb.port);
      next.write(head('/v1/batch', { 'Content-Length': 1e12, 'X-Spur-Write-Key': SERVER_KEY }));
      const refused = await readAnswer(next);
      expect(refused).toMatchObject({ status: 429, headers: { 'retry-after': '4', connection: 'close' } });
      expect(JSON.parse(refused!.body)).toEqual({ error: { code: 'rate_limited', message: 'too many events from this address; retry after the time in Retry-After' } });
      next.destroy();

      clock.advance(3001); // paid back, and one event to spare
      const later = await openSocket(lb.port);
      const small = Buffer.from(JSON.stringify({ batch: events(20) }));
      later.write(head('/v1/batch', { 'Content-Length': small.length, 'X-Spur-Write-Key': SERVER_KEY }));
      later.write(small);
      expect((await readAnswer(later))?.status).toBe(200);
      later.destroy();
    } finally {
      await lb.close();
    }
  });

  it("keeps a browser's connection open when it refuses a small body: node reads the rest, and the next request is served", async () => {
    const clock = manualClock();
    const lb = await startLimited({ now: clock.now, rateLimit: 0, eventRateLimit: 10 });
    try {
      const socket = await openSocket(lb.port);
      const send = (n: number) => {
        const body = Buffer.from(JSON.stringify({ batch: events(n) }));
        socket.write(head('/v1/batch', { 'Content-Length': body.length, 'X-Spur-Write-Key': SERVER_KEY }) + body.toString());
        return readAnswer(socket);
      };
      expect((await send(25))?.status).toBe(200); // 5 in debt
      const refused = await send(20);
      expect(refused?.status).toBe(429);
      expect(refused?.headers.connection).not.toBe('close');
      clock.advance(1000);
      expect((await send(1))?.status).toBe(200); // the same connection
      socket.destroy();
    } finally {
      await lb.close();
    }
  });

  it('counts invalid events like valid ones, per address, and logs the address as the IP setting stores it', async () => {
    const clock = manualClock();
    const logs = captureLogs();
    const { app, storage } = await fx.collector({ eventRateLimit: 10, rateLimit: 0, trustProxy: true, now: clock.now, logger: logs.logger });
    expect((await post(app, '198.51.100.7', 25, false)).status).toBe(200); // a bucket of 20: now 5 in debt
    const res = await post(app, '198.51.100.7', 1);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect((await post(app, '198.51.100.8', 20)).status).toBe(200); // another address
    expect(await storage.countEvents({})).toBe(20);
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'ingest rate limited', limit: 'events', by: 'ip', address: '198.51.0.0', path: '/v1/batch', count: 1 }),
    );
    clock.advance(600);
    expect((await post(app, '198.51.100.7', 1)).status).toBe(200);
  });

  it('limits a write key across addresses, a key sent only in the body too (charged once its body is read)', async () => {
    const { app } = await fx.collector({ eventRateLimit: { perIp: 0, perWriteKey: 10 }, rateLimit: 0, trustProxy: true });
    expect((await post(app, '192.0.2.1', 15)).status).toBe(200);
    expect((await post(app, '192.0.2.2', 15)).status).toBe(200); // 5 left: taken, 10 in debt
    const header = await post(app, '192.0.2.3', 1);
    expect(header.status).toBe(429);
    expect(header.body.error.message).toBe('too many events from this write key; retry after the time in Retry-After');
    const inBody = await request(app)
      .post('/v1/batch')
      .set('X-Forwarded-For', '192.0.2.4')
      .set('Origin', SHOP)
      .send({ writeKey: WRITE_KEY, batch: events(1) });
    expect(inBody.status).toBe(200); // another key
    const serverKeyInBody = await request(app).post('/v1/batch').set('X-Forwarded-For', '192.0.2.5').send({ writeKey: SERVER_KEY, batch: events(1) });
    expect(serverKeyInBody.status).toBe(429);
    expect((await request(app).post('/v1/batch').set('Authorization', basic(OTHER_KEY)).send({ batch: events(5) })).status).toBe(200);
  });

  it('refuses a request admitted before its address went into debt once its body is parsed, storing nothing of it', async () => {
    const lb = await startLimited({ eventRateLimit: 10, rateLimit: 0 });
    try {
      const late = Buffer.from(JSON.stringify({ batch: events(5, true).map((e) => ({ ...e, anonymousId: 'late' })) }));
      const slow = await openSocket(lb.port);
      slow.write(head('/v1/batch', { 'Content-Length': late.length, 'X-Spur-Write-Key': SERVER_KEY }));
      slow.write(late.subarray(0, 10)); // admitted: its address owes nothing yet
      const fast = await openSocket(lb.port);
      const body = Buffer.from(JSON.stringify({ batch: events(25) }));
      fast.write(head('/v1/batch', { 'Content-Length': body.length, 'X-Spur-Write-Key': SERVER_KEY }));
      fast.write(body);
      expect((await readAnswer(fast))?.status).toBe(200); // 20 in the bucket, 5 in debt now
      slow.write(late.subarray(10));
      expect((await readAnswer(slow))?.status).toBe(429);
      expect(await lb.storage.getProfile('late')).toBeNull();
      for (const socket of [slow, fast]) socket.destroy();
    } finally {
      await lb.close();
    }
  });

  it('is off with eventRateLimit 0', async () => {
    const { app } = await fx.collector({ eventRateLimit: 0, rateLimit: 0, trustProxy: true });
    for (let i = 0; i < 3; i++) expect((await post(app, '198.51.100.7', 5000, false)).status).toBe(200);
  });
});
