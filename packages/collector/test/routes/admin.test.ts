// The admin API, and identity stitching as a product team sees it through that API.
import request from 'supertest';
import type { Express } from 'express';
import { EXPORT_KINDS } from '../../src/exports';
import { ADMIN_TOKEN, NOW, SERVER_KEY, WRITE_KEY, basic, bearer, track, useFixtures } from '../helpers';

const fx = useFixtures();
const at = (day: number, hour = 0) => `2024-04-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

async function send(app: Express, ...batch: Record<string, unknown>[]) {
  const res = await request(app).post('/v1/batch').send({ writeKey: WRITE_KEY, batch });
  expect(res.body).toMatchObject({ ok: true, rejected: [] });
}
const admin = (app: Express, path: string) => request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));
const profile = async (app: Express, id: string) => (await admin(app, `/v1/profiles/${encodeURIComponent(id)}`).expect(200)).body;
const eventIds = async (app: Express, id: string) =>
  ((await admin(app, `/v1/profiles/${encodeURIComponent(id)}/events`).expect(200)).body.events as { messageId: string }[]).map(
    (e) => e.messageId,
  );
const view = (anonymousId: string, day: number, messageId: string) =>
  track({ anonymousId, timestamp: at(day), messageId });
const identify = (anonymousId: string, userId: string, day: number, messageId: string, traits = {}) =>
  ({ type: 'identify', anonymousId, userId, timestamp: at(day), messageId, traits });

describe('GET /v1/profiles/:id', () => {
  it('returns the profile of an anonymous visitor', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a1'), view('A', 2, 'a2'));
    expect(await profile(app, 'A')).toEqual({
      id: 'A',
      customerId: null,
      anonymousIds: ['A'],
      traits: {},
      firstSeen: at(1),
      lastSeen: at(2),
      eventCount: 2,
    });
  });

  it('answers 404 JSON for an id never seen', async () => {
    const { app } = await fx.collector();
    const res = await admin(app, '/v1/profiles/nobody');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no profile with this id' } });
    expect((await admin(app, '/v1/profiles/nobody/events')).status).toBe(404);
  });

  it('merges traits from identify events in time order', async () => {
    const { app } = await fx.collector();
    // Sent out of order: the later identify must still win.
    await send(app, identify('A', 'U', 5, 'i2', { email: 'new@example.com' }));
    await send(app, identify('A', 'U', 1, 'i1', { email: 'old@example.com', name: 'Ada' }));
    expect((await profile(app, 'U')).traits).toEqual({ email: 'new@example.com', name: 'Ada' });
  });
});

describe('identity stitching', () => {
  it('rule 1: identify claims the whole history of the anonymous id, and later visits without identify', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'before'));
    await send(app, identify('A', 'U', 2, 'identify'));
    await send(app, view('A', 9, 'next-visit')); // days later, anonymous again (no userId sent)
    expect(await eventIds(app, 'U')).toEqual(['before', 'identify', 'next-visit']);
    expect(await profile(app, 'U')).toMatchObject({ id: 'U', customerId: 'U', anonymousIds: ['A'], eventCount: 3 });
    expect((await profile(app, 'A')).id).toBe('U');
  });

  it('rule 2: a second device that identifies joins the profile, with its later anonymous visits', async () => {
    const { app } = await fx.collector();
    await send(app, view('laptop', 1, 'l1'), identify('laptop', 'U', 2, 'l-id'));
    await send(app, view('phone', 3, 'p1'), identify('phone', 'U', 4, 'p-id'));
    await send(app, view('phone', 10, 'p-later'));
    expect(await eventIds(app, 'U')).toEqual(['l1', 'l-id', 'p1', 'p-id', 'p-later']);
    expect((await profile(app, 'phone')).anonymousIds).toEqual(['laptop', 'phone']);
  });

  it('rule 3: two customers are never merged, even when they share a device', async () => {
    const { app } = await fx.collector();
    await send(app, identify('A', 'U1', 1, 'u1'), identify('B', 'U2', 1, 'u2'), identify('A', 'U2', 3, 'u2-on-a'));
    const [one, two] = [await profile(app, 'U1'), await profile(app, 'U2')];
    expect(one).toMatchObject({ id: 'U1', eventCount: 1 });
    expect(two).toMatchObject({ id: 'U2', eventCount: 2 });
    expect(await eventIds(app, 'U1')).toEqual(['u1']);
  });

  it('rule 4: on a shared computer, anonymous events go to the second customer from their identify on', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'early'), identify('A', 'U1', 2, 'id-u1'), view('A', 3, 'u1-browsing'));
    await send(app, identify('A', 'U2', 5, 'id-u2'), view('A', 6, 'u2-browsing'));
    expect(await eventIds(app, 'U1')).toEqual(['early', 'id-u1', 'u1-browsing']);
    expect(await eventIds(app, 'U2')).toEqual(['id-u2', 'u2-browsing']);
    expect((await profile(app, 'A')).id).toBe('U2'); // the anonymous id now names its current owner
  });

  it('alias merges a previous customer id, with its events and devices, into the new id', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a1'), identify('A', 'guest-42', 2, 'guest'));
    await send(app, identify('B', 'U', 3, 'real'));
    await send(app, { type: 'alias', previousId: 'guest-42', userId: 'U', timestamp: at(4), messageId: 'alias' });
    expect(await eventIds(app, 'guest-42')).toEqual(['a1', 'guest', 'real', 'alias']);
    expect(await profile(app, 'U')).toMatchObject({ id: 'U', anonymousIds: ['A', 'B'], eventCount: 4 });
  });

  it('alias of an anonymous id attaches it to the customer', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a1'));
    await request(app)
      .post('/v1/alias')
      .set('Authorization', basic(WRITE_KEY))
      .send({ previousId: 'A', userId: 'U', timestamp: at(2), messageId: 'alias' })
      .expect(200);
    expect(await profile(app, 'A')).toMatchObject({ id: 'U', anonymousIds: ['A'], eventCount: 2 });
  });
});

describe('GET /v1/profiles/:id/events', () => {
  it('returns events as stored, in time order, limited by ?limit', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 3, 'third'), view('A', 1, 'first'), view('A', 2, 'second'));
    expect(await eventIds(app, 'A')).toEqual(['first', 'second', 'third']);
    const res = await admin(app, '/v1/profiles/A/events?limit=2').expect(200);
    expect(res.body.events.map((e: { messageId: string }) => e.messageId)).toEqual(['first', 'second']);
    expect(Object.keys(res.body.events[0]).sort()).toEqual(
      ['anonymousId', 'context', 'event', 'messageId', 'originalTimestamp', 'properties', 'receivedAt', 'timestamp', 'type'].sort(),
    );
  });

  it('answers 400 for a limit that is not a positive integer', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a'));
    expect((await admin(app, '/v1/profiles/A/events?limit=0')).status).toBe(400);
    expect((await admin(app, '/v1/profiles/A/events?limit=ten')).body.error.code).toBe('bad_request');
  });
});

describe('admin authorization', () => {
  it('answers 401 without a token', async () => {
    const { app } = await fx.collector();
    const res = await request(app).get('/v1/profiles/A');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers 401 to a write key, as Basic user or as Bearer', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a'));
    expect((await request(app).get('/v1/profiles/A').set('Authorization', basic(WRITE_KEY))).status).toBe(401);
    expect((await request(app).get('/v1/profiles/A').set('Authorization', bearer(WRITE_KEY))).status).toBe(401);
    expect((await request(app).get('/v1/profiles/A').set('X-Spur-Write-Key', WRITE_KEY)).status).toBe(401);
  });

  it('answers 401 to a wrong token of the same length', async () => {
    const { app } = await fx.collector();
    const wrong = ADMIN_TOKEN.replace(/.$/, '!');
    expect((await request(app).get('/v1/profiles/A').set('Authorization', bearer(wrong))).status).toBe(401);
  });

  it('answers 401 to everyone when no admin token is configured', async () => {
    const { app } = await fx.collector({ adminToken: undefined });
    const res = await request(app).get('/v1/profiles/A').set('Authorization', bearer(''));
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/no admin token is configured/);
  });
});

describe('the admin token check', () => {
  const as = (app: Express, authorization: string) => request(app).get('/v1/profiles/A').set('Authorization', authorization);

  it.each([
    ['a shorter token', bearer(ADMIN_TOKEN.slice(0, -1))],
    ['a longer token', bearer(`${ADMIN_TOKEN}x`)],
    ['a prefix of the token', bearer(ADMIN_TOKEN.slice(0, 5))],
    ['the token in another case', bearer(ADMIN_TOKEN.toUpperCase())],
    ['an empty token', 'Bearer '],
    ['the scheme alone', 'Bearer'],
    ['the token without a scheme', ADMIN_TOKEN],
    ['the token followed by more', `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
    ['the token as Basic user', basic(ADMIN_TOKEN)],
    ['the token as Basic password', `Basic ${Buffer.from(`:${ADMIN_TOKEN}`).toString('base64')}`],
  ])('refuses %s', async (_what, authorization) => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a'));
    const res = await as(app, authorization);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'admin token required' } });
  });

  it('takes the scheme in any case, as HTTP auth schemes are (RFC 7235)', async () => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a'));
    expect((await as(app, `bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await as(app, `BEARER ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await as(app, 'bearer wrong')).status).toBe(401);
  });

  it.each(['token', 'access_token', 'adminToken', 'admin_token'])('never takes the token from ?%s=', async (param) => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a'));
    const res = await request(app).get(`/v1/profiles/A?${param}=${ADMIN_TOKEN}`);
    expect(res.status).toBe(401);
  });
});

