// The limits of ingest that depend on who sends: requests and events per second, per client
// address and per write key, and how many rejected events are stored. Requests are counted
// before anything reads a request; events once its body is parsed, since only then is their
// number known. A client whose events outran its limit is in debt, and every request of it is
// refused at once, before its body is read, until the debt is paid back at the rate.
import type { Request, RequestHandler, Response } from 'express';
import { allowOrigin, requestWriteKey, type Keyring } from '../cors';
import { minimizeIp, type IpMode } from '../ip';
import type { LimitLog } from '../limit-log';
import { BURST_SECONDS, clientKey, createTokenBuckets, retryAfterSeconds, tooManyRequests, type RateLimits, type TokenBuckets } from '../rate-limit';
import { closeAfterAnswer } from '../errors';
import type { RejectedEvent } from '../storage/types';

/** An event counts against the rejected cap once per 4 KiB begun, so the cap bounds bytes too. */
export const REJECTED_UNIT_BYTES = 4096;

export interface IngestLimitsOptions {
  /** Requests per second. */
  requests: RateLimits;
  /** Events per second. */
  events: RateLimits;
  /** Rejected events stored per hour. */
  rejected: RateLimits;
  keyring: Keyring;
  now: () => number;
  /** What is logged of a client address: what the IP setting stores of it. */
  ipMode: IpMode;
  log: LimitLog;
  /** Whether a request is for an ingest route (routes/ingest-paths.ts ingestRoute): only those are admitted here. */
  isIngest: (req: Request) => boolean;
  /** @defaultValue MAX_BUCKETS */
  maxBuckets?: number;
}

/**
 * Who sends a batch, as the limits see it: the address its events are charged to, and what the
 * log names (an ingest request satisfies it; an importer names itself).
 */
export interface IngestClient {
  ip?: string;
  method: string;
  path: string;
}

export interface IngestLimits {
  /**
   * Middleware for the top of the app: on an ingest route, a request over its request rate, or
   * whose address or header write key is in event debt, is answered 429 at once, unread.
   */
  admit: RequestHandler;
  /** Charges a parsed request's events to its address; throws 429 when it is in debt already. */
  chargeAddress(client: IngestClient, events: number): void;
  /** Charges them to its (configured) write key likewise. */
  chargeWriteKey(client: IngestClient, writeKey: string, events: number): void;
  /** The rejected events that may be stored; the others are counted and logged. */
  storable(client: IngestClient, writeKey: string, rows: RejectedEvent[]): RejectedEvent[];
}

const HOUR_SECONDS = 3600;

