// How PostgreSQL failures become StorageUnavailableError (503 with Retry-After on ingest, the
// reason named by /readyz): the server down or unreachable, sessions ended by a shutdown, a full
// disk, a read-only server, too many connections, lock conflicts. Anything else (a syntax error, a
// constraint the code should have respected) is a bug and surfaces as one (500).
import { StorageUnavailableError, type StorageFailure } from '../../errors';

/** A storage failure from PostgreSQL, with its SQLSTATE or socket error code. */
export class PostgresUnavailableError extends StorageUnavailableError {
  /** SQLSTATE (`53100`) or the socket's error code (`ECONNREFUSED`); absent for the driver's own. */
  readonly code?: string;
  /**
   * True for a serialization failure or a deadlock (40001, 40P01): PostgreSQL rolled the
   * transaction back so that another could go on, and running it again is expected to succeed.
   */
  readonly retryable: boolean;
  /** True when the session is gone with it (its connection must not be reused). */
  readonly connectionLost: boolean;

  constructor(message: string, options: { cause: unknown; reason: StorageFailure; code?: string; retryable: boolean; connectionLost: boolean }) {
    super(message, { cause: options.cause, reason: options.reason });
    this.name = 'PostgresUnavailableError';
    if (options.code !== undefined) this.code = options.code;
    this.retryable = options.retryable;
    this.connectionLost = options.connectionLost;
  }
}

interface Kind {
  reason: StorageFailure;
  retryable?: boolean;
  connectionLost?: boolean;
  /** Said in the message, where the SQLSTATE alone would not tell an operator. */
  what: string;
}

const LOST = { reason: 'unavailable', connectionLost: true } as const;

/** By SQLSTATE: https://www.postgresql.org/docs/current/errcodes-appendix.html */
const SQLSTATES: Record<string, Kind> = {
  '53100': { reason: 'disk_full', what: 'the database server has no disk space left' },
  '25006': { reason: 'read_only', what: 'the database only takes reads (a standby, or default_transaction_read_only)' },
  '40001': { reason: 'locked', retryable: true, what: 'serialization failure' },
  '40P01': { reason: 'locked', retryable: true, what: 'deadlock' },
  '55P03': { reason: 'locked', what: 'a lock was not available in time' },
  '53300': { reason: 'unavailable', what: 'too many connections' },
  '53200': { reason: 'unavailable', what: 'the database server is out of memory' },
  '53400': { reason: 'unavailable', what: 'a configured limit was exceeded' },
  '57014': { reason: 'unavailable', what: 'the statement timed out or was cancelled' },
  '57P01': { ...LOST, what: 'the server is shutting down or ended the session (admin shutdown)' },
  '57P02': { ...LOST, what: 'the server crashed (crash shutdown)' },
  '57P03': { ...LOST, what: 'the server cannot take connections now (starting up, shutting down or in recovery)' },
  '57P05': { ...LOST, what: 'the session was idle too long' },
  '25P03': { ...LOST, what: 'the session was idle in a transaction too long' },
  '3D000': { ...LOST, what: 'the database does not exist' },
  '58030': { reason: 'io_error', what: 'the database server reported an I/O error' },
  XX001: { reason: 'corrupt', what: 'data corrupted' },
  XX002: { reason: 'corrupt', what: 'index corrupted' },
};

/** By SQLSTATE class, for codes not listed above. */
const CLASSES: Record<string, Kind> = {
  '08': { ...LOST, what: 'connection failure' },
  '28': { ...LOST, what: 'the server refused the login (user or password)' },
  '58': { reason: 'io_error', what: 'system error on the database server' },
};

/** Socket errors: the server is down, unreachable or not there. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
  'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'ENOENT', // ENOENT: no unix socket file
]);

/** The driver's own failures, by message: a connection ended, timed out, or the pool closed. */
const DRIVER_MESSAGES: [RegExp, Kind][] = [
  [/after calling end on the pool|pool is (ended|closed)/i, { reason: 'closed', what: 'the connection pool is closed' }],
  [/timeout exceeded when trying to connect|connection timeout/i, { ...LOST, what: 'no connection within the connection timeout' }],
  [/Query read timeout/i, { ...LOST, what: 'no answer within the query timeout' }],
  [/Connection terminated|not queryable|Connection ended/i, { ...LOST, what: 'the connection ended' }],
];

function kindOf(err: unknown): { kind: Kind; code?: string } | null {
  // Not `instanceof Error`: node's socket errors come from another realm under a test runner.
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = SQLSTATES[code] ?? CLASSES[code.slice(0, 2)];
    return kind ? { kind, code } : null;
  }
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return { kind: { ...LOST, what: 'cannot reach the database server' }, code };
  const text = String((err as { message?: unknown }).message ?? '');
  const message = DRIVER_MESSAGES.find(([pattern]) => pattern.test(text));
  return message ? { kind: message[1] } : null;
}

/**
 * A PostgreSQL failure as PostgresUnavailableError (`what` names the operation, for the message);
 * null for an error that is no storage failure but a bug. Never includes the password: neither
 * the server's messages nor the driver's carry it.
 */
export function toPostgresError(what: string, err: unknown): PostgresUnavailableError | null {
  if (err instanceof PostgresUnavailableError) return err;
  const found = kindOf(err);
  if (!found) return null;
  const { kind, code } = found;
  const { message, name } = err as { message?: unknown; name?: unknown };
  const detail = String(message || name || 'error');
  return new PostgresUnavailableError(`postgres ${what} failed: ${kind.what} (${code ? `${code}: ` : ''}${detail})`, {
    cause: err,
    reason: kind.reason,
    ...(code !== undefined && { code }),
    retryable: kind.retryable === true,
    connectionLost: kind.connectionLost === true,
  });
}

/** True when `err` (mapped or not) says the transaction may simply be run again. */
export function isRetryable(err: unknown): boolean {
  return toPostgresError('transaction', err)?.retryable === true;
}
