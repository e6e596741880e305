// Ingest rejections in the log (rejections.ts): the first 401/403 per write key and origin per
// minute, with its reason; later lines count what was not logged; memory stays bounded.
import request from 'supertest';
import { createRejectionLog } from '../src/rejections';
import { OTHER_SHOP, SHOP, WRITE_KEY, basic, track, useFixtures } from './helpers';
import { captureLogs } from './log-capture';

const fx = useFixtures();
const MINUTE = 60_000;

describe('rejected ingest requests in the log', () => {
  async function collector() {
    const logs = captureLogs();
    let clock = Date.parse('2026-11-23T10:00:00.000Z');
    const { app } = await fx.collector({ logger: logs.logger, now: () => clock, adminToken: 'x'.repeat(32) });
    const rejections = () => logs.lines().filter((l) => l.msg === 'ingest rejected');
    return { app, rejections, advance: (ms: number) => (clock += ms) };
  }
  const post = (app: Parameters<typeof request>[0], headers: Record<string, string>) =>
    request(app).post('/v1/batch').set(headers).set('Content-Type', 'text/plain').send(JSON.stringify({ batch: [track()] }));

  it('logs the first origin_not_allowed per write key and origin per minute, then counts what it suppressed', async () => {
    const { app, rejections, advance } = await collector();
    const headers = { Authorization: basic(WRITE_KEY), Origin: 'https://shop.example.evil', 'X-Request-Id': 'r-1' };
    expect((await post(app, headers)).status).toBe(403);
    for (let i = 0; i < 4; i++) expect((await post(app, { ...headers, 'X-Request-Id': `r-more-${i}` })).status).toBe(403);
    expect(rejections()).toEqual([
      expect.objectContaining({
        level: 'warn',
        reason: 'origin_not_allowed',
        writeKey: WRITE_KEY,
        origin: 'https://shop.example.evil',
        requestId: 'r-1',
        method: 'POST',
        path: '/v1/batch',
        count: 1,
      }),
    ]);
    expect(rejections()[0].suppressed).toBeUndefined();

    advance(MINUTE - 1);
    await post(app, headers);
    expect(rejections()).toHaveLength(1);
    advance(1);
    await post(app, { ...headers, 'X-Request-Id': 'r-later' });
    expect(rejections()).toHaveLength(2);
    expect(rejections()[1]).toMatchObject({ requestId: 'r-later', count: 7, suppressed: 5 });
  });

  it('keeps write keys, origins and reasons apart', async () => {
    const { app, rejections } = await collector();
    await post(app, { Authorization: basic('wk_typo'), Origin: SHOP });
    await post(app, { Authorization: basic('wk_typo'), Origin: SHOP });
    await post(app, { Authorization: basic('wk_typo'), Origin: OTHER_SHOP });
    await post(app, { Authorization: basic('wk_typo') }); // a server: no Origin
    await post(app, { Origin: SHOP }); // no key at all
    await post(app, { Authorization: basic(WRITE_KEY), Origin: OTHER_SHOP }); // the other shop's origin
    expect(rejections().map((l) => [l.reason, l.writeKey, l.origin])).toEqual([
      ['unknown_write_key', 'wk_typo', SHOP],
      ['unknown_write_key', 'wk_typo', OTHER_SHOP],
      ['unknown_write_key', 'wk_typo', undefined],
      ['missing_write_key', undefined, SHOP],
      ['origin_not_allowed', WRITE_KEY, OTHER_SHOP],
    ]);
  });

  it('does not log accepted requests or other client errors as rejections', async () => {
    const { app, rejections } = await collector();
    expect((await post(app, { Authorization: basic(WRITE_KEY), Origin: SHOP })).status).toBe(200);
    expect((await request(app).post('/v1/batch').set('Authorization', basic(WRITE_KEY)).set('Content-Type', 'text/plain').send('{"batch": [')).status).toBe(400);
    expect(rejections()).toEqual([]);
  });
});

describe('createRejectionLog', () => {
  it('tracks at most maxPairs pairs; rejections of further pairs share one line per window', () => {
    const logs = captureLogs();
    let clock = 0;
    const log = createRejectionLog({ logger: logs.logger, now: () => clock, maxPairs: 3 });
    const reject = (writeKey: string) => log.record({ reason: 'unknown_write_key', writeKey }, { method: 'POST', path: '/v1/batch', origin: SHOP });
    for (let i = 0; i < 100; i++) reject(`made-up-${i}`);
    const lines = logs.lines();
    expect(lines.map((l) => l.writeKey)).toEqual(['made-up-0', 'made-up-1', 'made-up-2', 'made-up-3']);
    expect(lines[3]).toMatchObject({ msg: expect.stringContaining('more write key and origin pairs than tracked'), trackedPairs: 3, count: 1 });
    reject('made-up-0'); // tracked: counted, not logged again this minute
    expect(logs.lines()).toHaveLength(4);

    // A minute later the expired pairs make room again.
    clock += MINUTE;
    reject('fresh-key');
    reject('made-up-100');
    expect(logs.lines().slice(4).map((l) => [l.writeKey, l.count])).toEqual([
      ['fresh-key', 1],
      ['made-up-100', 1],
    ]);
  });

  it('cuts long keys and origins in its lines', () => {
    const logs = captureLogs();
    const log = createRejectionLog({ logger: logs.logger });
    log.record({ reason: 'unknown_write_key', writeKey: 'k'.repeat(5000) }, { method: 'POST', path: '/v1/batch', origin: `https://${'o'.repeat(5000)}.example` });
    const [line] = logs.lines();
    expect((line.writeKey as string).length).toBeLessThanOrEqual(101);
    expect((line.origin as string).length).toBeLessThanOrEqual(101);
  });
});
