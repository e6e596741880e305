// Rate limits per client IP and per write key: 429 with Retry-After, CORS on the 429, bounded
// memory. The clock is injected, so nothing sleeps.
import zlib from 'node:zlib';
import request from 'supertest';
import type { Express } from 'express';
import type { CollectorConfig } from '../src';
import { clientKey, createTokenBuckets } from '../src/rate-limit';
import { NOW, OTHER_KEY, OTHER_SHOP, SHOP, WRITE_KEY, basic, track, useFixtures } from './helpers';

const fx = useFixtures();

/** A clock the test moves by hand. */
function manualClock(start = NOW) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const batch = () => JSON.stringify({ batch: [track()] });
/** A plain request: the ingest fast path answers it. */
const post = (app: Express, ip = '198.51.100.7') =>
  request(app).post('/v1/batch').set('X-Forwarded-For', ip).set('Content-Type', 'text/plain').set('Authorization', basic(WRITE_KEY));

describe('token buckets', () => {
  it('allows a burst, then answers with the whole seconds until the next token', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 2, burst: 4, now: clock.now });
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([0, 0, 0, 0]);
    expect(buckets.take('a')).toBe(1); // 0.5 s to the next token, rounded up to 1
    expect(buckets.take('b')).toBe(0); // every key has its own bucket
    clock.advance(500);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(1);
  });

  it('says how many seconds to wait at a slow rate', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 10 / 60, burst: 10, now: clock.now });
    for (let i = 0; i < 10; i++) expect(buckets.take('ip')).toBe(0);
    expect(buckets.wait('ip')).toBe(6);
    expect(buckets.take('ip')).toBe(6);
    clock.advance(6000);
    expect(buckets.wait('ip')).toBe(0);
  });

  it('wait() takes nothing', () => {
    const buckets = createTokenBuckets({ rate: 1, burst: 1, now: () => NOW });
    expect(buckets.wait('a')).toBe(0);
    expect(buckets.wait('a')).toBe(0);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.wait('a')).toBe(1);
  });

  it('refills nothing when the clock steps back', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 1, burst: 1, now: clock.now });
    buckets.take('a');
    clock.advance(-60_000);
    expect(buckets.take('a')).toBe(1);
  });

  it('lets a bucket with a token take more than it holds, and refuses until the debt is paid back', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 1000, burst: 2000, now: clock.now });
    expect(buckets.take('ip', 5000)).toBe(0); // never refused for its size
    expect(buckets.wait('ip')).toBe(4); // 3,000 in debt, and one token more
    expect(buckets.take('ip', 20)).toBe(4);
    clock.advance(3000);
    expect(buckets.take('ip', 20)).toBe(1); // 0 tokens: not yet one
    clock.advance(1);
    expect(buckets.take('ip', 20)).toBe(0);
  });

  it('tells the whole tokens available without taking any, a full bucket for a key never seen', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 1, burst: 5, now: clock.now });
    expect(buckets.available('new')).toBe(5);
    expect(buckets.size).toBe(0);
    buckets.take('a', 3);
    expect(buckets.available('a')).toBe(2);
    clock.advance(500);
    expect(buckets.available('a')).toBe(2); // 2.5
    buckets.take('a', 4);
    expect(buckets.available('a')).toBe(0); // in debt: none
  });

  it('never holds more than maxBuckets, however many keys a flood brings', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 50, burst: 100, now: clock.now, maxBuckets: 1000 });
    let most = 0;
    for (let i = 0; i < 50_000; i++) {
      buckets.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      most = Math.max(most, buckets.size);
      if (i % 1000 === 0) clock.advance(1); // a flood: none of them refills
    }
    expect(most).toBe(1000);
  });

  it('drops refilled buckets before live ones when full', () => {
    const clock = manualClock();
    const buckets = createTokenBuckets({ rate: 1, burst: 3, now: clock.now, maxBuckets: 10 });
    for (let i = 0; i < 3; i++) buckets.take('hot'); // drained
    for (let i = 1; i <= 9; i++) buckets.take(`idle-${i}`); // one token short of full
    clock.advance(1000); // the idle ones are full again, 'hot' has one token
    buckets.take('newcomer');
    expect(buckets.size).toBeLessThanOrEqual(2);
    // 'hot' kept its bucket: one token, not a fresh burst of three.
    expect(buckets.take('hot')).toBe(0);
    expect(buckets.take('hot')).toBe(1);
  });
});

describe('clientKey', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('');
  });
});

