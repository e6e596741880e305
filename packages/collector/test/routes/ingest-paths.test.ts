// Every ingest path of the table in routes/ingest-paths.ts (Segment's, its short ones,
// RudderStack's beacon, Jitsu's) stores what it is sent and gets exactly the limits the others
// get: rate limit, body cap, fast path, cookie re-issue. And the write-key sources and parsing
// rules those clients rely on, end to end.
import request from 'supertest';
import type { Express } from 'express';
import { INGEST_PATHS, INGEST_ROUTES } from '../../src/routes/ingest-paths';
import { NOW, SHOP, WRITE_KEY, basic, track, useFixtures } from '../helpers';

const fx = useFixtures();
const AID = '0b7c6a54-3f1e-4d2a-9c8b-5e6f7a8b9c0d';

/** A valid event of `type`. */
function eventOf(type: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = track(overrides);
  if (type === 'track') return base;
  const { event: _event, ...rest } = base;
  const extra: Record<string, unknown> = { group: { groupId: 'g-1' }, alias: { userId: 'cus-1', previousId: 'old-1' } }[type] ?? {};
  return { ...rest, type, ...extra, ...overrides };
}

/** A body for `path`: a batch of one track event, or the single event the path implies. */
function bodyFor(path: string, overrides: Record<string, unknown> = {}): string {
  const kind = INGEST_ROUTES.get(path)!;
  return JSON.stringify(kind === 'batch' ? { batch: [eventOf('track', overrides)] } : eventOf(kind, overrides));
}

const post = (app: Express, path: string) => request(app).post(path).set('Content-Type', 'text/plain').set('Authorization', basic(WRITE_KEY));

describe('every ingest path', () => {
  it('lists Segment, short, beacon and Jitsu paths once each', () => {
    expect(new Set(INGEST_PATHS).size).toBe(INGEST_PATHS.length);
    expect(INGEST_PATHS).toEqual(
      expect.arrayContaining(['/v1/batch', '/v1/group', '/v1/screen', '/v1/b', '/v1/t', '/v1/p', '/v1/i', '/v1/a', '/v1/g', '/v1/s', '/beacon/v1/batch']),
    );
    for (const type of ['track', 'page', 'identify', 'group', 'alias', 'screen']) {
      expect(INGEST_ROUTES.get(`/api/s/${type}`)).toBe(type);
      expect(INGEST_ROUTES.get(`/api/s/s2s/${type}`)).toBe(type);
    }
  });

  it.each(INGEST_PATHS)('%s stores its event with the type the path names', async (path) => {
    const { app, storage } = await fx.collector();
    const res = await post(app, path).send(bodyFor(path, { messageId: `m${path}` }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [] });
    const [stored] = (await storage.eventsAfter(null, 10)).rows;
    const kind = INGEST_ROUTES.get(path);
    expect(stored.type).toBe(kind === 'batch' ? 'track' : kind);
  });

  it.each(INGEST_PATHS)('%s is rate limited like /v1/batch', async (path) => {
    const { app } = await fx.collector({ rateLimit: 1, trustProxy: true });
    const send = () => post(app, path).set('X-Forwarded-For', '203.0.113.9').send(bodyFor(path));
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it.each(INGEST_PATHS)('%s refuses a body over 500 KiB with 413', async (path) => {
    const { app } = await fx.collector();
    const res = await post(app, path).send(bodyFor(path, { properties: { pad: 'x'.repeat(520 * 1024) } }));
    expect(res.status).toBe(413);
  });

  it.each(INGEST_PATHS)('%s answers on the fast path exactly as the full stack does', async (path) => {
    const { app } = await fx.collector();
    const answer = (res: request.Response) => ({ status: res.status, body: res.body, type: res.headers['content-type'] });
    // Rejected either way, so that the second answer is not a duplicate's.
    const body = bodyFor(path, { properties: 'not an object' });
    const fast = answer(await post(app, path).send(body));
    // A cookie other than spur_aid sends the request down the full stack.
    const full = answer(await post(app, path).set('Cookie', 'theme=dark').send(body));
    expect(fast).toEqual(full);
  });

  it.each(INGEST_PATHS)('%s re-issues the first-party visitor cookie', async (path) => {
    const { app } = await fx.collector();
    const res = await post(app, path).set('Cookie', `spur_aid=${AID}`).set('Sec-Fetch-Site', 'same-origin').send(bodyFor(path));
    expect(res.status).toBe(200);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => c.startsWith(`spur_aid=${AID};`))).toBe(true);
  });
});

