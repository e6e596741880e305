// First-party re-issue of the visitor id. Safari caps cookies set by script (document.cookie) at
// 7 days; a cookie set by the server in an HTTP response of the same site is not capped. When
// the collector is reached same-site with the shop (mounted in the shop's app, or behind a path
// of the shop's own domain), it sends spur_aid back as a server-set cookie with the same value.
import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';

/** The SDK's visitor id cookie. */
export const VISITOR_COOKIE = 'spur_aid';
/** 400 days, the longest expiry browsers accept (RFC 6265bis), as the SDK sets it. */
export const VISITOR_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

// The SDK's ids are UUIDs; anything else is never reflected into a Set-Cookie.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
}

/**
 * True when two host names belong to the same site. A simple rule, not the Public Suffix List:
 * IP addresses, localhost and single-label names must match exactly; other names match on their
 * last two labels (www.shop.example ~ collector.shop.example). So shop.co.uk and other.co.uk
 * count as one site, and so do two github.io pages: such a shop should rely on browsers'
 * Sec-Fetch-Site (sent by all current ones), which is checked first and is exact.
 */
export function sameSite(a: string, b: string): boolean {
  const x = normalizeHost(a);
  const y = normalizeHost(b);
  if (x === y) return true;
  if (isIP(x) || isIP(y)) return false;
  const site = (host: string) => host.split('.').slice(-2).join('.');
  if (!x.includes('.') || !y.includes('.')) return false;
  return site(x) === site(y);
}

/**
 * True when the request comes from a page of the collector's own site: `Sec-Fetch-Site` is
 * same-origin or same-site, or, from browsers that do not send it, the Origin (else Referer)
 * host is the same site as the request's host (X-Forwarded-Host only when 'trust proxy' is set).
 */
export function isSameSiteRequest(req: Request): boolean {
  const fetchSite = req.get('sec-fetch-site');
  if (fetchSite) return fetchSite === 'same-origin' || fetchSite === 'same-site';
  const source = req.get('origin') ?? req.get('referer');
  if (!source || source === 'null') return false;
  let sourceHost: string;
  try {
    sourceHost = new URL(source).hostname;
  } catch {
    return false;
  }
  const ownHost = req.hostname;
  return Boolean(ownHost) && sameSite(sourceHost, ownHost);
}

/** The SDK's cookie that keeps the visitor's consent choice ('granted' or 'denied'). */
export const CONSENT_COOKIE = 'spur_consent';

export interface VisitorCookieOptions {
  /** Domain attribute (e.g. shop.example to share with subdomains). @defaultValue host-only */
  cookieDomain?: string;
  /**
   * 'honor': a request with `Sec-GPC: 1` gets no cookie unless the visitor granted consent on the
   * site (`spur_consent=granted`), as its events are not stored either. @defaultValue 'honor'
   */
  gpc?: 'honor' | 'ignore';
}

/**
 * Middleware for ingest requests: re-issues a UUID spur_aid cookie on same-site requests as
 * `spur_aid=<id>; Max-Age=34560000; Path=/; SameSite=Lax` (+ Secure on https, + Domain when
 * configured). Not HttpOnly: the SDK reads it. Cross-site requests never get it, nor do
 * requests whose visitor said no (`spur_consent=denied`, or GPC without a grant on the site).
 */
export function reissueVisitorCookie(options: VisitorCookieOptions = {}): RequestHandler {
  return (req, res, next) => {
    const id: unknown = req.cookies?.[VISITOR_COOKIE];
    const consent: unknown = req.cookies?.[CONSENT_COOKIE];
    const gpcDenies = options.gpc !== 'ignore' && req.get('sec-gpc')?.trim() === '1' && consent !== 'granted';
    if (typeof id === 'string' && UUID.test(id) && consent !== 'denied' && !gpcDenies && isSameSiteRequest(req)) {
      res.cookie(VISITOR_COOKIE, id, {
        maxAge: VISITOR_COOKIE_MAX_AGE_SECONDS * 1000,
        path: '/',
        sameSite: 'lax',
        // https as the client sees it: X-Forwarded-Proto counts only with 'trust proxy' set.
        secure: req.secure,
        httpOnly: false,
        ...(options.cookieDomain && { domain: options.cookieDomain }),
      });
    }
    next();
  };
}
