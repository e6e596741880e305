import request from 'supertest';
import { ADMIN_TOKEN, WRITE_KEY, bearer, track, useFixtures } from './helpers';
import { captureLogs } from './log-capture';

const fx = useFixtures();

describe('createCollector', () => {
  it('answers unknown routes with 404 JSON', async () => {
    const { app } = await fx.collector();
    const res = await request(app).get('/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /v2/nothing' } });
  });

  it('does not announce Express', async () => {
    const { app } = await fx.collector();
    expect((await request(app).get('/healthz')).headers['x-powered-by']).toBeUndefined();
  });

  it('keeps what it acknowledged across a restart on the same database file', async () => {
    const file = fx.dbFile();
    const first = await fx.collector({}, file);
    await request(first.app)
      .post('/v1/batch')
      .send({
        writeKey: WRITE_KEY,
        batch: [
          track({ anonymousId: 'A', messageId: 'view', timestamp: '2024-04-01T10:00:00.000Z' }),
          { type: 'identify', anonymousId: 'A', userId: 'U', traits: { email: 'u@example.com' }, messageId: 'id', timestamp: '2024-04-01T10:05:00.000Z' },
        ],
      })
      .expect(200);
    await first.storage.close();

    const second = await fx.collector({}, file);
    const res = await request(second.app).get('/v1/profiles/A').set('Authorization', bearer(ADMIN_TOKEN)).expect(200);
    expect(res.body).toMatchObject({ id: 'U', anonymousIds: ['A'], traits: { email: 'u@example.com' }, eventCount: 2 });
    const again = await request(second.app).post('/v1/batch').send({ writeKey: WRITE_KEY, batch: [track({ anonymousId: 'A', messageId: 'view' })] });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('reports unexpected failures as 500 JSON without details, and logs them', async () => {
    const logs = captureLogs();
    const { storage: real } = await fx.collector();
    const broken = { ...real, getProfile: async () => Promise.reject(new TypeError('secret internals')) };
    const { app } = await fx.collector({ storage: broken, logger: logs.logger });
    const res = await request(app).get('/v1/profiles/A').set('Authorization', bearer(ADMIN_TOKEN));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(logs.lines().filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ msg: 'internal error', code: 'internal', error: expect.objectContaining({ message: 'secret internals' }) }),
    ]);
  });
});