describe('write keys from other clients', () => {
  it("takes the key from X-Write-Key up to its ':' (Jitsu's key:secret), over a masked key in the body", async () => {
    const { app, storage } = await fx.collector();
    const event = { ...eventOf('track', { anonymousId: 'jitsu' }), writeKey: `${WRITE_KEY}:***` };
    const res = await request(app).post('/api/s/track').set('X-Write-Key', `${WRITE_KEY}:secret`).send(event);
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
    expect(await storage.getProfile('jitsu')).toMatchObject({ eventCount: 1 });
    const plain = await request(app).post('/api/s/s2s/page').set('X-Write-Key', WRITE_KEY).send(eventOf('page'));
    expect(plain.body).toMatchObject({ ok: true, accepted: 1 });
  });

  it('takes the key from the query string (RudderStack beacons)', async () => {
    const { app } = await fx.collector();
    const res = await request(app)
      .post(`/beacon/v1/batch?writeKey=${WRITE_KEY}`)
      .set('Origin', SHOP)
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send(JSON.stringify({ batch: [eventOf('page')], sentAt: new Date(NOW).toISOString() }));
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('refuses an unknown key from X-Write-Key or the query, and an origin the key does not allow', async () => {
    const { app } = await fx.collector();
    expect((await request(app).post('/api/s/track').set('X-Write-Key', 'nope:secret').send(eventOf('track'))).status).toBe(401);
    expect((await request(app).post('/beacon/v1/batch?writeKey=nope').send({ batch: [eventOf('page')] })).status).toBe(401);
    const elsewhere = await request(app).post(`/beacon/v1/batch?writeKey=${WRITE_KEY}`).set('Origin', 'https://evil.example').send({ batch: [eventOf('page')] });
    expect(elsewhere.status).toBe(403);
  });
});

describe('what other clients send', () => {
  it('keeps an event of a type spur does not store among the rejected events, and says so', async () => {
    const { app, storage } = await fx.collector();
    const res = await post(app, '/v1/batch').send(JSON.stringify({ batch: [track({ messageId: 'ok' }), { ...track({ messageId: 'odd' }), type: 'experiment' }] }));
    expect(res.body).toEqual({
      ok: true,
      accepted: 1,
      duplicates: 0,
      rejected: [{ index: 1, messageId: 'odd', reason: 'unknown event type "experiment": type must be one of track, page, identify, alias, group, screen' }],
    });
    const [row] = await storage.listRejected();
    expect(row).toMatchObject({ messageId: 'odd', reason: expect.stringContaining('"experiment"') });
  });

  it('stores originalTimestamp as the client time and corrects it by sentAt like timestamp', async () => {
    const { app, storage } = await fx.collector(); // the collector's clock: NOW
    // The client's clock runs 10 minutes behind: it sent at NOW - 10 min what happened a minute earlier.
    const sentAt = new Date(NOW - 10 * 60_000).toISOString();
    const happened = new Date(NOW - 11 * 60_000).toISOString();
    const res = await post(app, '/v1/batch').send(JSON.stringify({ sentAt, batch: [{ ...eventOf('page', { messageId: 'o1' }), timestamp: undefined, originalTimestamp: happened }] }));
    expect(res.body.accepted).toBe(1);
    const [stored] = (await storage.eventsAfter(null, 10)).rows;
    expect(stored.originalTimestamp).toBe(happened);
    expect(stored.timestamp).toBe(new Date(NOW - 60_000).toISOString());
  });

  it("ignores headers it does not read (X-Retry-Count, RudderStack's AnonymousId, SentAt, RSA-Retry-*)", async () => {
    const { app } = await fx.collector();
    const res = await post(app, '/v1/t')
      .set({ 'X-Retry-Count': '2', AnonymousId: 'YWJj', SentAt: 'garbage', 'RSA-Retry-Attempt': '1', 'RSA-Retry-Reason': 'client-network' })
      .send(bodyFor('/v1/t'));
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
  });
});