export function createIngestLimits(options: IngestLimitsOptions): IngestLimits {
  const { keyring, now, log } = options;
  const buckets = (perSecond: number, burst: number) =>
    perSecond > 0 ? createTokenBuckets({ rate: perSecond, burst: Math.max(1, burst), now, maxBuckets: options.maxBuckets }) : undefined;
  const perSecond = (rate: number) => buckets(rate, rate * BURST_SECONDS);
  const perHour = (cap: number) => buckets(cap / HOUR_SECONDS, cap);
  const requests = { ip: perSecond(options.requests.perIp), key: perSecond(options.requests.perWriteKey) };
  const events = { ip: perSecond(options.events.perIp), key: perSecond(options.events.perWriteKey) };
  const rejected = { ip: perHour(options.rejected.perIp), key: perHour(options.rejected.perWriteKey) };

  const address = (client: IngestClient) => minimizeIp(client.ip, options.ipMode);
  // Unknown keys get no bucket of their own (they are refused with 401 anyway): otherwise a
  // flood of made-up keys would fill the map.
  const knownKey = (req: Request) => {
    const key = requestWriteKey(req, undefined);
    return key !== undefined && keyring.has(key) ? key : undefined;
  };

  interface Refusal {
    limit: 'requests' | 'events';
    by: 'ip' | 'writeKey';
    key?: string;
    wait: number;
  }

  // Logged once a minute per address or key (limit-log.ts); the 429 says the rest.
  function refusal(req: IngestClient, refused: Refusal): string {
    const { limit, by, key } = refused;
    log.record('ingest rate limited', by === 'ip' ? { address: address(req) } : { writeKey: key }, 1, { limit, by, method: req.method, path: req.path });
    return `too many ${limit} from this ${by === 'ip' ? 'address' : 'write key'}; retry after the time in Retry-After`;
  }

  // The page must be able to read the 429 and its Retry-After, or the SDK cannot back off as
  // told; the origin is echoed only as the ingest routes would (allowed for this key, or for
  // some key while the key is unknown).
  function corsForRefusal(req: Request, res: Response): void {
    res.vary('Origin');
    const origin = req.get('origin');
    if (!origin) return;
    const key = knownKey(req);
    if (key !== undefined ? keyring.allows(key, origin) : keyring.allowsAny(origin)) allowOrigin(res, origin);
  }

  function check(req: Request): Refusal | undefined {
    const ip = clientKey(req.ip);
    // The IP first: a client over its own limit must not also drain its shop's key.
    let wait = requests.ip?.take(ip) ?? 0;
    if (wait > 0) return { limit: 'requests', by: 'ip', wait };
    wait = events.ip?.wait(ip) ?? 0;
    if (wait > 0) return { limit: 'events', by: 'ip', wait };
    if (!requests.key && !events.key) return undefined;
    const key = knownKey(req);
    if (key === undefined) return undefined;
    wait = events.key?.wait(key) ?? 0;
    if (wait > 0) return { limit: 'events', by: 'writeKey', key, wait };
    wait = requests.key?.take(key) ?? 0;
    if (wait > 0) return { limit: 'requests', by: 'writeKey', key, wait };
    return undefined;
  }

  function charge(req: IngestClient, buckets: TokenBuckets | undefined, refused: Omit<Refusal, 'wait'>, count: number): void {
    const wait = buckets?.take(refused.by === 'ip' ? clientKey(req.ip) : refused.key!, count) ?? 0;
    if (wait === 0) return;
    throw tooManyRequests(wait, refusal(req, { ...refused, wait }));
  }

  const anyOn = [requests, events].some((pair) => pair.ip || pair.key);
  return {
    admit(req, res, next) {
      if (!anyOn || !options.isIngest(req)) return next();
      const refused = check(req);
      if (refused === undefined) return next();
      // Answered here rather than through the error middleware: a flood is mostly these, and an
      // Error with its stack and Express's error path cost more than the refusal itself.
      const json = JSON.stringify({ error: { code: 'rate_limited', message: refusal(req, refused) } });
      corsForRefusal(req, res);
      closeAfterAnswer(req, res);
      res.statusCode = 429;
      res.setHeader('Retry-After', retryAfterSeconds(refused.wait));
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(json));
      res.end(json);
    },
    chargeAddress(req, count) {
      charge(req, events.ip, { limit: 'events', by: 'ip' }, count);
    },
    chargeWriteKey(req, key, count) {
      charge(req, events.key, { limit: 'events', by: 'writeKey', key }, count);
    },
    storable(req, writeKey, rows) {
      if (rows.length === 0 || (!rejected.ip && !rejected.key)) return rows;
      const units = rows.map((row) => Math.max(1, Math.ceil(Buffer.byteLength(row.raw) / REJECTED_UNIT_BYTES)));
      const ip = clientKey(req.ip);
      const byIp = rejected.ip ? rejected.ip.available(ip) : Infinity;
      const byKey = rejected.key ? rejected.key.available(writeKey) : Infinity;
      // Rows in order while both allow them; each limit is charged only for rows stored.
      let room = Math.min(byIp, byKey);
      let used = 0;
      const keep: RejectedEvent[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (units[i] > room) continue;
        room -= units[i];
        used += units[i];
        keep.push(rows[i]);
      }
      if (used > 0) {
        rejected.ip?.take(ip, used);
        rejected.key?.take(writeKey, used);
      }
      const dropped = rows.length - keep.length;
      if (dropped > 0) {
        const subject = byIp < byKey ? { address: address(req) } : { writeKey };
        log.record('rejected events not stored (over the cap)', subject, dropped, {
          by: byIp < byKey ? 'ip' : 'writeKey',
          capPerHour: byIp < byKey ? options.rejected.perIp : options.rejected.perWriteKey,
          method: req.method,
          path: req.path,
        });
      }
      return keep;
    },
  };
}
