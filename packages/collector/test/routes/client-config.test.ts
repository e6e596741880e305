// What client libraries fetch before sending (routes/client-config.ts): Segment's settings and
// RudderStack's source configuration, for the collector's own write keys.
import express from 'express';
import request from 'supertest';
import { createCollector } from '../../src';
import { ADMIN_TOKEN, NOW, SHOP, WRITE_KEY, WRITE_KEYS, basic, useFixtures } from '../helpers';

const fx = useFixtures();

describe('GET /v1/projects/:writeKey/settings (Segment)', () => {
  it('names the collector as the only destination and API host, and sends no telemetry', async () => {
    const { app } = await fx.collector();
    const res = await request(app).get(`/v1/projects/${WRITE_KEY}/settings`).set('Host', 'collector.example:8080').set('Origin', SHOP);
    expect(res.status).toBe(200);
    expect(res.body.integrations).toEqual({
      'Segment.io': expect.objectContaining({ apiKey: WRITE_KEY, apiHost: 'collector.example:8080/v1', protocol: 'http' }),
    });
    expect(res.body.metrics).toEqual({ sampleRate: 0 });
    expect(res.body.remotePlugins).toEqual([]);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it("names https and the mount path when mounted in a shop's app behind a trusted proxy", async () => {
    const { storage } = await fx.collector();
    const shop = express();
    shop.set('trust proxy', 'loopback');
    shop.use('/spur', createCollector({ storage, writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW }));
    const res = await request(shop).get(`/spur/v1/projects/${WRITE_KEY}/settings`).set('Host', 'shop.example').set('X-Forwarded-Proto', 'https');
    expect(res.body.integrations['Segment.io']).toMatchObject({ apiHost: 'shop.example/spur/v1', protocol: 'https' });
  });

  it('answers 404 for an unknown key and 403 without CORS headers for an origin the key does not allow', async () => {
    const { app } = await fx.collector();
    const unknown = await request(app).get('/v1/projects/nope/settings');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const elsewhere = await request(app).get(`/v1/projects/${WRITE_KEY}/settings`).set('Origin', 'https://evil.example');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('GET /sourceConfig (RudderStack)', () => {
  it('answers one enabled source without destinations for the key in the query or the Basic user', async () => {
    const { app } = await fx.collector();
    const byQuery = await request(app).get(`/sourceConfig/?p=npm&v=3.34.1&writeKey=${WRITE_KEY}&lockIntegrationsVersion=false`).set('Origin', SHOP);
    expect(byQuery.status).toBe(200);
    expect(byQuery.body.source).toMatchObject({ writeKey: WRITE_KEY, enabled: true, destinations: [] });
    expect(byQuery.body.source.config.statsCollection).toEqual({ errors: { enabled: false }, metrics: { enabled: false } });
    expect(byQuery.headers['access-control-allow-origin']).toBe(SHOP);
    const byAuth = await request(app).get('/sourceConfig').set('Authorization', basic(WRITE_KEY));
    expect(byAuth.body.source.writeKey).toBe(WRITE_KEY);
  });

  it('answers the preflight of an allowed origin with the headers asked for, and nothing to others', async () => {
    const { app } = await fx.collector();
    const ok = await request(app)
      .options('/sourceConfig/')
      .set('Origin', SHOP)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(SHOP);
    expect(ok.headers['access-control-allow-headers']).toBe('authorization');
    expect(ok.headers['access-control-allow-methods']).toBe('GET');
    const evil = await request(app).options('/sourceConfig/').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'GET');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('answers 404 for an unknown or missing key', async () => {
    const { app } = await fx.collector();
    expect((await request(app).get('/sourceConfig/?writeKey=nope')).status).toBe(404);
    expect((await request(app).get('/sourceConfig/')).status).toBe(404);
  });
});
