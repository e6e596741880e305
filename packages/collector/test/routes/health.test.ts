import request from 'supertest';
import { createCollector, createStore, openSqliteStorage, storageWhenOpen, type Storage, type Store } from '../../src';
import { storedEvent } from '../storage/contract';
import { NOW, WRITE_KEY, WRITE_KEYS, basic, track, useFixtures } from '../helpers';

const fx = useFixtures();

describe('health', () => {
  it('GET /healthz answers 200 without touching storage', async () => {
    const untouchable = new Proxy({} as Storage, {
      get: () => {
        throw new Error('healthz must not use storage');
      },
    });
    const app = createCollector({ storage: untouchable, writeKeys: WRITE_KEYS });
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it('GET /readyz answers 200 while storage answers, with how far the analytics cache is', async () => {
    const { app } = await fx.collector();
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, analytics: { ready: expect.any(Boolean), progress: expect.any(Number) } });
  });

  it('GET /readyz answers 503 JSON once storage is closed', async () => {
    const { app, storage } = await fx.collector();
    await storage.close();
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ error: { code: 'not_ready', reason: 'closed', message: 'storage cannot take writes: storage is closed' } });
  });

  it('GET /readyz commits a write, so a database that answers reads but cannot write is not ready', async () => {
    const file = fx.dbFile();
    (await openSqliteStorage(file)).close();
    const storage = await openSqliteStorage(file, { readonly: true });
    fx.cleanup(() => storage.close());
    const { app } = await fx.collector({ storage });
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'not_ready', reason: 'read_only' });
  });

  it('GET /readyz does not describe failures that are not storage failures', async () => {
    const { storage } = await fx.collector();
    const broken: Store = { ...storage, ping: () => Promise.reject(new TypeError('secret internals')) };
    const { app } = await fx.collector({ storage: broken });
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'not_ready', reason: 'unavailable', message: 'storage is not answering' } });
  });

  describe('after a start', () => {
    const until = async (condition: () => Promise<boolean>) => {
      while (!(await condition())) await new Promise((r) => setTimeout(r, 5));
    };

    it('while the analytics cache catches up: /readyz 200 with its progress, ingest stored at once, /readyz/analytics 503 until it is ready', async () => {
      const real = await fx.storage();
      for (let i = 0; i < 2; i++) {
        const events = Array.from({ length: 5000 }, () => storedEvent('2024-05-01T11:00:00.000Z', { type: 'page', anonymousId: 'A' }));
        await real.append({ writeKey: WRITE_KEY, events, rejected: [] });
      }
      // The catch-up's second page of 5,000 waits until released.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let reads = 0;
      const storage: Store = { ...real, factsAfter: async (cursor, limit, prefix) => (reads++ === 1 && (await gate), real.factsAfter(cursor, limit, prefix)) };
      const { app } = await fx.collector({ storage });
      await until(async () => reads === 2);

      const ready = await request(app).get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ ok: true, analytics: { ready: false, progress: 0.5 } });
      const analytics = await request(app).get('/readyz/analytics');
      expect(analytics.status).toBe(503);
      expect(analytics.headers['retry-after']).toBe('5');
      expect(analytics.body).toEqual({
        error: {
          code: 'not_ready',
          reason: 'analytics_catching_up',
          message: 'the analytics cache is catching up with the stored events (50%); exports wait for it',
          analytics: { ready: false, progress: 0.5 },
        },
      });
      // Ingest does not wait for the analytics.
      const stored = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track({ anonymousId: 'B' })] });
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({ accepted: 1 });

      release();
      await until(async () => (await request(app).get('/readyz/analytics')).status === 200);
      expect((await request(app).get('/readyz/analytics')).body).toEqual({ ok: true, analytics: { ready: true, progress: 1 } });
      expect((await request(app).get('/readyz')).body).toEqual({ ok: true, analytics: { ready: true, progress: 1 } });
    });

    it('while the database is still opening: /healthz 200, /readyz 503 starting, and ingest waits for the open, then is stored', async () => {
      const file = fx.dbFile();
      let open!: (storage: Promise<Storage>) => void;
      const opening = new Promise<Storage>((r) => (open = r));
      const storage = storageWhenOpen(opening);
      fx.cleanup(() => storage.close());
      const app = createCollector({ storage, writeKeys: WRITE_KEYS, now: () => NOW });

      expect((await request(app).get('/healthz')).status).toBe(200);
      for (const path of ['/readyz', '/readyz/analytics']) {
        const res = await request(app).get(path);
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ error: { code: 'not_ready', reason: 'starting', message: 'storage cannot take writes: the database is still opening' } });
      }
      let answered = false;
      const posted = request(app)
        .post('/v1/batch')
        .set('Authorization', basic(WRITE_KEY))
        .send({ batch: [track({ messageId: 'while-opening' })] })
        .then((res) => ((answered = true), res));
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBe(false);

      open(openSqliteStorage(file));
      const res = await posted;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: 1 });
      expect((await request(app).get('/readyz')).status).toBe(200);
      expect(await createStore(storage).getProfile('anon-1')).toMatchObject({ eventCount: 1 });
    });
  });
});
