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

/**
 * The write key of a request: HTTP Basic user (what Segment clients send), then the
 * X-Spur-Write-Key header, then `writeKey` in the body.
 */
export function requestWriteKey(req: Request, bodyKey: string | undefined): string | undefined {
  const auth = req.get('authorization');
  const basic = auth && /^basic\s+(\S+)$/i.exec(auth);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user) return user;
  }
  return req.get('x-spur-write-key') || bodyKey;
}

export function allowOrigin(res: Response, origin: string): void {
  res.set('Access-Control-Allow-Origin', origin);
  // Credentials: the SDK may send the first-party spur_aid cookie with its requests.
  res.set('Access-Control-Allow-Credentials', 'true');
}

export function revokeOrigin(res: Response): void {
  res.removeHeader('Access-Control-Allow-Origin');
  res.removeHeader('Access-Control-Allow-Credentials');
}
