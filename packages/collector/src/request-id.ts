// Request ids: every answer carries X-Request-Id, and every log line about a request names it,
// so that a client's report ("my batch got a 503") leads to the line that says why. A proxy's
// or client's own id is kept when it is sane; otherwise the collector makes one.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { requestFields, type Logger } from './log';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * An incoming id that is kept: 1 to 64 letters, digits, `.`, `_`, `:` or `-` (UUIDs, ULIDs and
 * the ids of common proxies fit). Anything else would let a client put arbitrary text into
 * logs and answer headers; it is replaced.
 */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of the request `res` answers, once assignRequestIds has run. */
export function requestIdOf(res: ServerResponse): string | undefined {
  const id = res.getHeader(REQUEST_ID_HEADER);
  return typeof id === 'string' ? id : undefined;
}

/**
 * Mounted first: takes or makes the request's id and sets it on the answer (the answer header is
 * where later code reads it, so a request carries nothing extra). At debug level it also logs
 * each request once answered; at info and above that costs one level check.
 */
export function assignRequestIds(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, id);
    if (logger.isLevelEnabled('debug')) {
      const start = process.hrtime.bigint();
      res.once('finish', () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        logger.debug({ ...requestFields(req, id), status: res.statusCode, ms: Math.round(ms * 1000) / 1000 }, 'request');
      });
    }
    next();
  };
}
