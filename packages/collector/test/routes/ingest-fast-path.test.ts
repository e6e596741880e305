// The ingest fast path (routes/ingest.ts) answers plain ingest requests before the rest of the
// middleware stack. It must answer exactly as the full stack does, and step aside whenever a
// middleware it skips would have mattered.
import express from 'express';
import request from 'supertest';
import { createCollector } from '../../src';
import { ADMIN_TOKEN, NOW, SHOP, WRITE_KEY, WRITE_KEYS, basic, track, useFixtures } from '../helpers';

const fx = useFixtures();

// A cookie other than spur_aid re-issues nothing, but sends the request down the full stack.
const FULL_STACK = { Cookie: 'theme=dark' };

function answer(res: request.Response) {
  const h = res.headers;
  return {
    status: res.status,
    body: res.body,
    headers: {
      'content-type': h['content-type'],
      vary: h.vary,
      'access-control-allow-origin': h['access-control-allow-origin'],
      'access-control-allow-credentials': h['access-control-allow-credentials'],
      'set-cookie': h['set-cookie'],
    },
  };
}

describe('the ingest fast path', () => {
  it.each([
    ['a stored batch from an allowed origin', { Authorization: basic(WRITE_KEY), Origin: SHOP }, () => JSON.stringify({ batch: [track()] })],
    ['a batch with an invalid event', { Authorization: basic(WRITE_KEY) }, () => JSON.stringify({ batch: [track(), { type: 'nope' }] })],
    ['an unknown write key', { Authorization: basic('nope'), Origin: SHOP }, () => JSON.stringify({ batch: [track()] })],
    ['an origin the key does not allow', { Authorization: basic(WRITE_KEY), Origin: 'https://elsewhere.example' }, () => '{"batch":[]}'],
    ['a body that is not JSON', { Authorization: basic(WRITE_KEY) }, () => '{"batch": ['],
    ['an empty body', { Authorization: basic(WRITE_KEY) }, () => ''],
  ])('answers %s exactly as the full middleware stack does', async (_what, headers, body) => {
    const { app } = await fx.collector();
    const send = (extra: Record<string, string>) =>
      request(app).post('/v1/batch').set({ 'Content-Type': 'text/plain', ...headers, ...extra }).send(body());
    const fast = answer(await send({}));
    const full = answer(await send(FULL_STACK));
    expect(fast).toEqual(full);
    expect(fast.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it("steps aside when mounted behind a shop's body parser that already read the body", async () => {
    const { storage } = await fx.collector();
    const shop = express();
    shop.use(express.raw({ type: () => true }));
    shop.use('/spur', createCollector({ storage, writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW }));
    // Reading the request again would wait for data that already came and went.
    const res = await request(shop)
      .post('/spur/v1/batch')
      .set('Content-Type', 'text/plain')
      .set('Authorization', basic(WRITE_KEY))
      .send(JSON.stringify({ batch: [track({ anonymousId: 'mounted' })] }))
      .timeout(2000);
    expect(res.status).toBe(200);
    expect(await storage.getProfile('mounted')).toMatchObject({ eventCount: 1 });
  });
});