describe('a write key never reads', () => {
  // Every read (and the erasure) of the admin API, including the privacy routes, which answer 401
  // here whether or not their router is mounted yet.
  const paths: ['GET' | 'DELETE', string][] = [
    ['GET', '/v1/profiles/A'],
    ['GET', '/v1/profiles/A/events'],
    ...EXPORT_KINDS.map((kind): ['GET', string] => ['GET', `/v1/exports/${kind}`]),
    ['GET', '/v1/privacy/subjects/U'],
    ['DELETE', '/v1/privacy/subjects/U'],
  ];

  it.each(paths)('%s %s answers 401 to every way of sending a write key', async (method, path) => {
    const { app } = await fx.collector();
    await send(app, view('A', 1, 'a'), identify('A', 'U', 1, 'i'));
    for (const key of [WRITE_KEY, SERVER_KEY]) {
      const call = () => (method === 'GET' ? request(app).get(path) : request(app).delete(path));
      const tries = [
        call().set('Authorization', basic(key)),
        call().set('X-Spur-Write-Key', key),
        (method === 'GET' ? request(app).get(`${path}?writeKey=${key}`) : request(app).delete(`${path}?writeKey=${key}`)),
        call().set('Authorization', bearer(key)),
      ];
      for (const res of await Promise.all(tries)) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    }
  });
});

