import express from 'express';
import request from 'supertest';
import { createCollector } from '../src';
import { sameSite } from '../src/first-party-cookie';
import { ADMIN_TOKEN, NOW, SHOP, WRITE_KEY, WRITE_KEYS, track, useFixtures } from './helpers';

const fx = useFixtures();
const AID = '0b7c6a54-3f1e-4d2a-9c8b-5e6f7a8b9c0d';

/** The Set-Cookie header for spur_aid, as attribute list, or undefined. */
function visitorCookie(res: request.Response): string[] | undefined {
  const all = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = all.find((c) => c.startsWith('spur_aid='));
  return line?.split(/;\s*/);
}

function ingest(app: express.Express, path = '/v1/batch') {
  return request(app)
    .post(path)
    .set('Authorization', `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`)
    .set('Content-Type', 'text/plain');
}
const body = () => JSON.stringify({ batch: [track()] });

describe('first-party spur_aid re-issue', () => {
  it('re-issues the cookie on a same-origin request: 400 days, Path=/, SameSite=Lax, readable by the SDK', async () => {
    const { app } = await fx.collector();
    const res = await ingest(app).set('Cookie', `spur_aid=${AID}`).set('Sec-Fetch-Site', 'same-origin').send(body());
    expect(res.status).toBe(200);
    const cookie = visitorCookie(res)!;
    expect(cookie[0]).toBe(`spur_aid=${AID}`);
    expect(cookie).toEqual(expect.arrayContaining(['Max-Age=34560000', 'Path=/', 'SameSite=Lax']));
    expect(cookie).not.toContain('HttpOnly');
    expect(cookie).not.toContain('Secure'); // plain http
    expect(cookie.some((a) => a.startsWith('Domain='))).toBe(false);
  });

  it.each([
    ['same-site', true],
    ['cross-site', false],
    ['none', false],
  ])('Sec-Fetch-Site: %s decides (re-issued: %s), whatever Origin says', async (site, reissued) => {
    const { app } = await fx.collector();
    const res = await ingest(app)
      .set('Host', 'shop.example')
      .set('Origin', SHOP)
      .set('Cookie', `spur_aid=${AID}`)
      .set('Sec-Fetch-Site', site)
      .send(body());
    expect(res.status).toBe(200);
    expect(Boolean(visitorCookie(res))).toBe(reissued);
  });

  describe('without Sec-Fetch-Site (older browsers)', () => {
    it.each([
      ['Origin of the same host', true, { Host: 'shop.example', Origin: 'https://shop.example' }],
      ['Origin of another subdomain of the site', true, { Host: 'collector.shop.example', Origin: 'https://www.shop.example' }],
      ['Referer of the same site', true, { Host: 'collector.shop.example', Referer: 'https://shop.example/cart' }],
      ['Origin of another site', false, { Host: 'collector.shop.example', Origin: 'https://other.example' }],
      ['Origin of another site ending alike', false, { Host: 'shop.example', Origin: 'https://evilshop.example' }],
      ['an opaque Origin', false, { Host: 'shop.example', Origin: 'null' }],
      ['no Origin nor Referer (a server-side client)', false, { Host: 'shop.example' }],
      ['the same IP, another port', true, { Host: '127.0.0.1:8080', Origin: 'http://127.0.0.1:3000' }],
      ['another IP', false, { Host: '127.0.0.1:8080', Origin: 'http://127.0.0.2:3000' }],
      ['localhost from another name', false, { Host: 'localhost:8080', Origin: 'http://shop.localhost:3000' }],
    ])('%s: re-issued %s', async (_what, reissued, headers) => {
      const { app } = await fx.collector({ writeKeys: { [WRITE_KEY]: [] } });
      const req = ingest(app).set('Cookie', `spur_aid=${AID}`);
      for (const [name, value] of Object.entries(headers)) req.set(name, value);
      const res = await req.send(body());
      expect(Boolean(visitorCookie(res))).toBe(reissued);
    });
  });

  it.each([
    ['not a UUID', 'abc'],
    ['markup', '<script>alert(1)</script>'],
    ['a UUID with more after it', `${AID}; Domain=evil.example`],
  ])('never reflects a spur_aid that is %s', async (_what, value) => {
    const { app } = await fx.collector();
    const res = await ingest(app).set('Cookie', `spur_aid=${encodeURIComponent(value)}`).set('Sec-Fetch-Site', 'same-origin').send(body());
    expect(res.status).toBe(200);
    expect(visitorCookie(res)).toBeUndefined();
  });

  it('sets nothing without a spur_aid cookie', async () => {
    const { app } = await fx.collector();
    const res = await ingest(app).set('Cookie', 'other=1').set('Sec-Fetch-Site', 'same-origin').send(body());
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    ['consent denied', 'spur_consent=denied', {}, undefined, false],
    ['GPC without a grant on the site', '', {}, '1', false],
    ['GPC with a grant on the site', 'spur_consent=granted', {}, '1', true],
    ['GPC when the collector ignores it', '', { gpc: 'ignore' as const }, '1', true],
    ['Sec-GPC: 0', '', {}, '0', true],
  ])('%s: re-issued %s', async (_case, consent, config, gpc, reissued) => {
    const { app } = await fx.collector(config);
    const req = ingest(app).set('Cookie', [`spur_aid=${AID}`, consent].filter(Boolean).join('; ')).set('Sec-Fetch-Site', 'same-origin');
    if (gpc !== undefined) req.set('Sec-GPC', gpc);
    const res = await req.send(body());
    expect(res.status).toBe(200);
    expect(Boolean(visitorCookie(res))).toBe(reissued);
  });

  it('is only on ingest requests, never on the cacheable /spur.js or other routes', async () => {
    const { app } = await fx.collector();
    for (const path of ['/spur.js', '/readyz', '/healthz', '/v1/profiles/x']) {
      const res = await request(app)
        .get(path)
        .set('Cookie', `spur_aid=${AID}`)
        .set('Sec-Fetch-Site', 'same-origin')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect([path, res.headers['set-cookie']]).toEqual([path, undefined]);
    }
    const single = await ingest(app, '/v1/track').set('Cookie', `spur_aid=${AID}`).set('Sec-Fetch-Site', 'same-origin').send(JSON.stringify(track()));
    expect(visitorCookie(single)).toBeDefined();
  });

  it('adds Domain when a cookie domain is configured', async () => {
    const { app } = await fx.collector({ cookieDomain: 'shop.example' });
    const res = await ingest(app).set('Cookie', `spur_aid=${AID}`).set('Sec-Fetch-Site', 'same-origin').send(body());
    expect(visitorCookie(res)).toContain('Domain=shop.example');
  });

  describe('behind a reverse proxy', () => {
    const proxied = (app: express.Express) =>
      ingest(app)
        .set('Cookie', `spur_aid=${AID}`)
        .set('Host', '127.0.0.1:8080')
        .set('X-Forwarded-Host', 'www.shop.example')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-For', '203.0.113.9')
        .set('Origin', 'https://www.shop.example');

    it('with trust proxy set: Secure from X-Forwarded-Proto, same site by X-Forwarded-Host, client IP from X-Forwarded-For', async () => {
      const { app, storage } = await fx.collector({ trustProxy: 'loopback', ip: 'keep', writeKeys: { [WRITE_KEY]: ['https://www.shop.example'] } });
      const res = await proxied(app).send(body());
      expect(res.status).toBe(200);
      expect(visitorCookie(res)).toEqual(expect.arrayContaining(['Secure', 'Path=/', 'SameSite=Lax']));
      const [event] = (await storage.getProfileEvents('anon-1')) ?? [];
      expect(event.context?.ip).toBe('203.0.113.9');
    });

    it('by default (trust proxy off): X-Forwarded-* are ignored', async () => {
      const { app, storage } = await fx.collector({ ip: 'keep', writeKeys: { [WRITE_KEY]: ['https://www.shop.example'] } });
      const res = await proxied(app).send(body());
      expect(res.status).toBe(200);
      expect(visitorCookie(res)).toBeUndefined(); // 127.0.0.1 is not the site of www.shop.example
      const [event] = (await storage.getProfileEvents('anon-1')) ?? [];
      expect(event.context?.ip).not.toBe('203.0.113.9');
    });
  });

  describe("mounted in the shop's own Express app", () => {
    async function shopApp(configure: (shop: express.Express) => void = () => {}) {
      const { storage } = await fx.collector();
      const shop = express();
      configure(shop);
      shop.get('/', (_req, res) => {
        res.send('<script async src="/spur/spur.js" data-write-key="wk_shop"></script>');
      });
      shop.use('/spur', createCollector({ storage, writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW }));
      return { shop, storage };
    }

    it('ingests at /spur/v1/batch and re-issues the cookie for the whole site (Path=/)', async () => {
      const { shop, storage } = await shopApp();
      const res = await request(shop)
        .post('/spur/v1/batch')
        .set('Host', 'shop.example')
        .set('Origin', SHOP)
        .set('Sec-Fetch-Site', 'same-origin')
        .set('Cookie', `spur_aid=${AID}`)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ writeKey: WRITE_KEY, batch: [track({ anonymousId: AID })] }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: 1 });
      expect(visitorCookie(res)).toEqual(expect.arrayContaining([`spur_aid=${AID}`, 'Path=/', 'SameSite=Lax']));
      expect(await storage.getProfile(AID)).toMatchObject({ eventCount: 1 });
      expect((await request(shop).get('/spur/readyz')).body).toMatchObject({ ok: true });
      expect((await request(shop).get('/')).status).toBe(200); // the shop's own routes are untouched
    });

    it("inherits the shop's trust proxy setting when given none", async () => {
      const { shop } = await shopApp((s) => s.set('trust proxy', 'loopback'));
      const res = await request(shop)
        .post('/spur/v1/batch')
        .set('X-Forwarded-Proto', 'https')
        .set('Sec-Fetch-Site', 'same-origin')
        .set('Cookie', `spur_aid=${AID}`)
        .send({ writeKey: WRITE_KEY, batch: [track()] });
      expect(res.status).toBe(200);
      expect(visitorCookie(res)).toContain('Secure');
    });
  });
});

describe('sameSite (host names)', () => {
  it.each([
    ['shop.example', 'shop.example', true],
    ['www.shop.example', 'collector.shop.example', true],
    ['SHOP.example.', 'shop.example', true],
    ['shop.example', 'other.example', false],
    ['localhost', 'localhost', true],
    ['localhost', 'shop.localhost', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['[::1]', '::1', true],
    ['10.0.0.1', '10.0.0.2', false],
    // The documented limit of the last-two-labels rule: public suffixes of two labels.
    ['shop.co.uk', 'other.co.uk', true],
  ])('%s ~ %s: %s', (a, b, expected) => {
    expect(sameSite(a, b)).toBe(expected);
  });
});
