import { gzipSync, deflateSync } from 'node:zlib';
import request from 'supertest';
import type { Store } from '../../src';
import { ADMIN_TOKEN, NOW, SERVER_KEY, WRITE_KEY, basic, bearer, track, useFixtures } from '../helpers';

const fx = useFixtures();
const RECEIVED = new Date(NOW).toISOString();

async function eventsOf(storage: Store, id: string) {
  return (await storage.getProfileEvents(id)) ?? [];
}

describe('POST /v1/batch', () => {
  it('stores a batch and answers with counts only after commit', async () => {
    const { app, storage } = await fx.collector();
    const batch = [track(), track({ type: 'page', name: 'Home', event: undefined })];
    const res = await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, accepted: 2, duplicates: 0, rejected: [] });
    expect(await eventsOf(storage, 'anon-1')).toHaveLength(2);
  });

  it('answers a resent batch as duplicates and stores it once', async () => {
    const { app, storage } = await fx.collector();
    const body = { batch: [track(), track()], writeKey: WRITE_KEY };
    await request(app).post('/v1/batch').send(body).expect(200);
    const again = await request(app).post('/v1/batch').send(body).expect(200);
    expect(again.body).toEqual({ ok: true, accepted: 0, duplicates: 2, rejected: [] });
    expect(await eventsOf(storage, 'anon-1')).toHaveLength(2);
  });

  it('counts a messageId repeated within one batch as a duplicate', async () => {
    const { app, storage } = await fx.collector();
    const e = track();
    const res = await request(app).post('/v1/batch').send({ batch: [e, e], writeKey: WRITE_KEY }).expect(200);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await eventsOf(storage, 'anon-1')).toHaveLength(1);
  });

  it('stores an event sent by many concurrent identical requests once', async () => {
    const { app, storage } = await fx.collector();
    const body = { batch: [track()], writeKey: WRITE_KEY };
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(app).post('/v1/batch').send(body)));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(answers.reduce((n, r) => n + r.body.accepted, 0)).toBe(1);
    expect(answers.reduce((n, r) => n + r.body.duplicates, 0)).toBe(7);
    expect(await eventsOf(storage, 'anon-1')).toHaveLength(1);
  });

  it('lands every event of many concurrent requests', async () => {
    const { app, storage } = await fx.collector();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(app).post('/v1/batch').send({ batch: [track(), track()], writeKey: WRITE_KEY })),
    );
    expect(answers.every((r) => r.status === 200 && r.body.accepted === 2)).toBe(true);
    expect(await eventsOf(storage, 'anon-1')).toHaveLength(40);
  });

  it('stores the valid events of a batch, lists the invalid one and keeps it with its reason', async () => {
    const { app, storage } = await fx.collector();
    const bad = { type: 'track', anonymousId: 'anon-1', messageId: 'bad-1' };
    const res = await request(app)
      .post('/v1/batch')
      .send({ batch: [track(), bad, track()], writeKey: WRITE_KEY })
      .expect(200);
    expect(res.body).toEqual({
      ok: true,
      accepted: 2,
      duplicates: 0,
      rejected: [{ index: 1, messageId: 'bad-1', reason: 'event is required' }],
    });
    expect(await eventsOf(storage, 'anon-1')).toHaveLength(2);
    expect(await storage.listRejected()).toEqual([
      { raw: JSON.stringify(bad), reason: 'event is required', messageId: 'bad-1', writeKey: WRITE_KEY, receivedAt: RECEIVED },
    ]);
  });

  it('rejects an event over 32 KB on its own', async () => {
    const { app, storage } = await fx.collector();
    // Several strings: each one stays under MAX_STRING_LENGTH, together they are over 32 KB.
    const blob = 'x'.repeat(7 * 1024);
    const big = track({ messageId: 'big', properties: { a: blob, b: blob, c: blob, d: blob, e: blob } });
    const res = await request(app).post('/v1/batch').send({ batch: [big, track()], writeKey: WRITE_KEY }).expect(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([{ index: 0, messageId: 'big', reason: 'event is larger than 32768 bytes' }]);
    expect((await storage.listRejected())[0].raw).toBe(JSON.stringify(big));
  });

  it('stores an event without messageId under a generated one', async () => {
    const { app, storage } = await fx.collector();
    await request(app).post('/v1/batch').send({ batch: [track({ messageId: undefined })], writeKey: WRITE_KEY }).expect(200);
    const [stored] = await eventsOf(storage, 'anon-1');
    expect(stored.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('single-event routes', () => {
  it.each([
    ['/v1/track', { event: 'Order Completed', anonymousId: 'anon-1' }, 'track'],
    ['/v1/page', { name: 'Home', anonymousId: 'anon-1' }, 'page'],
    ['/v1/identify', { userId: 'cust-1', anonymousId: 'anon-1', traits: { plan: 'gold' } }, 'identify'],
    ['/v1/alias', { previousId: 'anon-1', userId: 'cust-1' }, 'alias'],
  ])('%s stores one event of the type its path names', async (path, body, type) => {
    const { app, storage } = await fx.collector();
    const res = await request(app).post(path).set('Authorization', basic(WRITE_KEY)).send({ ...body, messageId: 'one' });
    expect(res.body).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: [] });
    const [stored] = (await storage.getProfileEvents('anon-1')) ?? (await storage.getProfileEvents('cust-1')) ?? [];
    expect(stored).toMatchObject({ messageId: 'one', type });
  });

  it('answers an invalid single event in `rejected`, like a batch of one', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/track').send({ anonymousId: 'a', writeKey: WRITE_KEY }).expect(200);
    expect(res.body).toEqual({ ok: true, accepted: 0, duplicates: 0, rejected: [{ index: 0, reason: 'event is required' }] });
  });
});

describe('request bodies and write keys', () => {
  const body = () => JSON.stringify({ batch: [track()] });

  it('accepts text/plain JSON, as the SDK sends to avoid a preflight', async () => {
    const { app } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .set('X-Spur-Write-Key', WRITE_KEY)
      .send(body());
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
  });

  it('reads a body that starts with a UTF-8 byte order mark', async () => {
    const { app } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Content-Type', 'text/plain')
      .set('X-Spur-Write-Key', WRITE_KEY)
      .send(`\uFEFF${body()}`); // sent as UTF-8: EF BB BF first
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])('inflates a %s body', async (encoding, compress) => {
    const { app } = await fx.collector();
    const res = await request(app)
      .post('/v1/batch')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .set('Authorization', basic(WRITE_KEY))
      .serialize((raw: Buffer) => raw as unknown as string) // superagent would JSON-encode a Buffer under a JSON type
      .send(compress(Buffer.from(body())));
    expect(res.body).toMatchObject({ ok: true, accepted: 1 });
  });

  it.each([
    ['HTTP Basic user', (r: request.Test) => r.set('Authorization', basic(WRITE_KEY)), {}],
    ['X-Spur-Write-Key header', (r: request.Test) => r.set('X-Spur-Write-Key', WRITE_KEY), {}],
    ['writeKey in the body', (r: request.Test) => r, { writeKey: WRITE_KEY }],
  ])('takes the write key from the %s', async (_where, withKey, extra) => {
    const { app } = await fx.collector();
    const res = await withKey(request(app).post('/v1/batch')).send({ batch: [track()], ...extra });
    expect(res.status).toBe(200);
  });
});

describe('whole-request errors', () => {
  const expectError = (res: request.Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  };
  const post = (app: Parameters<typeof request>[0]) =>
    request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).set('Content-Type', 'text/plain');

  it.each([
    ['not JSON', '{"batch": [', 'invalid_json'],
    ['not an object', '[1, 2]', 'invalid_body'],
    ['a batch that is not an array', '{"batch": {}}', 'invalid_body'],
    ['an empty batch', '{"batch": []}', 'invalid_body'],
    ['an empty body', '', 'invalid_body'],
    ['a bad sentAt', '{"batch": [{}], "sentAt": "later"}', 'invalid_body'],
  ])('400 for %s', async (_what, text, code) => {
    const { app } = await fx.collector();
    expectError(await post(app).send(text), 400, code);
  });

  it('400 for a corrupt gzip body', async () => {
    const { app } = await fx.collector();
    expectError(await post(app).set('Content-Encoding', 'gzip').send(Buffer.from('not gzip at all')), 400, 'bad_request');
  });

  it('401 without a write key', async () => {
    const { app } = await fx.collector();
    expectError(await request(app).post('/v1/batch').send({ batch: [track()] }), 401, 'unauthorized');
  });

  it('401 for an unknown write key, also one named like an object property', async () => {
    const { app } = await fx.collector();
    expectError(await request(app).post('/v1/batch').send({ batch: [track()], writeKey: 'nope' }), 401, 'unauthorized');
    expectError(await request(app).post('/v1/batch').send({ batch: [track()], writeKey: 'constructor' }), 401, 'unauthorized');
  });

  it("names in a 401's message, for a page, the SPUR_WRITE_KEYS entry its origin needs (the SDK prints it as it is)", async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Origin', 'https://shop.example').send({ batch: [track()], writeKey: 'typo' });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('unknown write key (SPUR_WRITE_KEYS needs typo=https://shop.example)');
    // A server sends no Origin: there is no page to name.
    const server = await request(app).post('/v1/batch').send({ batch: [track()], writeKey: 'typo' });
    expect(server.body.error.message).toBe('unknown write key');
  });

  it('401 for the admin token used as a write key', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/batch').set('Authorization', bearer(ADMIN_TOKEN)).send({ batch: [track()] });
    expectError(res, 401, 'unauthorized');
  });

  it('413 for a body over 500 KB, before anything is stored', async () => {
    const { app, storage } = await fx.collector();
    const batch = Array.from({ length: 20 }, () => track({ properties: { blob: 'x'.repeat(30 * 1024) } }));
    expectError(await post(app).send(JSON.stringify({ batch })), 413, 'payload_too_large');
    expect(await storage.getProfile('anon-1')).toBeNull();
  });

  it('413 for a gzip body that inflates past 500 KB', async () => {
    const { app } = await fx.collector();
    const batch = Array.from({ length: 20 }, () => track({ properties: { blob: 'x'.repeat(30 * 1024) } }));
    const small = gzipSync(Buffer.from(JSON.stringify({ batch })));
    expect(small.length).toBeLessThan(50 * 1024);
    expectError(await post(app).set('Content-Encoding', 'gzip').send(small), 413, 'payload_too_large');
  });

  it('503 with Retry-After when storage is closed, never 2xx', async () => {
    const { app, storage } = await fx.collector();
    await storage.close();
    const res = await request(app).post('/v1/batch').send({ batch: [track()], writeKey: WRITE_KEY });
    expectError(res, 503, 'storage_unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('503 with Retry-After when the database is locked by another writer', async () => {
    const file = fx.dbFile();
    const { createStore, openSqliteStorage } = await import('../../src');
    const storage = createStore(await openSqliteStorage(file, { busyTimeoutMs: 20 }));
    fx.cleanup(() => storage.close());
    const { app } = await fx.collector({ storage });
    const Database = (await import('better-sqlite3')).default;
    const locker = new Database(file);
    fx.cleanup(() => locker.close());
    locker.exec('BEGIN IMMEDIATE');
    const res = await request(app).post('/v1/batch').send({ batch: [track()], writeKey: WRITE_KEY });
    locker.exec('ROLLBACK');
    expectError(res, 503, 'storage_unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('405 for another method on an ingest route', async () => {
    const { app } = await fx.collector();
    const res = await request(app).get('/v1/batch');
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });
});

describe('server-side clients', () => {
  it('need only the key: no Origin, no CORS headers', async () => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/track').set('Authorization', basic(SERVER_KEY)).send(track());
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
