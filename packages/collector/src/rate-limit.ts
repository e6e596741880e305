// Rate limits: token buckets in memory, one per client IP and one per write key, checked before
// anything else reads an ingest request. Memory is bounded: a bucket that has refilled is worth
// nothing and is dropped first, and the map never holds more than `maxBuckets` entries, however
// many addresses a flood comes from. Limits are per process: N collectors behind a balancer
// allow N times as much.
import type { Request, RequestHandler } from 'express';
import { allowOrigin, requestWriteKey, type Keyring } from './cors';
import { HttpError } from './errors';

/** Sustained requests per second; 0 turns a limit off. */
export interface RateLimits {
  /** From one client IP (an IPv6 client: its /64, what one household or office gets). */
  perIp: number;
  /** With one write key, from every IP together. */
  perWriteKey: number;
}

/**
 * Requests per second per IP by default. A browser sends about one request per page view (the
 * SDK batches for 2 s), so 50/s carries an office of a few hundred shoppers behind one NAT, or
 * a shop's backend sending server-side batches from the web server's address.
 */
export const DEFAULT_RATE_LIMIT = 50;
/** A write key serves the whole shop: its limit is this many times the per-IP one. */
export const WRITE_KEY_FACTOR = 10;
/** A bucket holds this many seconds of its rate, so bursts (a flush on page hide) pass. */
export const BURST_SECONDS = 2;
/** Buckets kept per limit at most (about 100 bytes each). */
export const MAX_BUCKETS = 100_000;

/** A number is the per-IP rate (the write key gets WRITE_KEY_FACTOR times it); 0 turns both off. */
export function toRateLimits(value: number | RateLimits | undefined): RateLimits {
  if (value === undefined) value = DEFAULT_RATE_LIMIT;
  if (typeof value === 'number') return { perIp: value, perWriteKey: value * WRITE_KEY_FACTOR };
  return value;
}

/** 429 with Retry-After in whole seconds (at least 1, as the SDK and HTTP caches expect). */
export function tooManyRequests(seconds: number, message = 'too many requests; retry after the time in Retry-After'): HttpError {
  return new HttpError(429, 'rate_limited', message, { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });
}

export interface TokenBuckets {
  /** Takes a token of `key`: 0 when there was one, else the seconds until there is (≥ 1). */
  take(key: string): number;
  /** Like take, without taking: 0 when `key` has a token now. */
  wait(key: string): number;
  /** Buckets held now. */
  readonly size: number;
}

export interface TokenBucketOptions {
  /** Tokens added per second. */
  rate: number;
  /** Tokens a bucket holds at most (and starts with). */
  burst: number;
  /** Clock in ms. */
  now: () => number;
  /** @defaultValue MAX_BUCKETS */
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createTokenBuckets(options: TokenBucketOptions): TokenBuckets {
  const { burst, now } = options;
  const perMs = options.rate / 1000;
  const max = Math.max(1, options.maxBuckets ?? MAX_BUCKETS);
  const buckets = new Map<string, Bucket>();

  // A clock that steps back (NTP) refills nothing rather than draining the bucket.
  const level = (b: Bucket, t: number) => Math.min(burst, b.tokens + Math.max(0, t - b.at) * perMs);
  const secondsUntilToken = (tokens: number) => Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));

  // Runs only when the map is full, and frees at least a tenth of it, so its cost per new
  // bucket stays constant. Full buckets go first (dropping them changes no answer); if a flood of
  // live addresses still fills the map, the oldest go: each of them starts afresh with a full
  // bucket, which lets an attacker with that many addresses send one burst more, no worse.
  function makeRoom(t: number): void {
    for (const [key, b] of buckets) if (level(b, t) >= burst) buckets.delete(key);
    const target = Math.floor(max * 0.9);
    for (const key of buckets.keys()) {
      if (buckets.size <= target) break;
      buckets.delete(key);
    }
  }

  return {
    take(key) {
      const t = now();
      const b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= max) makeRoom(t);
        buckets.set(key, { tokens: burst - 1, at: t });
        return 0;
      }
      const tokens = level(b, t);
      b.at = Math.max(b.at, t);
      if (tokens < 1) {
        b.tokens = tokens;
        return secondsUntilToken(tokens);
      }
      b.tokens = tokens - 1;
      return 0;
    },
    wait(key) {
      const b = buckets.get(key);
      if (b === undefined) return 0;
      const tokens = level(b, now());
      return tokens < 1 ? secondsUntilToken(tokens) : 0;
    },
    get size() {
      return buckets.size;
    },
  };
}

/**
 * The key of a client for per-IP limits: the address, or for IPv6 its /64, since one
 * subscriber gets a whole /64 and could otherwise send from 2^64 addresses.
 */
export function clientKey(ip: string | undefined): string {
  if (ip === undefined) return '';
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  const bare = ip.replace(/%.*$/, '').toLowerCase();
  const [head, tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  let groups = left;
  if (tail !== undefined) {
    const right = tail ? tail.split(':') : [];
    // An embedded IPv4 tail (64:ff9b::1.2.3.4) stands for two groups.
    const rightCount = right.length + (right.length && right[right.length - 1].includes('.') ? 1 : 0);
    groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - rightCount)).fill('0'), ...right];
  }
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

export interface IngestRateLimitOptions {
  limits: RateLimits;
  keyring: Keyring;
  /** Paths the limits apply to (the ingest routes); every other request passes untouched. */
  paths: readonly string[];
  now: () => number;
  /** @defaultValue MAX_BUCKETS */
  maxBuckets?: number;
}

/**
 * Middleware for the top of the app, before the ingest fast path. Counts every request to an
 * ingest path per client IP (req.ip: X-Forwarded-For only under 'trust proxy'), and per write
 * key when the key travels in a header or the query string (cors.ts requestWriteKey) and is configured. A key
 * only in the body is counted per IP alone: reading it would mean reading and parsing the body
 * first, the very cost a limit is there to spare. Undefined when both limits are off.
 */
export function ingestRateLimit(options: IngestRateLimitOptions): RequestHandler | undefined {
  const { limits, keyring, now } = options;
  const bucketsFor = (rate: number) =>
    rate > 0 ? createTokenBuckets({ rate, burst: Math.max(1, rate * BURST_SECONDS), now, maxBuckets: options.maxBuckets }) : undefined;
  const perIp = bucketsFor(limits.perIp);
  const perKey = bucketsFor(limits.perWriteKey);
  if (!perIp && !perKey) return undefined;
  const paths = new Set(options.paths);
  // Unknown keys get no bucket of their own (they are refused with 401 anyway): otherwise a
  // flood of made-up keys would fill the map.
  const knownKey = (req: Request) => {
    const key = requestWriteKey(req, undefined);
    return key !== undefined && keyring.has(key) ? key : undefined;
  };

  return (req, res, next) => {
    if (!paths.has(req.path)) return next();
    // The IP first: a client over its own limit must not also drain its shop's key.
    let wait = perIp ? perIp.take(clientKey(req.ip)) : 0;
    if (wait === 0 && perKey) {
      const key = knownKey(req);
      if (key !== undefined) wait = perKey.take(key);
    }
    if (wait === 0) return next();
    // The page must be able to read the 429 and its Retry-After, or the SDK cannot back off as
    // told; the origin is echoed only as the ingest routes would (allowed for this key, or for
    // some key while the key is unknown).
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin) {
      const key = knownKey(req);
      if (key !== undefined ? keyring.allows(key, origin) : keyring.allowsAny(origin)) allowOrigin(res, origin);
    }
    next(tooManyRequests(wait));
  };
}
