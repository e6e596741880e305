// Write keys and their browser origins, and the CORS headers derived from them. An origin is
// only ever echoed back when it is configured; nothing arbitrary is reflected.
import type { Request, Response } from 'express';

export interface Keyring {
  /** True when `key` is a configured write key. */
  has(key: string): boolean;
  /** True when `origin` may send with `key`. */
  allows(key: string, origin: string): boolean;
  /** True when some key allows `origin` (preflights do not carry the key yet). */
  allowsAny(origin: string): boolean;
}

/**
 * An origin as browsers send it (scheme://host[:port], lower-case host, no default port), so
 * that an exact comparison is the right one. Throws for anything else, '*' and 'null' included:
 * neither may ever be allowed with credentials.
 */
export function canonicalOrigin(text: string, key: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new Error(`Invalid origin "${text}" for write key "${key}": expected scheme://host[:port], e.g. https://shop.example`);
  }
  return url.origin;
}

/** Throws for an origin that is not scheme://host[:port] (see canonicalOrigin). */
export function createKeyring(writeKeys: Record<string, string[]>): Keyring {
  // A Map, so keys such as "__proto__" or "constructor" cannot hit Object.prototype.
  const keys = new Map(
    Object.entries(writeKeys).map(([key, origins]) => [key, new Set(origins.map((origin) => canonicalOrigin(origin, key)))]),
  );
  const any = new Set([...keys.values()].flatMap((origins) => [...origins]));
  return {
    has: (key) => keys.has(key),
    allows: (key, origin) => keys.get(key)?.has(origin) ?? false,
    allowsAny: (origin) => any.has(origin),
  };
}

/** A string that can be a write key, or undefined. */
const key = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/**
 * The write key of a request, from the first of: the HTTP Basic user (Segment's and RudderStack's
 * libraries), the X-Spur-Write-Key header, the X-Write-Key header up to its ':' (Jitsu sends
 * `key:secret`), `writeKey` in the query string (RudderStack's beacons), `writeKey` in the body.
 */
export function requestWriteKey(req: Request, bodyKey: string | undefined): string | undefined {
  const auth = req.get('authorization');
  const basic = auth && /^basic\s+(\S+)$/i.exec(auth);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user) return user;
  }
  const jitsu = req.get('x-write-key');
  return (
    key(req.get('x-spur-write-key')) ??
    key(jitsu?.includes(':') ? jitsu.slice(0, jitsu.indexOf(':')) : jitsu) ??
    key(req.query?.writeKey) ??
    bodyKey
  );
}

export function allowOrigin(res: Response, origin: string): void {
  res.set('Access-Control-Allow-Origin', origin);
  // Credentials: the SDK may send the first-party spur_aid cookie with its requests.
  res.set('Access-Control-Allow-Credentials', 'true');
}

/**
 * Lets the page a refusal (401/403) is for read it, so that the SDK can stop and say what to fix.
 * Only an origin as a browser sends it is echoed (scheme://host[:port]); anything else gets no
 * CORS headers at all.
 */
export function exposeRefusal(res: Response, origin: string | undefined): void {
  if (!origin) return;
  let canonical: string | undefined;
  try {
    canonical = canonicalOrigin(origin, '');
  } catch {
    canonical = undefined;
  }
  if (canonical === origin) allowOrigin(res, origin);
}

// A header name as HTTP defines it (a token), in a comma-separated list.
const TOKEN_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;
const DEFAULT_HEADERS = 'Content-Type, Authorization, X-Spur-Write-Key, X-Write-Key, Content-Encoding';

/**
 * Headers of a preflight answer for an allowed origin. Clients send headers of their own
 * (RudderStack's AnonymousId and RSA-Retry-*, Segment's X-Retry-Count, Jitsu's X-Write-Key), and
 * a browser refuses the request if one is not allowed; the collector reads only the headers it
 * knows, so whatever header names the browser asks for are allowed. Anything that is not a list of
 * header names gets the headers spur reads.
 */
export function allowPreflight(req: Request, res: Response, methods: string): void {
  const requested = req.get('access-control-request-headers')?.trim();
  res.vary('Access-Control-Request-Headers');
  res.set({
    'Access-Control-Allow-Methods': methods,
    'Access-Control-Allow-Headers': requested && requested.length <= 2048 && TOKEN_LIST.test(requested) ? requested : DEFAULT_HEADERS,
    'Access-Control-Max-Age': '86400',
  });
}
