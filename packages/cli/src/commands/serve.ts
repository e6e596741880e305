import { createCollector, loadConfig, openStorage, startServer } from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';

/** SIGTERM to exit, at most: in-flight requests finish, the database closes. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/**
 * How long in-flight requests may take before their connections are cut; the rest of the
 * deadline is left for committing what was accepted and closing the database.
 */
const DRAIN_TIMEOUT_MS = 8_000;

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  db: { type: 'string' },
  'write-keys': { type: 'string' },
  'admin-token': { type: 'string' },
  'client-clock': { type: 'string' },
  ip: { type: 'string' },
  'trust-proxy': { type: 'string' },
  'cookie-domain': { type: 'string' },
  'session-minutes': { type: 'string' },
  'abandon-minutes': { type: 'string' },
  'rate-limit': { type: 'string' },
  'retention-days': { type: 'string' },
  'suppress-days': { type: 'string' },
  gpc: { type: 'string' },
} as const;

/** `spur serve`: runs the collector until SIGTERM or SIGINT, then drains and closes the database. */
export async function serve(args: string[], io: Io): Promise<number> {
  const flags = parseFlags(args, options).values;
  let config;
  try {
    config = loadConfig(io.env, flags);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (Object.keys(config.writeKeys).length === 0) {
    io.err('spur serve: warning: no write keys configured (SPUR_WRITE_KEYS or --write-keys); every ingest request will get 401\n');
  }
  if (!config.adminToken) {
    io.err('spur serve: warning: no admin token (SPUR_ADMIN_TOKEN or --admin-token); the admin API answers 401\n');
  }

  const storage = await openStorage({ db: config.db });
  // ServerConfig carries every collector option under the same name (plus port, host, db).
  const app = createCollector({
    ...config,
    storage,
    onPurge: (r) => io.out(`spur serve: retention: purged ${r.events} events and ${r.rejectedEvents} rejected events from before ${r.before}\n`),
  });
  const server = await startServer(app, { port: config.port, host: config.host, storage, drainTimeoutMs: DRAIN_TIMEOUT_MS });
  io.out(`spur collector listening on ${server.url} (database ${config.db})\n`);
  // A database that opens but cannot take writes (read-only file, full disk) is served anyway,
  // answering 503 and not ready on /readyz until it can; say so at once rather than per request.
  storage.ping().catch((err: Error & { reason?: string }) => {
    io.err(`spur serve: warning: the database cannot take writes (${err.reason ?? 'unavailable'}): ${err.message}\n`);
  });

  await new Promise<void>((resolve) => {
    let stopping = false;
    const off = io.onShutdown((signal) => {
      if (stopping) {
        io.err(`spur serve: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      io.out(`spur serve: ${signal}, draining\n`);
      const timer = setTimeout(() => {
        io.err(`spur serve: still not stopped after ${SHUTDOWN_DEADLINE_MS / 1000} s, exiting\n`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      timer.unref();
      server.close().then(
        () => {
          clearTimeout(timer);
          off();
          io.out('spur serve: stopped\n');
          resolve();
        },
        (err: Error) => {
          io.err(`spur serve: error while stopping: ${err.message}\n`);
          off();
          resolve();
        },
      );
    });
  });
  return 0;
}
