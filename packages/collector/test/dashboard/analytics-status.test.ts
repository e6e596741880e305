// GET /dashboard/analytics: how far the analytics cache is, for a view whose figures wait for it
// (the dashboard says "catching up" rather than staying blank). Signed in only; 200 either way.
import request from 'supertest';
import { useFixtures } from '../helpers';
import { addPeople, fakeBuild, signInAs } from './fixture';

jest.setTimeout(60_000);

const fx = useFixtures();

describe('GET /dashboard/analytics', () => {
  it('answers the cache’s progress to a signed-in browser, then ready once it is caught up', async () => {
    const { app, storage } = await fx.collector({ dashboardPath: fakeBuild(fx.tempDir()), now: Date.now });
    await addPeople(storage.accounts);
    await request(app).get('/dashboard/analytics').expect(401);
    const { cookie } = await signInAs(app, 'vic');
    const first = await request(app).get('/dashboard/analytics').set('Cookie', cookie).expect(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body.analytics).toEqual({ ready: expect.any(Boolean), progress: expect.any(Number) });
    // The readiness route says the same, with a 503 while not ready.
    for (;;) {
      const res = await request(app).get('/dashboard/analytics').set('Cookie', cookie).expect(200);
      if (res.body.analytics.ready) {
        expect(res.body.analytics).toEqual({ ready: true, progress: 1 });
        break;
      }
      expect((await request(app).get('/readyz/analytics')).status).toBe(503);
      await new Promise((r) => setTimeout(r, 50));
    }
    await request(app).get('/readyz/analytics').expect(200);
  });

  it('answers "off" on a collector that only ingests', async () => {
    const { app, storage } = await fx.collector({ dashboardPath: fakeBuild(fx.tempDir()), now: Date.now, analytics: 'off' });
    await addPeople(storage.accounts);
    const { cookie } = await signInAs(app, 'ada');
    expect((await request(app).get('/dashboard/analytics').set('Cookie', cookie).expect(200)).body).toEqual({ analytics: 'off' });
  });
});
