// Error classes that carry an HTTP status, and the one middleware that turns any error into the
// JSON shape of the contract: `{ "error": { "code", "message" } }`, never a stack trace.
import type { ErrorRequestHandler } from 'express';
import { errorFields, requestFields, type Logger, type RequestFields } from './log';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Rejection, RejectionLog } from './rejections';
import { requestIdOf } from './request-id';

/** An error whose message is safe to show to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Set on ingest 401/403: what the rejection log needs (rejections.ts). */
    readonly rejection?: Rejection,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, code = 'bad_request') => new HttpError(400, code, message);
export const payloadTooLarge = (message: string, code = 'payload_too_large') => new HttpError(413, code, message);
export const unauthorized = (message: string, rejection?: Rejection) => new HttpError(401, 'unauthorized', message, {}, rejection);
export const forbidden = (message: string, rejection?: Rejection) => new HttpError(403, 'forbidden', message, {}, rejection);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const methodNotAllowed = (allow: string) =>
  new HttpError(405, 'method_not_allowed', `use ${allow}`, { Allow: allow });

/** What an ingest-only process's analytics routes answer; the message names the setting that made it so. */
export const ANALYTICS_OFF_MESSAGE =
  'this collector only ingests (SPUR_ANALYTICS=off / --analytics off): it keeps no analytics cache; send exports, funnels and access requests to a collector with analytics on';

/**
 * An analytics route on an ingest-only process: 503 (this process cannot serve it; another can),
 * without Retry-After, since retrying here never helps.
 */
export const analyticsOff = () => new HttpError(503, 'analytics_off', ANALYTICS_OFF_MESSAGE);

/** Seconds a client should wait before retrying when storage is down; the SDK backs off anyway. */
export const RETRY_AFTER_SECONDS = 5;

/** Why storage cannot take writes; named by /readyz and in logs. */
export type StorageFailure =
  | 'disk_full' // the file system (or the configured size cap) has no room
  | 'read_only' // the database file or its file system is read-only
  | 'locked' // another connection held the write lock past the busy timeout
  | 'io_error' // the disk reported an I/O error (also: a file made read-only while open)
  | 'corrupt' // the file is not a healthy SQLite database
  | 'closed' // the collector is shutting down
  | 'starting' // the database is still opening (after an unclean stop: reading its WAL back in)
  | 'unavailable'; // anything else the database refused

/**
 * Thrown by a storage backend when the database cannot take or answer a request (busy, full,
 * read-only, closed). Always answered 503 with Retry-After: a 2xx would promise durability we lack.
 */
export class StorageUnavailableError extends Error {
  /** The kind of failure, for /readyz and logs. @defaultValue 'unavailable' */
  readonly reason: StorageFailure;

  constructor(message: string, options?: { cause?: unknown; reason?: StorageFailure }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
    this.reason = options?.reason ?? 'unavailable';
  }
}

/**
 * A refused request whose body is at most this long is read to its end, so that its connection
 * (a browser's kept-alive one) serves the next request; a longer or chunked one is not read at
 * all and the connection closes after the answer.
 */
export const DRAIN_BYTES = 64 * 1024;

/**
 * Marks the answer to a request whose body has not all arrived `Connection: close`, unless the
 * rest is small (DRAIN_BYTES), and closes the connection as soon as the answer is written:
 * node would otherwise read the rest of the body meanwhile (a flood's refused requests cost
 * reading 200 KB each that way).
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse, always = false): void {
  if (res.headersSent || (req.complete && !always)) return;
  const length = Number(req.headers['content-length']);
  const small = req.headers['transfer-encoding'] === undefined && Number.isFinite(length) && length <= DRAIN_BYTES;
  if (small && !always) return;
  res.setHeader('Connection', 'close');
  // After node's own 'finish' listener, which resumes the request to discard its body: the
  // socket is gone before any of it is read.
  res.once('finish', () => req.socket.destroy());
}

// body-parser reports its failures as http-errors with a `type`; map the ones a client can cause.
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'request body is over the limit' },
  'encoding.unsupported': { status: 415, code: 'unsupported_encoding', message: 'unsupported Content-Encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_charset', message: 'unsupported charset' },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'request aborted' },
  'request.size.invalid': { status: 400, code: 'bad_request', message: 'request size did not match Content-Length' },
};

function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof StorageUnavailableError) {
    return new HttpError(503, 'storage_unavailable', 'storage is unavailable, retry later', {
      'Retry-After': String(RETRY_AFTER_SECONDS),
    });
  }
  const e = err as { type?: unknown; status?: unknown } | null;
  if (e && typeof e.type === 'string' && BODY_ERRORS[e.type]) {
    const { status, code, message } = BODY_ERRORS[e.type];
    return new HttpError(status, code, message);
  }
  // Other body stream failures (e.g. corrupt gzip) surface as 4xx http-errors without a known type.
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_request', 'could not read the request body');
  }
  return null;
}

/** Where requests refused because storage is unavailable are reported (jobs/storage-watch.ts). */
export interface StorageFailureLog {
  /** A request failed with `err` (answered 503); `fields` name the request. */
  failed(err: StorageUnavailableError, fields: RequestFields): void;
}

export interface ErrorMiddlewareDeps {
  logger: Logger;
  /** Logs ingest rejections, at most one line per write key and origin per minute. */
  rejections: RejectionLog;
  /** Logs storage becoming unavailable and available again. */
  storage: StorageFailureLog;
  /** Counts each request refused because of storage, by reason (the metrics). */
  storageFailed?: (reason: StorageFailure) => void;
}

/**
 * The single error middleware. Server-side failures (5xx) are logged with the request's id,
 * method and path; the stack only for unexpected errors or at debug level. Ingest rejections go
 * to the rate-limited rejection log; other client mistakes are logged at debug level only.
 */
export function errorMiddleware(deps: ErrorMiddlewareDeps): ErrorRequestHandler {
  const { logger } = deps;
  return (err, req, res, _next) => {
    const fields = requestFields(req, requestIdOf(res));
    if (res.headersSent) {
      // A streamed answer failed midway: a status can no longer say so; a cut connection does.
      logger.error({ ...fields, ...errorFields(err, true) }, 'answer failed after it started');
      if (!res.destroyed) res.destroy();
      return;
    }
    const http = toHttpError(err);
    const answer = http ?? new HttpError(500, 'internal', 'internal error');
    if (err instanceof StorageUnavailableError) {
      deps.storage.failed(err, fields);
      deps.storageFailed?.(err.reason);
    }    else if (!http) logger.error({ ...fields, code: answer.code, ...errorFields(err, true) }, 'internal error');
    else if (http.status >= 500) logger.error({ ...fields, code: http.code, ...errorFields(err, logger.isLevelEnabled('debug')) }, 'server error');
    else if (http.rejection) deps.rejections.record(http.rejection, { ...fields, origin: req.get('origin') });
    else if (logger.isLevelEnabled('debug')) logger.debug({ ...fields, status: http.status, code: http.code, message: http.message }, 'request refused');
    // A body still arriving (a 404 for an unknown path, say) is not read to its end for the answer.
    closeAfterAnswer(req, res);
    res.status(answer.status).set(answer.headers).json({ error: { code: answer.code, message: answer.message } });
  };
}
