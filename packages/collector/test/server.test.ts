import { Agent, request as httpRequest } from 'node:http';
import type { Store } from '../src';
import { startServer } from '../src';
import { WRITE_KEY, track, useFixtures } from './helpers';

const fx = useFixtures();

/** Sends one request over a keep-alive agent; resolves with status and body. */
function send(
  url: string,
  method: string,
  body: unknown,
  agent: Agent,
): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Wraps a storage so appends wait until released: a request stays in flight on demand. */
function gated(storage: Store) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const appendStarted = new Promise<void>((resolve) => (entered = resolve));
  const wrapped: Store = {
    ...storage,
    append: async (input) => {
      entered();
      await gate;
      return storage.append(input);
    },
  };
  return { storage: wrapped, release, appendStarted };
}

describe('startServer', () => {
  it('listens on a random port over real loopback HTTP', async () => {
    const { app, storage } = await fx.collector();
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    fx.cleanup(() => server.close());
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const agent = new Agent({ keepAlive: true });
    fx.cleanup(() => agent.destroy());
    const res = await send(`${server.url}/healthz`, 'GET', undefined, agent);
    expect(res).toMatchObject({ status: 200, body: '{"ok":true}', connection: 'keep-alive' });
  });

  it('close() lets an in-flight request commit and answer, then closes storage', async () => {
    const real = await fx.storage();
    const { storage, release, appendStarted } = gated(real);
    const { app } = await fx.collector({ storage });
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage: real });
    const agent = new Agent({ keepAlive: true });
    fx.cleanup(() => agent.destroy());

    const inFlight = send(`${server.url}/v1/batch`, 'POST', { writeKey: WRITE_KEY, batch: [track()] }, agent);
    await appendStarted;
    const closed = server.close();
    // New connections are refused while the old request drains.
    await expect(send(`${server.url}/healthz`, 'GET', undefined, new Agent())).rejects.toThrow(/ECONNREFUSED/);
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ ok: true, accepted: 1 });
    expect(res.connection).toBe('close'); // the client does not reuse a connection that is going away
    await closed;
    await expect(real.ping()).rejects.toThrow(/closed/);
  });

  it('close() does not wait for idle keep-alive connections and is idempotent', async () => {
    const { app, storage } = await fx.collector();
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage, drainTimeoutMs: 60_000 });
    const agent = new Agent({ keepAlive: true });
    fx.cleanup(() => agent.destroy());
    await send(`${server.url}/healthz`, 'GET', undefined, agent); // leaves an idle socket open
    const started = Date.now();
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(Date.now() - started).toBeLessThan(5_000);
    await server.close();
  });

  it('rejects when the port is taken', async () => {
    const { app, storage } = await fx.collector();
    const server = await startServer(app, { port: 0, host: '127.0.0.1', storage });
    fx.cleanup(() => server.close());
    const other = await fx.storage();
    await expect(startServer(app, { port: server.port, host: '127.0.0.1', storage: other })).rejects.toMatchObject({
      code: 'EADDRINUSE',
      message: `cannot listen on 127.0.0.1:${server.port}: the port is already in use`,
    });
  });

  it('gives a connectable URL when listening on all interfaces', async () => {
    const { app, storage } = await fx.collector();
    const server = await startServer(app, { port: 0, storage });
    fx.cleanup(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });
});
