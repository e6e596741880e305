// Saved funnels (/v1/funnels) and live events (/v1/live, Server-Sent Events) on a real server.
import http from 'node:http';
import request from 'supertest';
import { createCollector, openSqliteStorage, startServer } from '../../src';
import { ADMIN_TOKEN, WRITE_KEYS, WRITE_KEY, basic, bearer, track, useFixtures } from '../helpers';

jest.setTimeout(60_000);

const fx = useFixtures();
const admin = { Authorization: bearer(ADMIN_TOKEN) };

describe('/v1/funnels', () => {
  it('saves a funnel under its name (the same name replaces it), lists and deletes it', async () => {
    const { app } = await fx.collector();
    const saved = await request(app).post('/v1/funnels').set(admin).send({ name: 'Shop', steps: ['Product Viewed', 'page:/checkout'], unit: 'visitor', window: '2d', by: 'device' }).expect(201);
    expect(saved.body).toEqual({ id: expect.any(Number), name: 'Shop', steps: ['Product Viewed', 'page:/checkout'], unit: 'visitor', window: '2d', by: 'device', createdBy: 'admin token', createdAt: expect.any(String) });
    await request(app).post('/v1/funnels').set(admin).send({ name: 'Shop', steps: ['Order Completed'] }).expect(201);
    const list = await request(app).get('/v1/funnels').set(admin).expect(200);
    expect(list.body.funnels).toEqual([expect.objectContaining({ id: saved.body.id, name: 'Shop', steps: ['Order Completed'] })]);
    expect(list.body.funnels[0].unit).toBeUndefined();
    await request(app).delete(`/v1/funnels/${saved.body.id}`).set(admin).expect(204);
    await request(app).delete(`/v1/funnels/${saved.body.id}`).set(admin).expect(404);
    expect((await request(app).get('/v1/funnels').set(admin)).body.funnels).toEqual([]);
  });

  it.each([
    [{ steps: ['a'] }, 'name must be 1 to 100 characters'],
    [{ name: 'x', steps: [] }, 'a funnel needs at least one step'],
    [{ name: 'x', steps: ['a,b'] }, 'steps must be a list of event names, page or page:/path (without commas)'],
    [{ name: 'x', steps: ['page:checkout'] }, 'step "page:checkout": a page path starts with /, as in page:/checkout'],
    [{ name: 'x', steps: ['a'], unit: 'household' }, 'unit must be one of session, visitor, customer (got "household")'],
    [{ name: 'x', steps: ['a'], colour: 'red' }, 'a saved funnel has no colour; it takes name, steps, unit, window, by'],
  ])('refuses %j', async (body, message) => {
    const { app } = await fx.collector();
    const res = await request(app).post('/v1/funnels').set(admin).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(message);
  });
});

/** Reads Server-Sent Events from `url` until `until` says stop; answers the data of `events` events. */
function readEvents(url: string, until: (batches: unknown[][]) => boolean): Promise<{ status: number; type: string; batches: unknown[][] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: admin }, (res) => {
      let buffer = '';
      const batches: unknown[][] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^event: events\ndata: (.*)$/m.exec(block);
          if (data) batches.push(JSON.parse(data[1]));
        }
        if (until(batches)) {
          req.destroy();
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), batches });
        }
      });
    });
    req.on('error', reject);
  });
}

describe('GET /v1/live', () => {
  it('streams events committed after it was opened, not the ones before, and ends when the server closes', async () => {
    const storage = await openSqliteStorage(fx.dbFile());
    const app = createCollector({ storage, writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN });
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    fx.cleanup(() => server.close());
    await request(server.url).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track({ messageId: 'before' })] }).expect(200);
    const reading = readEvents(`${server.url}/v1/live`, (batches) => batches.flat().length > 0);
    // Sent once the stream is open (its first read has found where the events stand).
    await new Promise((r) => setTimeout(r, 1500));
    const context = { page: { path: '/mug' }, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1' };
    await request(server.url).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).send({ batch: [track({ messageId: 'after', anonymousId: 'a-live', context })] }).expect(200);
    const { status, type, batches } = await reading;
    expect(status).toBe(200);
    expect(type).toBe('text/event-stream; charset=utf-8');
    expect(batches.flat()).toEqual([
      expect.objectContaining({ messageId: 'after', type: 'track', name: 'Product Viewed', path: '/mug', device: 'mobile', anonymousId: 'a-live', userId: null }),
    ]);
    // A stream left open does not hold the shutdown up.
    const open = readEvents(`${server.url}/v1/live`, () => false).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(3000);
    void open;
  });
});
