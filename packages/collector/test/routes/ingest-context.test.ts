// What an ingest request stores beyond the client's event: server times, minimised IP and user agent.
import { createServer } from 'node:http';
import request from 'supertest';
import type { CollectorConfig } from '../../src';
import { NOW, WRITE_KEY, track, useFixtures } from '../helpers';

const fx = useFixtures();
const RECEIVED = new Date(NOW).toISOString(); // 2024-05-01T12:00:00.000Z
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const WINDOWS_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0';

async function ingestOne(config: Partial<CollectorConfig>, body: Record<string, unknown>, userAgent?: string) {
  const { app, storage } = await fx.collector(config);
  const req = request(app).post('/v1/batch');
  if (userAgent) req.set('User-Agent', userAgent);
  await req.send({ writeKey: WRITE_KEY, ...body }).expect(200);
  const [event] = (await storage.getProfileEvents('anon-1')) ?? [];
  return event;
}

describe('clock skew', () => {
  // The client's clock runs one hour fast: it recorded the event 30 s before sending.
  const skewed = { batch: [track({ timestamp: '2024-05-01T12:59:30.000Z' })], sentAt: '2024-05-01T13:00:00.000Z' };

  it('corrects the timestamp by the sentAt difference and keeps the client time as originalTimestamp', async () => {
    const event = await ingestOne({}, skewed);
    expect(event).toMatchObject({
      timestamp: '2024-05-01T11:59:30.000Z',
      originalTimestamp: '2024-05-01T12:59:30.000Z',
      receivedAt: RECEIVED,
      sentAt: '2024-05-01T13:00:00.000Z',
    });
  });

  it('keeps the client time when configured to trust client clocks', async () => {
    const event = await ingestOne({ clientClock: 'trust' }, skewed);
    expect(event).toMatchObject({ timestamp: '2024-05-01T12:59:30.000Z', originalTimestamp: '2024-05-01T12:59:30.000Z' });
  });

  it('uses the client time as is without sentAt', async () => {
    const event = await ingestOne({}, { batch: [track({ timestamp: '2024-05-01T12:59:30.000Z' })] });
    expect(event.timestamp).toBe('2024-05-01T12:59:30.000Z');
    expect(event).not.toHaveProperty('sentAt');
  });

  it('uses the receipt time for both without a client timestamp', async () => {
    const event = await ingestOne({}, { batch: [track({ timestamp: undefined })], sentAt: '2024-05-01T13:00:00.000Z' });
    expect(event).toMatchObject({ timestamp: RECEIVED, originalTimestamp: RECEIVED, receivedAt: RECEIVED });
  });
});

describe('data minimisation', () => {
  it('stores the IPv4 address truncated to two bytes', async () => {
    const event = await ingestOne({}, { batch: [track()] });
    expect(event.context?.ip).toBe('127.0.0.0');
  });

  it('stores the full address with ip=keep and none with ip=drop', async () => {
    expect((await ingestOne({ ip: 'keep' }, { batch: [track()] })).context?.ip).toMatch(/127\.0\.0\.1$/);
    expect((await ingestOne({ ip: 'drop' }, { batch: [track()] })).context).not.toHaveProperty('ip');
  });

  it('ignores an X-Forwarded-For header and a client-sent context.ip', async () => {
    const { app, storage } = await fx.collector();
    await request(app)
      .post('/v1/batch')
      .set('X-Forwarded-For', '198.51.100.99')
      .send({ writeKey: WRITE_KEY, batch: [track({ context: { ip: '198.51.100.99' } })] })
      .expect(200);
    const [event] = (await storage.getProfileEvents('anon-1')) ?? [];
    expect(event.context?.ip).toBe('127.0.0.0');
  });

  it('stores an IPv6 address truncated to 48 bits', async () => {
    for (const [mode, expected] of [['truncate', '::'], ['keep', '::1']] as const) {
      const { app, storage } = await fx.collector({ ip: mode });
      const server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
      fx.cleanup(() => new Promise((resolve) => server.close(resolve)));
      const { port } = server.address() as { port: number };
      await request(`http://[::1]:${port}`).post('/v1/batch').send({ writeKey: WRITE_KEY, batch: [track()] }).expect(200);
      const [event] = (await storage.getProfileEvents('anon-1')) ?? [];
      expect(event.context?.ip).toBe(expected);
    }
  });

  it("reduces the event's userAgent to device type, browser and OS and drops the raw string", async () => {
    const event = await ingestOne({}, { batch: [track({ context: { userAgent: IPHONE, locale: 'de-DE' } })] }, WINDOWS_FIREFOX);
    expect(event.context).toEqual({
      locale: 'de-DE',
      ip: '127.0.0.0',
      device: { type: 'mobile' },
      browser: { name: 'Safari' },
      os: { name: 'iOS' },
    });
    expect(JSON.stringify(event)).not.toContain('Mozilla');
  });

  it('falls back to the request User-Agent header when the event has none', async () => {
    const event = await ingestOne({}, { batch: [track()] }, WINDOWS_FIREFOX);
    expect(event.context).toMatchObject({ device: { type: 'desktop' }, browser: { name: 'Firefox' }, os: { name: 'Windows' } });
  });
});