describe('failed admin logins', () => {
  // trustProxy so that X-Forwarded-For plays several clients.
  async function collectorWithClock() {
    let t = NOW;
    const { app } = await fx.collector({ trustProxy: true, now: () => t });
    await send(app, view('A', 1, 'a'));
    const from = (ip: string, token: string) =>
      request(app).get('/v1/profiles/A').set('X-Forwarded-For', ip).set('Authorization', bearer(token));
    return { from, advance: (ms: number) => void (t += ms) };
  }

  it('are limited to 10 per IP: then even the right token gets 429 with Retry-After', async () => {
    const { from } = await collectorWithClock();
    for (let i = 0; i < 10; i++) expect((await from('192.0.2.1', `guess-${i}`)).status).toBe(401);
    const blocked = await from('192.0.2.1', ADMIN_TOKEN);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(blocked.headers['retry-after']).toBe('6');
    expect((await from('192.0.2.1', 'guess-11')).status).toBe(429);
    // Another address is not affected.
    expect((await from('192.0.2.2', ADMIN_TOKEN)).status).toBe(200);
  });

  it('allow one more attempt every 6 seconds after the first 10', async () => {
    const { from, advance } = await collectorWithClock();
    for (let i = 0; i < 10; i++) await from('192.0.2.1', `guess-${i}`);
    advance(6000);
    expect((await from('192.0.2.1', 'guess-again')).status).toBe(401);
    expect((await from('192.0.2.1', ADMIN_TOKEN)).status).toBe(429);
    advance(6000);
    expect((await from('192.0.2.1', ADMIN_TOKEN)).status).toBe(200);
  });

  it('do not count successful requests', async () => {
    const { from } = await collectorWithClock();
    for (let i = 0; i < 30; i++) expect((await from('192.0.2.1', ADMIN_TOKEN)).status).toBe(200);
    expect((await from('192.0.2.1', 'wrong')).status).toBe(401);
  });

  it('are counted across the profile, export and privacy routes together', async () => {
    const { app } = await fx.collector({ trustProxy: true });
    const paths = ['/v1/profiles/A', '/v1/exports/products', '/v1/privacy/subjects/U'];
    for (let i = 0; i < 10; i++) {
      expect((await request(app).get(paths[i % 3]).set('Authorization', bearer('guess'))).status).toBe(401);
    }
    for (const path of paths) expect((await request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN))).status).toBe(429);
  });
});
