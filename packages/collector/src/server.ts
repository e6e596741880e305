// Listening and graceful shutdown, apart from the app. No signal handlers here: the CLI owns the
// process and decides when to call close().
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from './storage/types';

export interface RunningServer {
  /** Base URL to reach the server, e.g. http://127.0.0.1:8080 (loopback for a wildcard host). */
  url: string;
  /** The address the socket is bound to, e.g. 0.0.0.0, 127.0.0.1 or ::. */
  address: string;
  /** The port bound: the one chosen by the system for port 0. */
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (idle keep-alive sockets are
   * closed at once), then closes storage. Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  /** 0 picks a free port. */
  port: number;
  /** @defaultValue '0.0.0.0' */
  host?: string;
  storage: Storage;
  /** After this long, connections still open are cut so shutdown cannot hang. @defaultValue 10000 */
  drainTimeoutMs?: number;
}

function urlHost(host: string): string {
  // A wildcard address is not something to connect to; loopback reaches the same listener.
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export function startServer(app: RequestListener, opts: StartOptions): Promise<RunningServer> {
  const host = opts.host ?? '0.0.0.0';
  let closing: Promise<void> | null = null;
  // Responses not finished yet: told to close their connection once shutdown begins.
  const active = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    // A request that arrives on a kept-alive connection during shutdown is still served (the
    // database stays open until every connection is done), but its connection closes after it.
    if (closing) res.shouldKeepAlive = false;
    active.add(res);
    res.on('close', () => active.delete(res));
    app(req, res);
  });

  // While draining, a keep-alive connection becomes idle as soon as its response is done; close
  // it then instead of waiting for the client's keep-alive timeout.
  server.on('request', (_req, res) => {
    res.on('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve, reject) => {
      // Requests whose body is still arriving, or whose events are committing, finish; a client
      // that stalls longer than drainTimeoutMs is cut off (unacknowledged, so it will retry).
      const force = setTimeout(() => server.closeAllConnections(), opts.drainTimeoutMs ?? 10_000);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        // Storage last: requests that were in flight have committed and been answered by now.
        opts.storage.close().then(resolve, reject);
      });
      for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
      server.closeIdleConnections();
    });
    return closing;
  }

  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, host, opts.port));
    server.once('error', failed);
    server.listen(opts.port, host, () => {
      server.off('error', failed);
      const { address, port } = server.address() as AddressInfo;
      resolve({ url: `http://${urlHost(host)}:${port}`, address, port, close });
    });
  });
}

// What listen's errors mean for whoever configured host and port; the code stays on the error.
const LISTEN_ERRORS: Record<string, (where: string) => string> = {
  EADDRINUSE: (where) => `cannot listen on ${where}: the port is already in use`,
  EACCES: (where) => `cannot listen on ${where}: not permitted (ports below 1024 need privileges)`,
  EADDRNOTAVAIL: (where) => `cannot listen on ${where}: the address is not one of this machine's`,
  ENOTFOUND: (where) => `cannot listen on ${where}: the host name does not resolve`,
};

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const explain = err.code === undefined ? undefined : LISTEN_ERRORS[err.code];
  if (!explain) return err;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return Object.assign(new Error(explain(where), { cause: err }), { code: err.code });
}
