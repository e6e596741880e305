// Reading an ingest request's body within its limits: the announced Content-Length is checked
// before a byte is read, the bytes are counted as they arrive (compressed and inflated), and the
// body has a deadline. A request refused before its body is in closes its connection after the
// answer, so that a client cannot keep streaming into it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { closeAfterAnswer, HttpError, payloadTooLarge } from '../errors';

/** Whole-request cap (Segment's), checked on the inflated body. */
export const MAX_BODY_BYTES = 500 * 1024;
/**
 * Cap on a compressed body as sent. JSON compresses, so a body the inflated cap allows is well
 * within it; without it an endless stream of empty deflate blocks, which inflate to nothing,
 * could be sent forever.
 */
export const MAX_ENCODED_BYTES = MAX_BODY_BYTES;

export interface BodyLimits {
  /** @defaultValue MAX_BODY_BYTES */
  maxBytes: number;
  /** @defaultValue MAX_ENCODED_BYTES */
  maxEncodedBytes: number;
  /** @defaultValue DEFAULT_BODY_TIMEOUT_MS (settings.ts) */
  timeoutMs: number;
}

// A Map: the header is the client's, and `constructor` must not find Object's.
const INFLATE = new Map<string, () => zlib.Inflate | zlib.Gunzip | zlib.BrotliDecompress>([
  ['gzip', zlib.createGunzip],
  ['deflate', zlib.createInflate],
  ['br', zlib.createBrotliDecompress],
]);

const unsupportedEncoding = () => new HttpError(415, 'unsupported_encoding', 'unsupported Content-Encoding');
const tooLarge = () => payloadTooLarge('request body is over the limit');

/**
 * Reads the body of `req` (inflating gzip, deflate and br) into one Buffer. Rejects with an
 * HttpError, having marked the answer `Connection: close`: 413 for an announced or received
 * length over the caps (at once, before reading for an announced one), 415 for another encoding,
 * 408 when the body is not in within the deadline, 400 for a body that does not inflate or a
 * client that went away.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] || 'identity').toLowerCase();
  const inflate = encoding === 'identity' ? undefined : INFLATE.get(encoding);
  const rawCap = inflate ? limits.maxEncodedBytes : limits.maxBytes;
  const announced = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  const refuse = (err: HttpError) => {
    closeAfterAnswer(req, res, true);
    return Promise.reject(err);
  };
  if (encoding !== 'identity' && !inflate) return refuse(unsupportedEncoding());
  if (announced !== undefined && announced > rawCap) return refuse(tooLarge());

  return new Promise((resolve, reject) => {
    const inflater = inflate?.();
    // A known length and no encoding: one buffer of that size, filled in place.
    const whole = !inflater && announced !== undefined ? Buffer.allocUnsafe(announced) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let size = 0;
    let settled = false;
    const timer = limits.timeoutMs > 0 ? setTimeout(() => fail(new HttpError(408, 'request_timeout', `the request body did not arrive within ${limits.timeoutMs / 1000} s`)), limits.timeoutMs) : undefined;

    function stop(): void {
      settled = true;
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
    }
    function fail(err: HttpError): void {
      if (settled) return;
      stop();
      inflater?.destroy();
      // Nothing more is read: the socket stops reading once node's small buffer is full, and it
      // closes after the answer.
      req.pause();
      closeAfterAnswer(req, res, true);
      reject(err);
    }
    function done(): void {
      if (settled) return;
      stop();
      resolve(whole ? (size === whole.length ? whole : whole.subarray(0, size)) : Buffer.concat(chunks, size));
    }
    function keep(chunk: Buffer): void {
      size += chunk.length;
      if (size > limits.maxBytes) return fail(tooLarge());
      if (whole) chunk.copy(whole, size - chunk.length);
      else chunks.push(chunk);
    }
    function onData(chunk: Buffer): void {
      received += chunk.length;
      if (received > rawCap) return fail(tooLarge());
      if (!inflater) return keep(chunk);
      // Backpressure: a small body can inflate to a lot before the cap stops it.
      if (!inflater.write(chunk)) {
        req.pause();
        inflater.once('drain', () => req.resume());
      }
    }
    function onEnd(): void {
      if (inflater) inflater.end();
      else done();
    }
    function onAbort(): void {
      if (!req.complete) fail(new HttpError(400, 'request_aborted', 'request aborted'));
    }

    if (inflater) {
      inflater.on('data', (chunk: Buffer) => {
        if (!settled) keep(chunk);
      });
      inflater.once('end', done);
      inflater.once('error', () => fail(new HttpError(400, 'bad_request', 'could not read the request body')));
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}
