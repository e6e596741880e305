import {
  createCollector,
  createLogger,
  errorFields,
  isPostgresUrl,
  loadConfig,
  openStorage,
  redactDatabaseUrl,
  SETTINGS,
  startServer,
  storageWhenOpen,
  type Logger,
  type RunningServer,
} from '@spur/collector';
import { parseFlags, UsageError, type Io } from '../io';

/** SIGTERM to exit, at most: in-flight requests finish, the database closes. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/**
 * How long in-flight requests may take before their connections are cut; the rest of the
 * deadline is left for committing what was accepted and closing the database.
 */
const DRAIN_TIMEOUT_MS = 8_000;

/** The flags of `spur serve`: every setting of the collector's table, meaning what its variable does. */
export const SERVE_FLAGS = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }]));

// Which setting to change when listening fails; startServer's message says what went wrong.
const LISTEN_SETTINGS: Record<string, string> = {
  EADDRINUSE: 'choose another port with SPUR_PORT / --port (0 = any free port)',
  EACCES: 'choose a port from 1024 with SPUR_PORT / --port (0 = any free port)',
  EADDRNOTAVAIL: "set SPUR_HOST / --host to an address of this machine (0.0.0.0 = all, 127.0.0.1 = this machine only)",
  ENOTFOUND: 'set SPUR_HOST / --host to an address of this machine (0.0.0.0 = all, 127.0.0.1 = this machine only)',
};

function wildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/**
 * The listening line: where the socket is bound and, for a wildcard address, the URL to try;
 * startupMs is the time since the process started.
 */
function logListening(logger: Logger, server: RunningServer, db: string): void {
  const fields = { url: server.url, address: server.address, port: server.port, db, startupMs: Math.round(process.uptime() * 1000) };
  const bound = wildcard(server.address) ? `; bound to ${server.address}:${server.port}, every interface` : '';
  logger.info(fields, `listening on ${server.url} (database ${db}${bound})`);
}

/** `spur serve`: runs the collector until SIGTERM or SIGINT, then drains and closes the database. */
export async function serve(args: string[], io: Io): Promise<number> {
  const flags = parseFlags(args, SERVE_FLAGS).values;
  let config;
  try {
    config = loadConfig(io.env, flags);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // One JSON line per event on stdout (log.ts); nothing per request below debug level.
  const logger = createLogger({ level: config.logLevel, destination: { write: (line) => io.out(line) } });

  // The database opens while the server starts to listen: after an unclean stop, opening reads
  // the whole WAL back in (seconds for a large one on a slow disk). Meanwhile /healthz answers,
  // /readyz says `starting` and requests wait for the open (storage/opening.ts in the collector).
  const openedAt = Date.now();
  // PostgreSQL when SPUR_DATABASE_URL is set (or SPUR_DB is a postgres:// URL); shown without its password.
  const postgres = config.databaseUrl ?? (isPostgresUrl(config.db) ? config.db : undefined);
  const database = postgres === undefined ? config.db : redactDatabaseUrl(postgres);
  const setting = postgres === undefined ? 'SPUR_DB / --db' : 'SPUR_DATABASE_URL / --database-url';
  const opening = openStorage({ db: config.db, ...(postgres !== undefined && { databaseUrl: postgres }), logger });
  const storage = storageWhenOpen(opening);
  // ServerConfig carries every collector option under the same name (plus port, host, db); the
  // collector logs the start-up warnings (write keys, admin token) itself.
  const app = createCollector({ ...config, storage, logger });
  let server: RunningServer;
  try {
    // The same names again: port, host, timeouts, connection caps, trustProxy and ip.
    server = await startServer(app, { ...config, storage, logger, drainTimeoutMs: DRAIN_TIMEOUT_MS });
  } catch (err) {
    await storage.close();
    const { code, message } = err as NodeJS.ErrnoException;
    const setting = code === undefined ? undefined : LISTEN_SETTINGS[code];
    if (!setting) throw err;
    // A configuration mistake, not a crash: the message says which setting to change, no stack.
    logger.fatal({ code, host: config.host, port: config.port }, `${message}: ${setting}`);
    return 1;
  }
  // Signals are handled from the moment it listens, before anything else happens.
  const stopped = handleShutdown(io, logger, server);
  logListening(logger, server, database);

  try {
    await opening;
  } catch (err) {
    logger.fatal({ db: database, ...errorFields(err, false) }, `${(err as Error).message} (${setting})`);
    stopped.off();
    await server.close().catch(() => undefined); // its storage never opened: nothing to commit
    return 1;
  }
  const openMs = Date.now() - openedAt;
  logger.info({ db: database, ms: openMs }, `database open (${openMs} ms)`);
  // A database that opens but cannot take writes (read-only file, full disk) is served anyway,
  // answering 503 and not ready on /readyz until it can; say so at once rather than per request.
  storage.ping().catch((err: Error & { reason?: string }) => {
    logger.warn({ reason: err.reason ?? 'unavailable', ...errorFields(err, false) }, `the database cannot take writes (${err.reason ?? 'unavailable'}): ${err.message}`);
  });
  await stopped.done;
  return 0;
}

/**
 * SIGTERM / SIGINT: stop accepting, drain, close the database; a second signal exits at once.
 * `done` resolves once stopped; `off` stops listening for signals.
 */
function handleShutdown(io: Io, logger: Logger, server: RunningServer): { done: Promise<void>; off: () => void } {
  let off: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    let stopping = false;
    off = io.onShutdown((signal) => {
      if (stopping) {
        logger.warn({ signal }, `${signal} again, exiting now`);
        process.exit(1);
      }
      stopping = true;
      const started = Date.now();
      // close() stops accepting at once; the line comes after it, so that whoever reads it (an
      // orchestrator, a test) can rely on new connections being refused from then on.
      const closing = server.close();
      logger.info({ signal }, `${signal}: draining (new connections refused, in-flight requests finish, then the database closes)`);
      const timer = setTimeout(() => {
        logger.error({ signal, deadlineMs: SHUTDOWN_DEADLINE_MS }, `still not stopped after ${SHUTDOWN_DEADLINE_MS / 1000} s, exiting`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      timer.unref();
      closing.then(
        () => {
          clearTimeout(timer);
          off();
          logger.info({ signal, ms: Date.now() - started }, 'stopped');
          resolve();
        },
        (err: Error) => {
          logger.error({ signal, ...errorFields(err, true) }, `error while stopping: ${err.message}`);
          off();
          resolve();
        },
      );
    });
  });
  return { done, off: () => off() };
}
