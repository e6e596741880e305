// The collector on PostgreSQL while the server is down, on a server of this file's own: ingest
// answers 503 with Retry-After, /readyz says why, and both recover by themselves once the server
// is back (the same store, no restart), the events acknowledged before and after all stored.
import request from 'supertest';
import { createStore } from '../../../src/rules/store';
import { openPostgresStorage } from '../../../src/storage/postgres/storage';
import { basic, track, useFixtures, WRITE_KEY } from '../../helpers';
import { describePostgres, useOwnServer } from '../../postgres/server';

const fx = useFixtures();

describePostgres('the collector on PostgreSQL while the server is down', () => {
  const own = useOwnServer();

  it('answers ingest 503 with Retry-After, /readyz names the failure, and both recover when the server is back', async () => {
    const storage = createStore(await openPostgresStorage(own.cluster.url()));
    fx.cleanup(() => storage.close());
    const { app } = await fx.collector({ storage });
    const ingest = (messageId: string) => request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track({ messageId })] });

    expect((await ingest('before')).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);

    await own.cluster.stop('immediate');
    const refused = await ingest('while-down');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.error).toMatchObject({ code: 'not_ready', reason: 'unavailable' });
    expect(ready.body.error.message).toMatch(/cannot reach the database server|connection/);

    await own.cluster.start();
    // The failed append is remembered for a while (FAILURE_MEMORY_MS); ingest works at once.
    expect((await ingest('after')).status).toBe(200);
    expect((await ingest('while-down')).status).toBe(200); // the client's retry
    expect((await request(app).get('/readyz')).status).toBe(200);
    const stored = (await storage.eventPage({}, 0, 10)).map((e) => JSON.parse(e.body).messageId);
    expect(stored).toEqual(['before', 'after', 'while-down']);
  }, 60_000);
});
