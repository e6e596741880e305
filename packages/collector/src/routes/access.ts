// Who may call the admin API: a script with the admin token (Bearer), or a person signed in to the
// dashboard whose session cookie carries a role that may use the route. The token is the master
// key (every route); a viewer's session reads figures and exports; only an admin's session reaches
// the data subject tools and the settings.
//
// A session rides on a cookie the browser sends by itself, so every change made with one (any
// method but GET and HEAD) must also prove it comes from the dashboard's own page: the session's
// CSRF token in the X-Spur-CSRF header (or a `csrf` form field), and, when the browser says where
// the request comes from (Origin, Sec-Fetch-Site), the collector's own origin. A Bearer request
// needs neither: no browser attaches a token by itself.
import type { Request, RequestHandler, Response } from 'express';
import { csrfMatches, resumeSession, sessionCookieName, type SignedIn } from '../accounts/sessions';
import { forbidden, HttpError } from '../errors';
import type { TokenBuckets } from '../rate-limit';
import type { AccountStorage, Role } from '../storage/accounts';
import { adminHeaders, requireAdmin } from './admin';

/** The header the dashboard's page sends its CSRF token in. */
export const CSRF_HEADER = 'X-Spur-CSRF';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AccessOptions {
  /** Where accounts and sessions are (read at each request: storage may still be opening). */
  storage: { readonly accounts: AccountStorage };
  adminToken?: string;
  now: () => number;
  /** Failed admin tokens per client IP (shared with /metrics). */
  failures: TokenBuckets;
  onLimited?: () => void;
}

/** The session token the request's cookie carries, under the name its scheme uses. */
export function sessionToken(req: Request): string | undefined {
  const value: unknown = (req.cookies as Record<string, unknown> | undefined)?.[sessionCookieName(req.secure)];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The person signed in on this request, if any (read once per request). */
export async function signedInOf(req: Request, res: Response, accounts: AccountStorage, now: number): Promise<SignedIn | undefined> {
  if ('signedIn' in res.locals) return res.locals.signedIn as SignedIn | undefined;
  const token = sessionToken(req);
  const signedIn = token === undefined ? undefined : await resumeSession(accounts, token, now);
  res.locals.signedIn = signedIn;
  return signedIn;
}

/** The origin this request reached, as the browser names it (behind a trusted proxy: the proxy's). */
export const ownOrigin = (req: Request) => `${req.protocol}://${req.host}`;

/**
 * Whether a browser says the request comes from a page of the collector's own origin. A client
 * that sends neither header (not a browser) is not refused here: what it must prove is asked
 * elsewhere (the CSRF token; for a sign-in, nothing, since it carries no credentials yet).
 */
export function fromOwnOrigin(req: Request): boolean {
  // Sec-Fetch-Site is set by the browser alone (no page can forge it) and is there even where the
  // Origin is `null` (a form posted under a no-referrer policy): it decides when it is sent.
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = req.get('origin');
  return origin === undefined || origin === ownOrigin(req);
}

/** Refuses a change made with a session without the session's CSRF token or from another origin. */
export function checkCsrf(req: Request, signedIn: SignedIn): void {
  const given = req.get(CSRF_HEADER) ?? (req.body as Record<string, unknown> | undefined)?.csrf;
  if (!csrfMatches(signedIn.token, given)) {
    throw new HttpError(403, 'csrf', `a change made with a dashboard session needs its CSRF token in ${CSRF_HEADER}`);
  }
  if (!fromOwnOrigin(req)) throw new HttpError(403, 'csrf', 'a change made with a dashboard session must come from the dashboard’s own origin');
}

/**
 * Guards routes for `role`: security headers, no caching, then the admin token (Authorization
 * header) or a session whose role may use them (with the CSRF checks for changes). A request with
 * neither is 401; a viewer's session on an admin route is 403.
 */
export function accessGuard(role: Role, options: AccessOptions): RequestHandler[] {
  const token = requireAdmin(options.adminToken, { failures: options.failures, onLimited: options.onLimited, withoutToken: 'sign in to the dashboard, or send the admin token as Bearer' });
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  const check: RequestHandler = async (req, res, next) => {
    // A request that names a token is judged by it alone (and counts as a failed login when wrong).
    if (req.get('authorization') !== undefined || sessionToken(req) === undefined) return token(req, res, next);
    const signedIn = await signedInOf(req, res, options.storage.accounts, options.now());
    if (!signedIn) return token(req, res, next);
    if (role === 'admin' && signedIn.role !== 'admin') throw forbidden('only an admin may use this: it reads or erases personal data, or changes settings');
    if (!SAFE_METHODS.has(req.method)) checkCsrf(req, signedIn);
    next();
  };
  return [adminHeaders, noStore, check];
}
