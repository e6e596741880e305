import request from 'supertest';
import { createCollector, openSqliteStorage, type Storage } from '../../src';
import { WRITE_KEYS, useFixtures } from '../helpers';

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

  it('GET /readyz answers 200 while storage answers', async () => {
    const { app } = await fx.collector();
    expect((await request(app).get('/readyz')).body).toEqual({ ok: true });
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
    const broken: Storage = { ...storage, ping: () => Promise.reject(new TypeError('secret internals')) };
    const { app } = await fx.collector({ storage: broken });
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'not_ready', reason: 'unavailable', message: 'storage is not answering' } });
  });
});
