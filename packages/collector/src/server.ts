// Listening and graceful shutdown, apart from the app. No signal handlers here: the CLI owns the
// process and decides when to call close().
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { limitConnections, proxyTrust } from './connection-limits';
import type { IpMode } from './ip';
import { createLimitLog } from './limit-log';
import type { Logger } from './log';
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_IP,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type TrustProxy,
} from './settings';
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
   * closed at once), stops the app's jobs (when it has a close(), as createCollector's has), then
   * closes storage. Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
  /** node's server, for what a host application adds (listeners, metrics). */
  server: Server;
}

export interface StartOptions {
  /** 0 picks a free port. */
  port: number;
  /** @defaultValue '0.0.0.0' */
  host?: string;
  storage: Storage;
  /** After this long, connections still open are cut so shutdown cannot hang. @defaultValue 10000 */
  drainTimeoutMs?: number;
  /** node's headersTimeout; 0 = none. @defaultValue DEFAULT_HEADERS_TIMEOUT_MS (15 s) */
  headersTimeoutMs?: number;
  /** node's requestTimeout; 0 = none. @defaultValue DEFAULT_REQUEST_TIMEOUT_MS (60 s) */
  requestTimeoutMs?: number;
  /** Connections held at most; 0 = no cap. @defaultValue DEFAULT_MAX_CONNECTIONS (10,000) */
  maxConnections?: number;
  /**
   * Connections per client address at most; 0 = no cap. Proxies trusted by `trustProxy` are
   * not capped. @defaultValue DEFAULT_MAX_CONNECTIONS_PER_IP (256)
   */
  maxConnectionsPerIp?: number;
  /** The collector's trustProxy: those proxies' connections are not capped per address. */
  trustProxy?: TrustProxy;
  /** Where refused connections are logged (a line per address a minute). */
  logger?: Logger;
  /** What that log shows of an address. @defaultValue 'truncate' */
  ip?: IpMode;
}

/** An app with jobs to stop (createCollector's). */
interface Stoppable {
  close(): Promise<void>;
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
  const headersTimeout = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // node checks both timeouts every connectionsCheckingInterval (30 s by default, which would
  // let a 15 s timeout run to 45 s): a quarter of the shorter one, within 50 ms to 1 s.
  const shortest = Math.min(...[headersTimeout, requestTimeout].filter((t) => t > 0), 4000);
  const options = { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.max(50, Math.floor(shortest / 4)) };
  const server = createServer(options, (req, res) => {
    // A request that arrives on a kept-alive connection during shutdown is still served (the
    // database stays open until every connection is done), but its connection closes after it.
    if (closing) res.shouldKeepAlive = false;
    active.add(res);
    res.on('close', () => active.delete(res));
    app(req, res);
  });

  limitConnections(server, {
    max: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    perIp: opts.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP,
    exempt: proxyTrust(opts.trustProxy),
    ...(opts.logger && { log: createLimitLog({ logger: opts.logger }) }),
    ip: opts.ip,
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
        // Then the collector's jobs (their runs under way finish), and storage last: requests that
        // were in flight have committed and been answered by now.
        const stopJobs = typeof (app as unknown as Partial<Stoppable>).close === 'function' ? (app as unknown as Stoppable).close() : Promise.resolve();
        stopJobs.then(() => opts.storage.close()).then(resolve, reject);
      });
      for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
      server.closeIdleConnections();
      // Streams that never end by themselves (the live events) end now.
      (app as unknown as Partial<{ endStreams(): void }>).endStreams?.();
    });
    return closing;
  }

  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, host, opts.port));
    server.once('error', failed);
    server.listen(opts.port, host, () => {
      server.off('error', failed);
      const { address, port } = server.address() as AddressInfo;
      resolve({ url: `http://${urlHost(host)}:${port}`, address, port, close, server });
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
