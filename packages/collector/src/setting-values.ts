// What the text of a setting may say, and what it means: the parsers of settings.ts. Each error
// names the variable and the flag (`Invalid SPUR_PORT / --port "x": ...`), so that a typo fails
// at start, not at 3 a.m. Nothing here imports the rest of the collector: `spur --help` loads the
// settings table without loading the collector.
import { isIP } from 'node:net';

/**
 * Express 'trust proxy' values: false (default: X-Forwarded-* ignored), true (trust every hop:
 * only behind a proxy that overwrites these headers), a number of hops, or a comma-separated
 * list of proxy addresses / CIDR ranges / loopback, linklocal, uniquelocal.
 */
export type TrustProxy = boolean | number | string;

/** Sustained events or requests per second (or per hour, for the rejected cap); 0 turns a limit off. */
export interface RateLimits {
  /** From one client IP (an IPv6 client: its /64, what one household or office gets). */
  perIp: number;
  /** With one write key, from every IP together. */
  perWriteKey: number;
}

/** A write key serves the whole shop: its limit is this many times the per-IP one. */
export const WRITE_KEY_FACTOR = 10;

/** A setting's names, as its errors give them: `SPUR_PORT / --port`. */
export type SettingNames = string;

const invalid = (names: SettingNames, text: string, expected: string) => new Error(`Invalid ${names} "${text}": ${expected}`);

/** A value from a fixed list. */
export const oneOf =
  <T extends string>(allowed: readonly T[]) =>
  (text: string, names: SettingNames): T => {
    if ((allowed as readonly string[]).includes(text)) return text as T;
    throw invalid(names, text, `expected one of ${allowed.join(', ')}`);
  };

/**
 * An IANA time zone name (Europe/Berlin, America/New_York, UTC), as the runtime's time zone data
 * knows it; answered in its canonical spelling (`europe/berlin` gives Europe/Berlin).
 */
export function parseTimeZone(text: string, names: SettingNames): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    throw invalid(names, text, 'expected an IANA time zone name such as UTC, Europe/Berlin or America/New_York');
  }
}

/**
 * A whole number written as `pattern` allows, from `min` to `max`, in `unit` (the error says so;
 * with `off`, 0 reads "0 (off)").
 */
export const wholeNumber =
  (unit: string, pattern: RegExp, min: number, max: number, off = false) =>
  (text: string, names: SettingNames): number => {
    if (!pattern.test(text) || Number(text) < min || Number(text) > max) {
      throw invalid(names, text, `expected a whole number of ${unit} from ${off ? '0 (off)' : min} to ${max}`);
    }
    return Number(text);
  };

/** A TCP port, 0 for any free one. */
export function parsePort(text: string, names: SettingNames): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw invalid(names, text, 'expected an integer from 0 to 65535');
  return Number(text);
}

/**
 * Parses `key=origin1,origin2;key2=origin3`. A key without origins (`key` or `key=`) serves only
 * clients without an Origin header (servers). Origins are normalized to scheme://host[:port].
 */
export function parseWriteKeys(spec: string): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const part of spec.split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (!/^[^\s:,;=]+$/.test(key)) {
      throw new Error(`Invalid write key "${key}" in "${spec}": a key is a non-empty word without spaces, ':', ',' or '='`);
    }
    if (Object.hasOwn(keys, key)) throw new Error(`Write key "${key}" is listed twice in "${spec}"`);
    const origins = eq === -1 ? [] : part.slice(eq + 1).split(',').map((o) => o.trim()).filter(Boolean);
    keys[key] = origins.map((o) => normalizeOrigin(o, key));
  }
  return keys;
}

function normalizeOrigin(text: string, key: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Invalid origin "${text}" for write key "${key}": expected e.g. https://shop.example`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new Error(`Invalid origin "${text}" for write key "${key}": only scheme://host[:port], no path`);
  }
  return url.origin; // lower-cases the host and drops default ports, as browsers send it
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** Parses SPUR_TRUST_PROXY: true/false, a hop count, or a list of addresses, ranges and names. */
export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  for (const part of parts) {
    if (PROXY_NAMES.includes(part)) continue;
    const [addr, bits, ...rest] = part.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (!family || !okBits || rest.length) {
      throw new Error(
        `Invalid SPUR_TRUST_PROXY / --trust-proxy "${text}": "${part}" is not an address, a CIDR range or one of ` +
          `${PROXY_NAMES.join(', ')} (or use true, false or a number of hops)`,
      );
    }
  }
  return parts.join(',');
}

/** Parses SPUR_COOKIE_DOMAIN: a host name such as shop.example (a leading dot is dropped). */
export function parseCookieDomain(text: string): string {
  const domain = text.trim().replace(/^\./, '').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
    throw new Error(`Invalid SPUR_COOKIE_DOMAIN / --cookie-domain "${text}": expected a domain such as shop.example`);
  }
  return domain;
}

/**
 * `N` (per IP; per write key WRITE_KEY_FACTOR × N) or `N,M` (per IP, per write key); 0 turns a
 * limit off. `what` and `example` word the error: 'requests per second per IP', '50,1000'.
 */
export const rateLimits =
  (what: string, example: string) =>
  (text: string, names: SettingNames): RateLimits => {
    const m = /^\s*(\d{1,7})\s*(?:,\s*(\d{1,8})\s*)?$/.exec(text);
    if (!m) {
      throw invalid(names, text, `expected ${what}, e.g. ${example.split(',')[0]}, or per IP and per write key, e.g. ${example} (0 turns a limit off)`);
    }
    const perIp = Number(m[1]);
    return { perIp, perWriteKey: m[2] === undefined ? perIp * WRITE_KEY_FACTOR : Number(m[2]) };
  };
