// A real collector on 127.0.0.1 and a raw HTTP client for it: hostile requests need exact
// control of bytes and headers (invalid UTF-8, chunked bodies, lying encodings), which a
// convenience client would "fix".
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer, type CollectorConfig, type Store } from '../../src';
import { ADMIN_TOKEN, NOW, WRITE_KEYS, makeTempDir } from '../helpers';

export interface Loopback {
  url: string;
  storage: Store;
  /** Stops the server, then closes the database and removes its directory. */
  close(): Promise<void>;
}

/**
 * A collector with the test defaults, listening on a free loopback port; no rate limits and no
 * cap on stored rejected events (thousands of hostile requests come from one address here, on a
 * clock that stands still; test/limits/ is about the limits).
 */
export async function startLoopback(config: Partial<CollectorConfig> = {}): Promise<Loopback> {
  const cleanups: (() => unknown)[] = [];
  const storage = createStore(await openSqliteStorage(join(makeTempDir(cleanups), 'spur.db')));
  const app = createCollector({
    writeKeys: WRITE_KEYS,
    adminToken: ADMIN_TOKEN,
    now: () => NOW,
    rateLimit: 0,
    eventRateLimit: 0,
    rejectedCap: 0,
    ...config,
    storage,
  });
  const server = await startServer(app, { port: 0, host: '127.0.0.1', storage, drainTimeoutMs: 2000 });
  return {
    url: server.url,
    storage,
    async close() {
      await server.close();
      for (const fn of cleanups) await fn();
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface Outgoing {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sends the body in pieces without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
  agent?: Agent;
}

/** One request; resolves to the answer, whatever its status. */
export function send(url: string, out: Outgoing): Promise<Reply> {
  const body = out.body === undefined ? Buffer.alloc(0) : Buffer.from(out.body);
  const headers: Record<string, string> = { ...out.headers };
  if (!out.chunked) headers['Content-Length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${out.path ?? '/v1/batch'}`,
      { method: out.method ?? 'POST', headers, agent: out.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    // The server may answer (413, 431) and close before the whole body is written: a write error
    // then, but the answer still arrives. Without one, the request fails.
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!(err.code === 'EPIPE' || err.code === 'ECONNRESET')) reject(err);
    });
    req.on('close', () => {
      if (!answered) reject(new Error('connection closed without an answer'));
    });
    if (out.chunked) {
      for (let at = 0; at < body.length; at += 16 * 1024) req.write(body.subarray(at, at + 16 * 1024));
      req.end();
    } else req.end(body);
  });
}
