// A collector with analytics off (SPUR_ANALYTICS=off) only ingests: it never reads stored events
// for an engine (no catch-up, no abandonment job), still stores what it is sent, and answers the
// routes that need the engine with 503 analytics_off naming the setting, at once.
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { startJobs } from '../../src/jobs';
import { silentLogger } from '../../src/log';
import { openSqliteStorage } from '../../src';
import { ADMIN_TOKEN, SERVER_KEY, basic, bearer, track, useFixtures } from '../helpers';

const fx = useFixtures();
const admin = bearer(ADMIN_TOKEN);

/** A real SQLite store whose catch-up reads (factsAfter, eventsAfter) are counted. */
async function countedStorage() {
  const backend = await openSqliteStorage(fx.dbFile());
  fx.cleanup(() => backend.close());
  const facts = jest.spyOn(backend, 'factsAfter');
  const events = jest.spyOn(backend, 'eventsAfter');
  return { backend, reads: { calls: () => facts.mock.calls.length + events.mock.calls.length } };
}

describe('analytics off', () => {
  it('is read from SPUR_ANALYTICS / --analytics, on by default', () => {
    expect(loadConfig({}).analytics).toBe('on');
    expect(loadConfig({ SPUR_ANALYTICS: 'off' }).analytics).toBe('off');
    expect(loadConfig({ SPUR_ANALYTICS: 'off' }, { analytics: 'on' }).analytics).toBe('on');
    expect(() => loadConfig({ SPUR_ANALYTICS: 'no' })).toThrow('SPUR_ANALYTICS / --analytics');
  });

  it('starts no analytics cache and no abandonment job', async () => {
    const { backend, reads } = await countedStorage();
    const jobs = startJobs(backend as never, { analytics: 'off' }, silentLogger);
    await new Promise((r) => setTimeout(r, 30));
    expect(jobs.analytics).toBeUndefined();
    expect(jobs.abandonment).toBeUndefined();
    await jobs.stop();
    expect(reads.calls()).toBe(0);
    // The same jobs with analytics on read the stored events at once.
    const on = startJobs(backend as never, {}, silentLogger);
    await on.analytics!.refresh();
    await on.stop();
    expect(reads.calls()).toBeGreaterThan(0);
  });

  it('ingests, answers analytics routes with 503 analytics_off, and never reads events for an engine', async () => {
    const { backend, reads } = await countedStorage();
    const { app, storage } = await fx.collector({ storage: backend, analytics: 'off' });
    const events = [track({ event: 'Product Added', properties: { product_id: 'p1', price: 5, quantity: 1 } }), track()];
    await request(app).post('/v1/batch').set('Authorization', basic(SERVER_KEY)).send({ batch: events }).expect(200);
    expect(await storage.countEvents({})).toBe(2);

    for (const path of ['/v1/exports/funnel?steps=page:/,Product%20Added', '/v1/exports/abandoned-carts', '/v1/exports/products', '/v1/exports/profiles', '/v1/privacy/subjects/anon-1', '/v1/insights/purchase-model?calibrationEnd=2024-04-30']) {
      const res = await request(app).get(path).set('Authorization', admin).expect(503);
      expect(res.body.error.code).toBe('analytics_off');
      expect(res.body.error.message).toContain('SPUR_ANALYTICS=off');
      expect(res.headers['retry-after']).toBeUndefined();
    }
    // What needs no engine works: the events export, an erasure.
    const exported = await request(app).get('/v1/exports/events').set('Authorization', admin).expect(200);
    expect(exported.text.trim().split('\n')).toHaveLength(2);

    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body).toEqual({ ok: true, analytics: 'off' });
    const readyAnalytics = await request(app).get('/readyz/analytics').expect(503);
    expect(readyAnalytics.body.error.reason).toBe('analytics_off');

    const metrics = await request(app).get('/metrics').set('Authorization', admin).expect(200);
    expect(metrics.text).toMatch(/^spur_analytics_enabled 0$/m);
    expect(metrics.text).not.toContain('spur_analytics_lag_events');

    await request(app).delete('/v1/privacy/subjects/anon-1').set('Authorization', admin).expect(200);
    expect(await storage.countEvents({})).toBe(0);
    expect(reads.calls()).toBe(0);
  });
});