describe('rate limits on ingest', () => {
  // trustProxy so that X-Forwarded-For plays many clients from one test process.
  const limited = (rateLimit: CollectorConfig['rateLimit'], clock = manualClock()) =>
    fx.collector({ rateLimit, trustProxy: true, now: clock.now });

  it('answers 429 rate_limited with Retry-After once an IP used its burst, and stores nothing of it', async () => {
    const clock = manualClock();
    const { app, storage } = await limited(1, clock); // 1 request/s, burst 2
    expect((await post(app).send(batch())).status).toBe(200);
    expect((await post(app).send(batch())).status).toBe(200);
    const refused = await post(app).send(JSON.stringify({ batch: [track({ anonymousId: 'refused' })] }));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    expect(refused.headers['retry-after']).toBe('1');
    expect(await storage.getProfile('refused')).toBeNull();
    // Another client is not affected, and the first one may send again a second later.
    expect((await post(app, '198.51.100.8').send(batch())).status).toBe(200);
    clock.advance(1000);
    expect((await post(app).send(batch())).status).toBe(200);
  });

  it('limits requests that take the router path too (gzip body, cookie)', async () => {
    const { app } = await limited(1);
    const gzipped = zlib.gzipSync(batch());
    const viaRouter = () => post(app).set('Content-Encoding', 'gzip').set('Cookie', 'spur_aid=x').send(gzipped);
    expect((await viaRouter()).status).toBe(200);
    expect((await viaRouter()).status).toBe(200);
    expect((await viaRouter()).status).toBe(429);
  });

  it('counts every ingest route and preflights, but not /healthz or other paths', async () => {
    const { app } = await limited(1);
    await post(app).send(batch());
    await request(app).options('/v1/track').set('X-Forwarded-For', '198.51.100.7').set('Origin', SHOP);
    const res = await request(app).post('/v1/page').set('X-Forwarded-For', '198.51.100.7').send({});
    expect(res.status).toBe(429);
    expect((await request(app).get('/healthz').set('X-Forwarded-For', '198.51.100.7')).status).toBe(200);
  });

  it('counts an IPv6 client by its /64', async () => {
    const { app } = await limited(1);
    expect((await post(app, '2001:db8:1:2::1').send(batch())).status).toBe(200);
    expect((await post(app, '2001:db8:1:2::2').send(batch())).status).toBe(200);
    expect((await post(app, '2001:db8:1:2:ffff::3').send(batch())).status).toBe(429);
    expect((await post(app, '2001:db8:1:3::1').send(batch())).status).toBe(200);
  });

  it('lets an allowed page read the 429: its origin echoed with credentials, Vary: Origin', async () => {
    const { app } = await limited(1);
    for (let i = 0; i < 2; i++) await post(app).set('Origin', SHOP).send(batch());
    const res = await post(app).set('Origin', SHOP).send(batch());
    expect(res.status).toBe(429);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('echoes no origin on a 429 that the key does not allow it for', async () => {
    const { app } = await limited(1);
    for (let i = 0; i < 2; i++) await post(app).send(batch());
    for (const origin of ['https://evil.example', OTHER_SHOP, 'null']) {
      const res = await post(app).set('Origin', origin).send(batch());
      expect(res.status).toBe(429);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('limits a write key across all IPs, each key on its own', async () => {
    const { app } = await limited({ perIp: 0, perWriteKey: 1 });
    expect((await post(app, '192.0.2.1').send(batch())).status).toBe(200);
    expect((await post(app, '192.0.2.2').send(batch())).status).toBe(200);
    const res = await post(app, '192.0.2.3').send(batch());
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    const other = await request(app).post('/v1/batch').set('X-Forwarded-For', '192.0.2.4').set('X-Spur-Write-Key', OTHER_KEY).send({ batch: [track()] });
    expect(other.status).toBe(200);
    // X-Spur-Write-Key counts against the same key as Basic auth.
    const header = await request(app).post('/v1/batch').set('X-Forwarded-For', '192.0.2.5').set('X-Spur-Write-Key', WRITE_KEY).send({ batch: [track()] });
    expect(header.status).toBe(429);
  });

  it('counts a write key sent only in the body per IP alone, and gives unknown keys no bucket', async () => {
    const { app } = await limited({ perIp: 0, perWriteKey: 1 });
    for (let i = 0; i < 4; i++) {
      const res = await request(app).post('/v1/batch').set('X-Forwarded-For', `192.0.2.${i}`).send({ writeKey: WRITE_KEY, batch: [track()] });
      expect(res.status).toBe(200);
    }
    for (let i = 0; i < 4; i++) {
      const res = await request(app).post('/v1/batch').set('X-Spur-Write-Key', 'made-up').send({ batch: [track()] });
      expect(res.status).toBe(401);
    }
  });

  it('by default lets 100 requests from one IP through at once (50/s, burst 2 s), then 429', async () => {
    const { app } = await fx.collector(); // the fixture's clock stands still
    for (let i = 0; i < 100; i++) expect((await request(app).post('/v1/batch').send('{')).status).toBe(400);
    expect((await request(app).post('/v1/batch').send('{')).status).toBe(429);
  });

  it('is off with rateLimit 0', async () => {
    const { app } = await fx.collector({ rateLimit: 0 });
    for (let i = 0; i < 150; i++) expect((await request(app).post('/v1/batch').send('{')).status).toBe(400);
  });
});
