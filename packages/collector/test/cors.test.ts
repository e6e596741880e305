import type { Express } from 'express';
import request from 'supertest';
import { OTHER_KEY, OTHER_SHOP, SERVER_KEY, SHOP, WRITE_KEY, basic, track, useFixtures } from './helpers';

const fx = useFixtures();

describe('CORS on ingest routes', () => {
  it('echoes an allowed origin with credentials and Vary: Origin', async () => {
    const { app } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Origin', SHOP)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ batch: [track()], writeKey: WRITE_KEY }));
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('answers 403 to an origin not allowed for the key, readable by that page only, storing nothing', async () => {
    const { app, storage } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Origin', 'https://evil.example')
      .send({ batch: [track()], writeKey: WRITE_KEY });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'forbidden', message: `this origin is not allowed for the write key (SPUR_WRITE_KEYS needs ${WRITE_KEY}=https://evil.example)` },
    });
    // The refused page can read why (the SDK stops and says what to fix); no other origin is named.
    expect(res.headers['access-control-allow-origin']).toBe('https://evil.example');
    expect(await storage.getProfile('anon-1')).toBeNull();
  });

  it('lets a refused page read a 401 for an unknown or missing write key', async () => {
    const { app } = await fx.collector();
    const unknown = await request(app).post('/v1/batch').set('Origin', 'https://evil.example').send({ batch: [track()], writeKey: 'typo' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers['access-control-allow-origin']).toBe('https://evil.example');
    const missing = await request(app).post('/v1/batch').set('Origin', SHOP).send({ batch: [track()] });
    expect(missing.status).toBe(401);
    expect(missing.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('refuses an origin allowed only for another key, naming no origin but its own', async () => {
    const { app, storage } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Origin', OTHER_SHOP).send({ batch: [track({ anonymousId: 'other-shop' })], writeKey: WRITE_KEY });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBe(OTHER_SHOP);
    expect(await storage.getProfile('other-shop')).toBeNull();
  });

  it('refuses every browser origin for a key without origins', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Origin', SHOP).send({ batch: [track()], writeKey: SERVER_KEY });
    expect(res.status).toBe(403);
  });

  it('lets an allowed page read a 400 raised before the key is known', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Origin', SHOP).set('Content-Type', 'text/plain').send('{oops');
    expect(res.status).toBe(400);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('answers an allowed preflight with 204 and the allowed methods and headers', async () => {
    const { app } = await fx.collector();
    const res = await request(app)
      .options('/v1/batch')
      .set('Origin', OTHER_SHOP)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, x-spur-write-key');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(OTHER_SHOP);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    // The headers the browser asked for, as asked.
    expect(res.headers['access-control-allow-headers']).toBe('content-type, x-spur-write-key');
    expect(res.headers['access-control-max-age']).toBe('86400');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers.vary).toMatch(/Access-Control-Request-Headers/);
  });

  it("allows whatever headers other clients' preflights ask for", async () => {
    const { app } = await fx.collector();
    // RudderStack's browser SDK, Segment's retries, Jitsu.
    for (const asked of ['anonymousid, content-type, rsa-retry-attempt, rsa-retry-reason, sentat', 'authorization, content-type, x-retry-count', 'content-type, x-write-key']) {
      const res = await request(app).options('/v1/track').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', asked);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBe(asked);
    }
  });

  it('answers a preflight without requested headers, or with something that is no header list, with the headers spur reads', async () => {
    const { app } = await fx.collector();
    for (const asked of [undefined, 'content-type, x-a/b', 'content-type;x', '"quoted"', 'a'.repeat(3000)]) {
      const req = request(app).options('/v1/batch').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST');
      const res = await (asked === undefined ? req : req.set('Access-Control-Request-Headers', asked));
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBe('Content-Type, Authorization, X-Spur-Write-Key, X-Write-Key, Content-Encoding');
    }
  });

  it('gives an origin that is not allowed nothing, whatever headers its preflight asks for', async () => {
    const { app } = await fx.collector();
    const res = await request(app)
      .options('/api/s/track')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, x-write-key');
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each(['/v1/track', '/v1/page', '/v1/identify', '/v1/alias', '/v1/group', '/v1/screen', '/v1/t', '/v1/b', '/beacon/v1/batch', '/api/s/page', '/api/s/s2s/group'])('answers preflights on %s too', async (path) => {
    const { app } = await fx.collector();
    const res = await request(app).options(path).set('Origin', SHOP).set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
  });

  it('refuses a preflight from an unknown origin with 403 and no Access-Control-Allow-Origin', async () => {
    const { app } = await fx.collector();
    const res = await request(app).options('/v1/batch').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never reflects the literal origin "null"', async () => {
    const { app } = await fx.collector();
    const res = await request(app).options('/v1/batch').set('Origin', 'null');
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('origins that only look allowed', () => {
  // The allowed origin is https://shop.example. Browsers send an origin serialized (lower-case
  // host, no default port, no path), so an exact comparison refuses nothing a real page sends.
  const lookalikes = [
    'null', // sandboxed iframes, file: pages, some redirects: anyone can make a browser send it
    'https://SHOP.example',
    'https://shop.example:443',
    'https://shop.example:8443',
    'http://shop.example',
    'https://shop.example/',
    'https://shop.example.evil', // suffix attack
    'https://evilshop.example',
    'https://sub.shop.example',
    'https://shop.example@evil.example',
    'https://shop.example, https://evil.example',
    '*',
  ];

  it.each(lookalikes)('refuses POST from %j with 403, never naming the configured origin, storing nothing', async (origin) => {
    const { app, storage } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Origin', origin)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ batch: [track({ anonymousId: 'lookalike' })], writeKey: WRITE_KEY }));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    // An origin as browsers send it may read its own refusal; anything else gets no CORS headers.
    const wellFormed = URL.canParse(origin) && new URL(origin).origin === origin;
    expect(res.headers['access-control-allow-origin']).toBe(wellFormed ? origin : undefined);
    expect(res.headers['access-control-allow-origin']).not.toBe(SHOP);
    expect(await storage.getProfile('lookalike')).toBeNull();
  });

  it.each(lookalikes)('refuses a preflight from %j with 403, without Access-Control-Allow-Origin', async (origin) => {
    const { app } = await fx.collector();
    const res = await request(app)
      .options('/v1/batch')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });
});

describe('the allowed origin', () => {
  // Every answer an ingest route gives, with the key in each place it may travel.
  const answers: [string, (app: Express) => request.Test][] = [
    ['200', (app) => request(app).post('/v1/batch').set('Origin', SHOP).send({ batch: [track()], writeKey: WRITE_KEY })],
    ['200, key as Basic user', (app) => request(app).post('/v1/track').set('Origin', SHOP).set('Authorization', basic(WRITE_KEY)).send(track())],
    ['400', (app) => request(app).post('/v1/batch').set('Origin', SHOP).set('Content-Type', 'text/plain').send('{')],
    ['401', (app) => request(app).post('/v1/batch').set('Origin', SHOP).send({ batch: [track()], writeKey: 'unknown' })],
    ['405', (app) => request(app).get('/v1/batch').set('Origin', SHOP)],
    ['204 preflight', (app) => request(app).options('/v1/batch').set('Origin', SHOP).set('Access-Control-Request-Method', 'POST')],
  ];

  it.each(answers)('is echoed exactly, never as *, on a %s', async (_what, send) => {
    const { app } = await fx.collector();
    const res = await send(app);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('is refused for a key it is not allowed for, whichever way the key travels (the page reads its own refusal)', async () => {
    const { app } = await fx.collector();
    const sends = [
      request(app).post('/v1/batch').set('Origin', SHOP).send({ batch: [track()], writeKey: OTHER_KEY }),
      request(app).post('/v1/batch').set('Origin', SHOP).set('Authorization', basic(OTHER_KEY)).send({ batch: [track()] }),
      request(app).post('/v1/batch').set('Origin', SHOP).set('X-Spur-Write-Key', OTHER_KEY).send({ batch: [track()] }),
      request(app).post('/v1/batch').set('Origin', SHOP).set('Content-Type', 'text/plain').set('Cookie', 'spur_aid=x').send(JSON.stringify({ batch: [track()], writeKey: OTHER_KEY })),
    ];
    for (const res of await Promise.all(sends)) {
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(`this origin is not allowed for the write key (SPUR_WRITE_KEYS needs ${OTHER_KEY}=${SHOP})`);
      expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    }
  });

  it('needs no Origin from a server-side client, and then gets no CORS headers', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Authorization', basic(SERVER_KEY)).send({ batch: [track()] });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('configured origins', () => {
  it.each(['*', 'null', 'shop.example', 'https://shop.example/path', 'ftp://shop.example', 'https://user@shop.example'])(
    'refuses %j at start, naming the key',
    async (origin) => {
      await expect(fx.collector({ writeKeys: { k: [origin] } })).rejects.toThrow(/Invalid origin .* for write key "k"/);
    },
  );

  it('are compared as browsers send them: lower-case host, no default port, no trailing slash', async () => {
    const { app } = await fx.collector({ writeKeys: { k: ['HTTPS://Shop.Example:443/'] } });
    const res = await request(app).post('/v1/batch').set('Origin', SHOP).send({ batch: [track()], writeKey: 'k' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
  });
});
