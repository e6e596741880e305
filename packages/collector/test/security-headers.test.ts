// Security headers (helmet) on the admin, export and privacy routes, and not on ingest or /spur.js,
// which are cross-origin by design.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ADMIN_TOKEN, SHOP, WRITE_KEY, bearer, track, useFixtures } from './helpers';

const fx = useFixtures();

function expectAdminHeaders(headers: Record<string, string>): void {
  expect(headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/);
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['x-powered-by']).toBeUndefined();
}

describe('security headers', () => {
  it.each([
    ['a profile', '/v1/profiles/anon-1', 200],
    ['a profile timeline', '/v1/profiles/anon-1/events', 200],
    ['an export', '/v1/exports/products?format=json', 200],
    ['an unknown id', '/v1/profiles/nobody', 404],
    // The privacy router is mounted by another part; its prefix is covered from the start.
    ['a privacy request', '/v1/privacy/subjects/nobody', undefined],
  ])('are sent with %s', async (_what, path, status) => {
    const { app } = await fx.collector();
    await request(app).post('/v1/batch').send({ writeKey: WRITE_KEY, batch: [track()] }).expect(200);
    const res = await request(app).get(path).set('Authorization', bearer(ADMIN_TOKEN));
    if (status !== undefined) expect(res.status).toBe(status);
    expectAdminHeaders(res.headers);
  });

  it('are sent with a refused admin request too', async () => {
    const { app } = await fx.collector();
    for (const path of ['/v1/profiles/x', '/v1/exports/carts', '/v1/privacy/subjects/x']) {
      const res = await request(app).get(path);
      expect(res.status).toBe(401);
      expectAdminHeaders(res.headers);
    }
  });

  it('are not sent on ingest, which must stay readable cross-origin', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Origin', SHOP).send({ writeKey: WRITE_KEY, batch: [track()] });
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['cross-origin-resource-policy']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('are not sent on /spur.js, which any shop page loads', async () => {
    const file = join(fx.tempDir(), 'spur.js');
    writeFileSync(file, 'window.spur=function(){};');
    const { app } = await fx.collector({ sdkPath: file });
    const res = await request(app).get('/spur.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    // Public, so '*' - and never together with credentials.
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});
