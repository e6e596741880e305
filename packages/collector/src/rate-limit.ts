// Rate limits: token buckets in memory, keyed by client IP or write key (ingest/limits.ts puts
// them to use). Memory is bounded: a bucket that has refilled is worth nothing and is dropped
// first, and the map never holds more than `maxBuckets` entries, however many addresses a flood
// comes from. Limits are per process: N collectors behind a balancer allow N times as much.
import { HttpError } from './errors';
import { DEFAULT_RATE_LIMIT, WRITE_KEY_FACTOR, type RateLimits } from './settings';

export type { RateLimits } from './settings';

/** A bucket holds this many seconds of its rate, so bursts (a flush on page hide) pass. */
export const BURST_SECONDS = 2;
/** Buckets kept per limit at most (about 100 bytes each). */
export const MAX_BUCKETS = 100_000;

/**
 * A number is the per-IP rate (the write key gets WRITE_KEY_FACTOR times it); 0 turns both off;
 * undefined is `fallback`.
 */
export function toRateLimits(value: number | RateLimits | undefined, fallback = DEFAULT_RATE_LIMIT): RateLimits {
  if (value === undefined) value = fallback;
  if (typeof value === 'number') return { perIp: value, perWriteKey: value * WRITE_KEY_FACTOR };
  return value;
}

/** Retry-After in whole seconds: at least 1, as the SDK and HTTP caches expect. */
export const retryAfterSeconds = (seconds: number) => String(Math.max(1, Math.ceil(seconds)));

/** 429 with Retry-After. */
export function tooManyRequests(seconds: number, message = 'too many requests; retry after the time in Retry-After'): HttpError {
  return new HttpError(429, 'rate_limited', message, { 'Retry-After': retryAfterSeconds(seconds) });
}

export interface TokenBuckets {
  /**
   * Takes `amount` tokens (default 1) of `key` when it has at least one: 0 then, else the
   * seconds until it has (≥ 1). More than it holds leaves it in debt, paid back at the rate
   * before it takes again: an ingest request's events are charged once its body is parsed.
   */
  take(key: string, amount?: number): number;
  /** The whole tokens `key` has now (a full bucket's for a key never seen), taking none. */
  available(key: string): number;
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

  // The bucket of `key` brought up to now, made (full) when there is none.
  function bucket(key: string, t: number): Bucket {
    let b = buckets.get(key);
    if (b === undefined) {
      if (buckets.size >= max) makeRoom(t);
      b = { tokens: burst, at: t };
      buckets.set(key, b);
      return b;
    }
    b.tokens = level(b, t);
    b.at = Math.max(b.at, t);
    return b;
  }

  return {
    take(key, amount = 1) {
      const b = bucket(key, now());
      if (b.tokens < 1) return secondsUntilToken(b.tokens);
      b.tokens -= amount;
      return 0;
    },
    available(key) {
      const b = buckets.get(key);
      return Math.max(0, Math.floor(b === undefined ? burst : level(b, now())));
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
