import request from 'supertest';
import { OTHER_SHOP, SERVER_KEY, SHOP, WRITE_KEY, track, useFixtures } from './helpers';

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

  it('answers 403 without Access-Control-Allow-Origin for an origin not allowed for the key', async () => {
    const { app, storage } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Origin', 'https://evil.example')
      .send({ batch: [track()], writeKey: WRITE_KEY });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(await storage.getProfile('anon-1')).toBeNull();
  });

  it("refuses an origin allowed only for another key, without echoing it", async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Origin', OTHER_SHOP).send({ batch: [track()], writeKey: WRITE_KEY });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
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
    expect(res.headers['access-control-allow-headers']).toBe('Content-Type, Authorization, X-Spur-Write-Key, Content-Encoding');
    expect(res.headers['access-control-max-age']).toBe('86400');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it.each(['/v1/track', '/v1/page', '/v1/identify', '/v1/alias'])('answers preflights on %s too', async (path) => {
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
