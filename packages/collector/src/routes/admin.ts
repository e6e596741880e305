// The admin API (read side). Bearer admin token only: a write key is public (it sits in every
// shop page) and must never read data.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import { badRequest, HttpError, notFound } from '../errors';
import { clientKey, createTokenBuckets, tooManyRequests, type TokenBuckets } from '../rate-limit';
import type { Store } from '../rules/store';

export interface AdminDeps {
  storage: Store;
}

/**
 * Path prefixes of every admin router (profiles, exports, customers, insights, saved funnels, live
 * events, privacy, settings, imports), guarded as a whole by the access guard in app.ts (routes/access.ts),
 * so that a router mounted there later is covered without opting in. The routers themselves check
 * nothing: they are only ever mounted behind the guard.
 */
export const ADMIN_PATHS = ['/v1/profiles', '/v1/exports', '/v1/customers', '/v1/insights', '/v1/funnels', '/v1/live', '/v1/privacy', '/v1/settings', '/v1/import', '/v1/webhooks'];

/**
 * Those of ADMIN_PATHS a dashboard session reaches only with the admin role: the data subject
 * tools, the settings, imports and the webhooks. A viewer's session reaches the others; the admin
 * token reaches all.
 */
export const ADMIN_ONLY_PATHS = ['/v1/privacy', '/v1/settings', '/v1/import', '/v1/webhooks'];

/** Failed admin logins allowed per client IP: this many at once, then one per 60/this seconds. */
export const ADMIN_FAILURES_PER_MINUTE = 10;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

const unauthorized = (message: string) =>
  new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="spur admin"' });

export interface RequireAdminOptions {
  /** Failed attempts per client IP; an IP without a token left is refused 429 before its token is even compared. */
  failures?: TokenBuckets;
  /** A second token accepted too (SPUR_METRICS_TOKEN, on /metrics only). */
  otherToken?: string;
  /** Told of each 429 for too many failures (the metrics). */
  onLimited?: () => void;
  /** The 401's message for a request without any token. @defaultValue 'admin token required' */
  withoutToken?: string;
}

/**
 * Only `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235); never a query
 * parameter, which would end up in logs and browser history. Compares SHA-256 hashes, which are
 * always of equal length, in constant time, so timing reveals neither the token nor its length.
 */
export function requireAdmin(adminToken: string | undefined, options: RequireAdminOptions = {}): RequestHandler {
  const expected = [adminToken, options.otherToken].filter((t): t is string => !!t).map(sha256);
  const { failures } = options;
  // Every token is compared, so that the time does not tell which one matched.
  const matches = (given: Buffer) => expected.reduce((found, token) => timingSafeEqual(given, token) || found, false);
  return (req, _res, next) => {
    if (expected.length === 0) throw unauthorized('the admin API is disabled: no admin token is configured');
    const client = clientKey(req.ip);
    // Checked before the token: answering a blocked client according to its token would let it go on guessing.
    const wait = failures ? failures.wait(client) : 0;
    if (wait > 0) {
      options.onLimited?.();
      throw tooManyRequests(wait, 'too many failed admin logins from this address; retry after the time in Retry-After');
    }
    const header = req.get('authorization');
    // Only a token offered counts as a failed login: a page whose session ended is no guesser.
    if (header === undefined) throw unauthorized(options.withoutToken ?? 'admin token required');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!bearer || !matches(sha256(bearer[1]))) {
      failures?.take(client);
      throw unauthorized('admin token required');
    }
    next();
  };
}

// The admin API answers JSON and CSV to scripts, never pages to a browser: nothing may run,
// be framed or be sniffed as another type, no Referer leaks, and personal data is not cached.
// Not on ingest or /spur.js, which are cross-origin by design and set their own CORS and
// caching headers (a CORP of same-origin would stop shop pages from loading /spur.js).
export const adminHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
  xFrameOptions: { action: 'deny' },
});

export interface AdminGuardOptions extends RequireAdminOptions {
  adminToken?: string;
  now: () => number;
}

/**
 * Failed admin logins per client IP: ADMIN_FAILURES_PER_MINUTE. One set for every guard of a
 * collector, so that a second guarded path (/metrics) gives a guesser no allowance of its own.
 */
export const adminFailures = (now: () => number): TokenBuckets =>
  createTokenBuckets({ rate: ADMIN_FAILURES_PER_MINUTE / 60, burst: ADMIN_FAILURES_PER_MINUTE, now });

/**
 * Security headers and the admin token check for everything under ADMIN_PATHS, with failed
 * attempts limited to ADMIN_FAILURES_PER_MINUTE per client IP against guessing the token.
 */
export function adminGuard(options: AdminGuardOptions): RequestHandler[] {
  const failures = options.failures ?? adminFailures(options.now);
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  return [adminHeaders, noStore, requireAdmin(options.adminToken, { ...options, failures })];
}

function parseLimit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,8}$/.test(value)) throw badRequest('limit must be a positive integer');
  return Number(value);
}

export function createAdminRouter(deps: AdminDeps): Router {
  const { storage } = deps;
  const router = Router();
  router.get('/v1/profiles/:id', async (req, res) => {
    const profile = await storage.getProfile(req.params.id);
    if (!profile) throw notFound('no profile with this id');
    res.json(profile);
  });

  router.get('/v1/profiles/:id/events', async (req, res) => {
    const limit = parseLimit(req.query.limit);
    const events = await storage.getProfileEvents(req.params.id, { limit });
    if (!events) throw notFound('no profile with this id');
    res.json({ events });
  });
  return router;
}
