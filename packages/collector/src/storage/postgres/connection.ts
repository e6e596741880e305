// The PostgreSQL backend's connections: one pg Pool per collector process, made from
// SPUR_DATABASE_URL. Every session commits durably (synchronous_commit = on, whatever the
// server's or the database's default: a 2xx is a promise), has a statement timeout and an
// application_name (pg_stat_activity tells spur's sessions apart), and every failure the
// collector can answer with 503 comes out as PostgresUnavailableError (failures.ts).
//
// The pool heals itself: a session that the server ended (restart, failover, admin shutdown) or
// whose socket failed is thrown away, never handed out again, and the next request opens a new
// one. A server that is down only costs the requests of the moment their 503s.
import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import type { Logger } from '../../log';
import { parseDatabaseUrl } from './database-url';
import { isRetryable, PostgresUnavailableError, toPostgresError } from './failures';

export interface PostgresOptions {
  /** A postgres:// URL (SPUR_DATABASE_URL); checked by parseDatabaseUrl. */
  url: string;
  /** Shown in pg_stat_activity; the URL's application_name wins. @defaultValue 'spur-collector' */
  applicationName?: string;
  /** Connections this process keeps at most. @defaultValue 10 */
  maxConnections?: number;
  /** The server cancels a statement after this long (statement_timeout). @defaultValue 30000 */
  statementTimeoutMs?: number;
  /** Giving up on opening a connection (or waiting for a free one). @defaultValue 5000 */
  connectionTimeoutMs?: number;
  /** An idle connection is closed after this long. @defaultValue 30000 */
  idleTimeoutMs?: number;
  /** Where lost connections are reported (never with the password). */
  logger?: Logger;
}

/** What a query runs on: the pool's own shortcut, or a client inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface PostgresConnection extends Queryable {
  /** The URL without its password, for logs. */
  readonly target: string;
  /** The pool itself, for what the methods below do not cover. */
  readonly pool: Pool;
  /** Runs `fn` on one connection of the pool; failures mapped as by query(). */
  withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a transaction (BEGIN … COMMIT; ROLLBACK when it throws). A serialization failure
   * or deadlock runs it again, up to `attempts` times in all, so `fn` must do nothing outside the
   * database that cannot happen twice. Resolves only after COMMIT succeeded.
   */
  transaction<T>(fn: (client: PoolClient) => Promise<T>, options?: { attempts?: number }): Promise<T>;
  /** Closes every connection; later calls fail with reason `closed`. Idempotent. */
  close(): Promise<void>;
}

/** Tries of a transaction that hit a serialization failure or deadlock. */
const TRANSACTION_ATTEMPTS = 3;

/** A short random pause before running a transaction again: the other side has gone on. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));

/** Creates the pool; no connection is opened until the first query. Throws on a bad URL. */
export function connectPostgres(options: PostgresOptions): PostgresConnection {
  const target = parseDatabaseUrl(options.url);
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const pool = new Pool({
    host: target.host,
    port: target.port,
    user: target.user,
    ...(target.password !== undefined && { password: target.password }),
    database: target.database,
    ssl: target.ssl,
    application_name: target.applicationName ?? options.applicationName ?? 'spur-collector',
    // Sent with the login, so no session ever runs a statement without them. synchronous_commit
    // = on: COMMIT returns once the WAL is flushed (and replicated, when the server is set up
    // so); a server or database default of off would make a 2xx a promise spur cannot keep.
    options: '-c synchronous_commit=on',
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    // A network that silently drops packets gets no cancel through: the client gives up too.
    query_timeout: statementTimeoutMs + 5_000,
    connectionTimeoutMillis: target.connectTimeoutMs ?? options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    max: options.maxConnections ?? 10,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  let closed = false;
  // An idle connection that fails (the server restarted) is an 'error' on the pool, which would
  // end the process if nobody listened; the pool has already dropped that connection.
  pool.on('error', (err) => {
    const failure = toPostgresError('idle connection', err);
    options.logger?.warn(
      { database: target.redacted, reason: failure?.reason ?? 'unavailable', error: { message: (failure ?? err).message } },
      'postgres connection lost',
    );
  });

  const closedError = (cause?: unknown) =>
    new PostgresUnavailableError('postgres: the connection pool is closed', { cause, reason: 'closed', retryable: false, connectionLost: false });

  // Runs `fn` on a checked-out client; `lose` marks the session unusable, so that it is
  // destroyed rather than handed out again.
  async function use<T>(fn: (client: PoolClient, lose: (err: unknown) => void) => Promise<T>): Promise<T> {
    if (closed) throw closedError();
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw closed ? closedError(err) : (toPostgresError('connect', err) ?? err);
    }
    // While checked out, a client has no listener of the pool's: a session ended between two
    // statements would otherwise be an unhandled 'error' event.
    let lost: Error | null = null;
    const lose = (err: unknown) => (lost ??= typeof err === 'object' && err !== null ? (err as Error) : new Error(String(err)));
    client.on('error', lose);
    try {
      return await fn(client, lose);
    } catch (err) {
      const failure = toPostgresError('query', err);
      if (failure?.connectionLost) lose(err);
      throw failure ?? err;
    } finally {
      client.off('error', lose);
      client.release(lost ?? undefined);
    }
  }

  async function inTransaction<T>(client: PoolClient, lose: (err: unknown) => void, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await fn(client);
    } catch (err) {
      // A session whose ROLLBACK fails may still be inside the transaction: never reuse it.
      await client.query('ROLLBACK').catch(lose);
      throw err;
    }
    const commit = await client.query('COMMIT');
    // COMMIT of a transaction that failed midway (an error `fn` caught and went past) rolls back
    // and says so only in its command tag.
    if (commit.command !== 'COMMIT') throw new Error(`postgres: the transaction was rolled back at COMMIT (${commit.command})`);
    return result;
  }

  return {
    target: target.redacted,
    pool,
    withClient: (fn) => use((client) => fn(client)),
    query: (text, values) => use((client) => client.query(text, values)),
    async transaction(fn, { attempts = TRANSACTION_ATTEMPTS } = {}) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await use((client, lose) => inTransaction(client, lose, fn));
        } catch (err) {
          if (attempt >= attempts || !isRetryable(err)) throw err;
          await backoff(attempt);
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
