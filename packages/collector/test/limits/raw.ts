// A real collector on loopback with chosen limits, and raw sockets to it: the limits are about
// bytes and connections (what a server reads before it answers, whether it closes), which a
// convenience client hides.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createCollector, createStore, openSqliteStorage, startServer, type CollectorConfig, type StartOptions, type Store } from '../../src';
import type { Server } from 'node:http';
import { ADMIN_TOKEN, NOW, WRITE_KEYS, makeTempDir } from '../helpers';

export interface LimitedServer {
  port: number;
  url: string;
  server: Server;
  storage: Store;
  close(): Promise<void>;
}

/** A collector with `config` (test defaults otherwise) behind startServer with `options`. */
export async function startLimited(config: Partial<CollectorConfig> = {}, options: Partial<StartOptions> = {}): Promise<LimitedServer> {
  const cleanups: (() => unknown)[] = [];
  const storage = createStore(await openSqliteStorage(join(makeTempDir(cleanups), 'spur.db')));
  const app = createCollector({ writeKeys: WRITE_KEYS, adminToken: ADMIN_TOKEN, now: () => NOW, ...config, storage });
  const running = await startServer(app, { port: 0, host: '127.0.0.1', storage, drainTimeoutMs: 1000, ...options });
  return {
    port: running.port,
    url: running.url,
    server: running.server,
    storage,
    async close() {
      await running.close();
      for (const fn of cleanups) await fn();
    },
  };
}

/** A connected socket from `localAddress` (any of 127.0.0.0/8 reaches a loopback server). */
export function openSocket(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The next answer on `socket` (status, lower-case headers, body by Content-Length), or null when
 * the connection ends first. Writes that fail because the server closed do not matter here.
 */
export function readAnswer(socket: Socket, timeoutMs = 5000): Promise<RawAnswer | null> {
  socket.on('error', () => {});
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => finish(null), timeoutMs);
    function finish(answer: RawAnswer | null) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(answer);
    }
    function parse(): RawAnswer | undefined {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return undefined;
      return { status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString('utf8') };
    }
    function onData(chunk: Buffer) {
      data = Buffer.concat([data, chunk]);
      const answer = parse();
      if (answer) finish(answer);
    }
    function onClose() {
      finish(parse() ?? null);
    }
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Resolves true once `socket` is closed by the other side (or destroyed), false after `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once('end', done);
    socket.once('close', done);
    socket.resume();
  });
}

/** The head of a POST: request line and headers, ending in the blank line. */
export function head(path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ Host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
