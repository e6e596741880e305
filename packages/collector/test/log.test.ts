// The collector's logs (log.ts, request-id.ts, errors.ts, startup-warnings.ts) as a real pino
// logger writes them: JSON lines with level names, request ids that match the answer header,
// server-side failures with or without their stack, nothing per request at info level.
import request from 'supertest';
import { createStore, openSqliteStorage } from '../src';
import { SAFE_REQUEST_ID } from '../src/request-id';
import { ADMIN_TOKEN, SERVER_KEY, WRITE_KEY, basic, bearer, track, useFixtures } from './helpers';
import { captureLogs } from './log-capture';

const fx = useFixtures();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('makes one per request and sends it back, on the ingest fast path and on every other route', async () => {
    const { app } = await fx.collector();
    const ingest = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).set('Content-Type', 'text/plain').send(JSON.stringify({ batch: [track()] }));
    expect(ingest.status).toBe(200);
    const health = await request(app).get('/healthz');
    const missing = await request(app).get('/v2/nothing');
    const ids = [ingest, health, missing].map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(3);
  });

  it('keeps a sane incoming X-Request-Id and replaces one that is too long or carries other characters', async () => {
    const { app } = await fx.collector();
    const kept = 'lb-7f3a.2026:abc_DEF';
    expect((await request(app).get('/healthz').set('X-Request-Id', kept)).headers['x-request-id']).toBe(kept);
    for (const bad of ['x'.repeat(65), 'has space', 'quote"', '<script>', 'ünïcode']) {
      expect(SAFE_REQUEST_ID.test(bad)).toBe(false);
      const id = (await request(app).get('/healthz').set('X-Request-Id', bad)).headers['x-request-id'];
      expect(id).toMatch(UUID);
    }
  });
});

describe('server-side failures', () => {
  it('logs an unexpected error (500) at error level with request id, method, path, code and stack', async () => {
    const logs = captureLogs();
    const { storage: real } = await fx.collector();
    const broken = { ...real, getProfile: async () => Promise.reject(new TypeError('secret internals')) };
    const { app } = await fx.collector({ storage: broken, logger: logs.logger });
    const res = await request(app).get('/v1/profiles/A?x=1').set('Authorization', bearer(ADMIN_TOKEN)).set('X-Request-Id', 'req-500');
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toBe('req-500');
    expect(JSON.stringify(res.body)).not.toContain('secret');
    const [line] = logs.lines().filter((l) => l.level === 'error');
    expect(line).toMatchObject({ msg: 'internal error', requestId: 'req-500', method: 'GET', path: '/v1/profiles/A', code: 'internal' });
    expect(line.error).toMatchObject({ type: 'TypeError', message: 'secret internals', stack: expect.stringContaining('TypeError: secret internals') });
    expect(typeof line.time).toBe('string');
    expect(typeof line.pid).toBe('number');
  });

  it('logs storage becoming unavailable once, with its reason and no stack; later failures only at debug level', async () => {
    const file = fx.dbFile();
    await (createStore(await openSqliteStorage(file))).close();
    // Opened read-only, the database answers reads and refuses every append: a real 503.
    for (const [level, expectStack] of [
      ['info', false],
      ['debug', true],
    ] as const) {
      const logs = captureLogs(level);
      const storage = createStore(await openSqliteStorage(file, { readonly: true }));
      fx.cleanup(() => storage.close());
      const { app } = await fx.collector({ storage, logger: logs.logger });
      const send = (id: string) =>
        request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).set('X-Request-Id', id).send({ batch: [track()] });
      expect((await send('first')).status).toBe(503);
      expect((await send('second')).status).toBe(503);
      const failures = logs.lines().filter((l) => /storage/.test(l.msg));
      const first = failures[0];
      expect(first).toMatchObject({ level: 'error', msg: 'storage unavailable', requestId: 'first', method: 'POST', path: '/v1/batch', code: 'storage_unavailable', reason: 'read_only' });
      expect((first.error as { stack?: string }).stack !== undefined).toBe(expectStack);
      if (level === 'info') expect(failures).toHaveLength(1);
      else expect(failures.slice(1)).toEqual([expect.objectContaining({ level: 'debug', msg: 'storage still unavailable', requestId: 'second' })]);
    }
  });
});

describe('per-request lines', () => {
  it('writes none at info level, however many requests are answered', async () => {
    const logs = captureLogs('info');
    const { app } = await fx.collector({ logger: logs.logger, writeKeys: { [WRITE_KEY]: ['https://shop.example'] }, adminToken: 'a'.repeat(32) });
    for (let i = 0; i < 20; i++) {
      await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track()] }).expect(200);
    }
    await request(app).get('/healthz').expect(200);
    await request(app).get('/v2/nothing').expect(404);
    // The one line there may be is the analytics cache's, once after start: not per request.
    expect(logs.lines().filter((l) => l.msg !== 'analytics ready')).toEqual([]);
  });

  it('writes one per request at debug level: method, path, status, time and request id', async () => {
    const logs = captureLogs('debug');
    const { app } = await fx.collector({ logger: logs.logger });
    const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track()] }).expect(200);
    await request(app).get('/v2/nothing?secret=1').set('X-Request-Id', 'r-404').expect(404);
    const lines = logs.lines().filter((l) => l.msg === 'request');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', requestId: res.headers['x-request-id'], method: 'POST', path: '/v1/batch', status: 200, ms: expect.any(Number) }),
      expect.objectContaining({ level: 'debug', requestId: 'r-404', method: 'GET', path: '/v2/nothing', status: 404 }),
    ]);
    expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: 'request refused', requestId: 'r-404', status: 404, code: 'not_found' }));
  });
});

describe('start-up warnings', () => {
  it('warns about a write key without origins, a short admin token, and says nothing of a sound configuration', async () => {
    const logs = captureLogs();
    await fx.collector({ logger: logs.logger, writeKeys: { [WRITE_KEY]: ['https://shop.example'], [SERVER_KEY]: [] }, adminToken: 'short-token' });
    expect(logs.lines().map((l) => [l.level, l.msg])).toEqual([
      ['warn', expect.stringMatching(new RegExp(`^write key "${SERVER_KEY}" lists no origins .*browsers sending with it will all get 403; only servers`))],
      ['warn', expect.stringMatching(/^the admin token .* is 11 characters long: use at least 24 random characters/)],
    ]);
    expect(logs.lines()[0].writeKey).toBe(SERVER_KEY);
    expect(logs.raw.join('')).not.toContain('short-token');

    const none = captureLogs();
    await fx.collector({ logger: none.logger, writeKeys: {}, adminToken: undefined });
    expect(none.lines().map((l) => l.msg)).toEqual([expect.stringContaining('no write keys configured'), expect.stringContaining('no admin token')]);

    const sound = captureLogs();
    await fx.collector({ logger: sound.logger, writeKeys: { [WRITE_KEY]: ['https://shop.example'] }, adminToken: 'x'.repeat(24) });
    expect(sound.raw).toEqual([]);
  });
});
