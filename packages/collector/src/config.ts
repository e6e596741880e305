// Server configuration from environment variables and CLI flags (flags win). Invalid values
// throw with a message naming the variable and flag, so a typo fails at start, not at 3 a.m.
import { isIP } from 'node:net';
import type { IpMode } from './ip';
import { LOG_LEVELS, type LogLevel } from './log';
import type { GpcMode } from './routes/ingest';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_IP } from './connection-limits';
import { DEFAULT_EVENT_RATE_LIMIT, DEFAULT_REJECTED_CAP } from './ingest/limits';
import { DEFAULT_RATE_LIMIT, WRITE_KEY_FACTOR, type RateLimits } from './rate-limit';
import { DEFAULT_REJECTED_DAYS } from './jobs/retention';
import { DEFAULT_BODY_TIMEOUT_MS } from './routes/request-body';
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './server';
import type { ClientClock } from './ingest/stored-event';

export interface ServerConfig {
  port: number;
  host: string;
  db: string;
  writeKeys: Record<string, string[]>;
  adminToken?: string;
  clientClock: ClientClock;
  ip: IpMode;
  /** Express 'trust proxy': which proxies' X-Forwarded-* headers are honoured. */
  trustProxy: TrustProxy;
  /** Domain attribute of the re-issued spur_aid cookie; host-only when unset. */
  cookieDomain?: string;
  /** Inactivity that ends a session without a client session id, in minutes. */
  sessionMinutes: number;
  /** Minutes without cart activity before a cart counts as abandoned. */
  abandonMinutes: number;
  /** Ingest requests per second per client IP and per write key; 0 = off. */
  rateLimit: RateLimits;
  /** Ingest events per second per client IP and per write key; 0 = off. */
  eventRateLimit: RateLimits;
  /** Rejected events stored per hour per client IP and per write key; 0 = no cap. */
  rejectedCap: RateLimits;
  /** Milliseconds an ingest body may take to arrive (then 408); 0 = no deadline. */
  bodyTimeoutMs: number;
  /** node's headersTimeout and requestTimeout, in ms; 0 = none. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Connections held at most, in total and per client address; 0 = no cap. */
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Whether `Sec-GPC: 1` counts as consent denied ('honor') or not ('ignore'). */
  gpc: GpcMode;
  /** Days raw events and rejected events are kept; unset keeps them forever. */
  retentionDays?: number;
  /** Days rejected events are kept, also without retentionDays; 0 = no limit of their own. */
  rejectedDays: number;
  /** Days after an erasure during which events carrying the erased ids are not stored; 0 = none. */
  suppressDays: number;
  /** Lines below this level are not logged (`spur serve`, the demo). */
  logLevel: LogLevel;
}

/**
 * Express 'trust proxy' values: false (default: X-Forwarded-* ignored), true (trust every hop:
 * only behind a proxy that overwrites these headers), a number of hops, or a comma-separated
 * list of proxy addresses / CIDR ranges / loopback, linklocal, uniquelocal.
 */
export type TrustProxy = boolean | number | string;

// The same setting as an environment variable and as a flag.
const SETTINGS = {
  port: 'SPUR_PORT',
  host: 'SPUR_HOST',
  db: 'SPUR_DB',
  'write-keys': 'SPUR_WRITE_KEYS',
  'admin-token': 'SPUR_ADMIN_TOKEN',
  'client-clock': 'SPUR_CLIENT_CLOCK',
  ip: 'SPUR_IP',
  'trust-proxy': 'SPUR_TRUST_PROXY',
  'cookie-domain': 'SPUR_COOKIE_DOMAIN',
  'session-minutes': 'SPUR_SESSION_MINUTES',
  'abandon-minutes': 'SPUR_ABANDON_MINUTES',
  'rate-limit': 'SPUR_RATE_LIMIT',
  'event-rate-limit': 'SPUR_EVENT_RATE_LIMIT',
  'rejected-cap': 'SPUR_REJECTED_CAP',
  'body-timeout': 'SPUR_BODY_TIMEOUT',
  'headers-timeout': 'SPUR_HEADERS_TIMEOUT',
  'request-timeout': 'SPUR_REQUEST_TIMEOUT',
  'max-connections': 'SPUR_MAX_CONNECTIONS',
  'max-connections-per-ip': 'SPUR_MAX_CONNECTIONS_PER_IP',
  gpc: 'SPUR_GPC',
  'retention-days': 'SPUR_RETENTION_DAYS',
  'rejected-days': 'SPUR_REJECTED_DAYS',
  'suppress-days': 'SPUR_SUPPRESS_DAYS',
  'log-level': 'SPUR_LOG_LEVEL',
} as const;

type Flag = keyof typeof SETTINGS;

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

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: Flag): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`Invalid ${SETTINGS[flag]} / --${flag} "${value}": expected one of ${allowed.join(', ')}`);
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

const PAIRS = {
  'rate-limit': ['requests per second per IP', '50,1000'],
  'event-rate-limit': ['events per second per IP', '1000,20000'],
  'rejected-cap': ['rejected events stored per hour per IP', '1000,20000'],
} as const;

/**
 * Parses SPUR_RATE_LIMIT, SPUR_EVENT_RATE_LIMIT or SPUR_REJECTED_CAP: `N` (per IP; per write key
 * WRITE_KEY_FACTOR × N) or `N,M` (per IP, per write key); 0 turns a limit off.
 */
export function parseRateLimit(text: string, flag: keyof typeof PAIRS = 'rate-limit'): RateLimits {
  const m = /^\s*(\d{1,7})\s*(?:,\s*(\d{1,8})\s*)?$/.exec(text);
  if (!m) {
    const [what, example] = PAIRS[flag];
    throw new Error(
      `Invalid ${SETTINGS[flag]} / --${flag} "${text}": expected ${what}, e.g. ${example.split(',')[0]}, ` +
        `or per IP and per write key, e.g. ${example} (0 turns a limit off)`,
    );
  }
  const perIp = Number(m[1]);
  return { perIp, perWriteKey: m[2] === undefined ? perIp * WRITE_KEY_FACTOR : Number(m[2]) };
}

/**
 * Reads SPUR_PORT (8080), SPUR_HOST ('0.0.0.0': all interfaces, what a server wants; use
 * 127.0.0.1 for local only), SPUR_DB (./data/spur.db), SPUR_WRITE_KEYS, SPUR_ADMIN_TOKEN,
 * SPUR_CLIENT_CLOCK (correct), SPUR_IP (truncate), SPUR_TRUST_PROXY (false), SPUR_COOKIE_DOMAIN
 * (none: host-only), SPUR_SESSION_MINUTES (30), SPUR_ABANDON_MINUTES (30), SPUR_RATE_LIMIT
 * (50 per IP, 500 per write key), SPUR_EVENT_RATE_LIMIT (1,000 events/s per IP, 10,000 per
 * write key), SPUR_REJECTED_CAP (1,000 rejected events stored per hour per IP, 10,000 per write
 * key), SPUR_BODY_TIMEOUT (30 s), SPUR_HEADERS_TIMEOUT (15 s), SPUR_REQUEST_TIMEOUT (60 s),
 * SPUR_MAX_CONNECTIONS (10,000), SPUR_MAX_CONNECTIONS_PER_IP (256), SPUR_GPC (honor).
 * SPUR_RETENTION_DAYS (unset: keep forever): events whose time lies more than this many days
 * back, and rejected events received that long ago, are purged at start and then daily.
 * SPUR_REJECTED_DAYS (30; 0: no limit of their own): rejected events received longer ago are
 * purged too, also without SPUR_RETENTION_DAYS.
 * SPUR_SUPPRESS_DAYS (30): after an erasure (DELETE /v1/privacy/subjects/:id), events carrying
 * the erased ids are not stored for this many days (0: not at all), so that a client's resend
 * cannot bring them back. SPUR_LOG_LEVEL (info): fatal, error, warn, info, debug, trace or silent.
 * Flags of the same name win over env.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<string, string>> = {}): ServerConfig {
  const get = (flag: Flag): string | undefined => {
    const value = flags[flag] ?? env[SETTINGS[flag]];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const portText = get('port') ?? '8080';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`Invalid SPUR_PORT / --port "${portText}": expected an integer from 0 to 65535`);
  }
  const minutes = (flag: 'session-minutes' | 'abandon-minutes') => {
    const text = get(flag) ?? '30';
    if (!/^[1-9]\d{0,5}$/.test(text)) {
      throw new Error(`Invalid ${SETTINGS[flag]} / --${flag} "${text}": expected a whole number of minutes from 1 to 999999`);
    }
    return Number(text);
  };
  const days = (flag: 'retention-days' | 'rejected-days' | 'suppress-days', min: number) => {
    const text = get(flag);
    if (text === undefined) return undefined;
    if (!/^\d{1,5}$/.test(text) || Number(text) < min) {
      throw new Error(`Invalid ${SETTINGS[flag]} / --${flag} "${text}": expected a whole number of days from ${min} to 99999`);
    }
    return Number(text);
  };
  const retentionDays = days('retention-days', 1);
  // Whole numbers from 0 (off) up to `max`.
  const count = (flag: Flag, fallback: number, max: number, unit: string) => {
    const text = get(flag) ?? String(fallback);
    if (!/^\d{1,9}$/.test(text) || Number(text) > max) {
      throw new Error(`Invalid ${SETTINGS[flag]} / --${flag} "${text}": expected a whole number of ${unit} from 0 (off) to ${max}`);
    }
    return Number(text);
  };
  const seconds = (flag: Flag, fallbackMs: number) => count(flag, fallbackMs / 1000, 3600, 'seconds') * 1000;
  const headersTimeoutMs = seconds('headers-timeout', DEFAULT_HEADERS_TIMEOUT_MS);
  const requestTimeoutMs = seconds('request-timeout', DEFAULT_REQUEST_TIMEOUT_MS);
  if (headersTimeoutMs > 0 && requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new Error(
      `Invalid SPUR_HEADERS_TIMEOUT / --headers-timeout ${headersTimeoutMs / 1000}: it must not be longer than ` +
        `SPUR_REQUEST_TIMEOUT / --request-timeout (${requestTimeoutMs / 1000} s), which includes the headers`,
    );
  }
  const adminToken = get('admin-token');
  const cookieDomain = get('cookie-domain');
  return {
    port: Number(portText),
    host: get('host') ?? '0.0.0.0',
    db: get('db') ?? './data/spur.db',
    writeKeys: parseWriteKeys(get('write-keys') ?? ''),
    ...(adminToken !== undefined && { adminToken }),
    clientClock: oneOf(get('client-clock') ?? 'correct', ['correct', 'trust'] as const, 'client-clock'),
    ip: oneOf(get('ip') ?? 'truncate', ['truncate', 'drop', 'keep'] as const, 'ip'),
    trustProxy: parseTrustProxy(get('trust-proxy') ?? 'false'),
    ...(cookieDomain !== undefined && { cookieDomain: parseCookieDomain(cookieDomain) }),
    sessionMinutes: minutes('session-minutes'),
    abandonMinutes: minutes('abandon-minutes'),
    rateLimit: parseRateLimit(get('rate-limit') ?? String(DEFAULT_RATE_LIMIT)),
    eventRateLimit: parseRateLimit(get('event-rate-limit') ?? String(DEFAULT_EVENT_RATE_LIMIT), 'event-rate-limit'),
    rejectedCap: parseRateLimit(get('rejected-cap') ?? String(DEFAULT_REJECTED_CAP), 'rejected-cap'),
    bodyTimeoutMs: seconds('body-timeout', DEFAULT_BODY_TIMEOUT_MS),
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections: count('max-connections', DEFAULT_MAX_CONNECTIONS, 1_000_000, 'connections'),
    maxConnectionsPerIp: count('max-connections-per-ip', DEFAULT_MAX_CONNECTIONS_PER_IP, 1_000_000, 'connections'),
    gpc: oneOf(get('gpc') ?? 'honor', ['honor', 'ignore'] as const, 'gpc'),
    ...(retentionDays !== undefined && { retentionDays }),
    rejectedDays: days('rejected-days', 0) ?? DEFAULT_REJECTED_DAYS,
    suppressDays: days('suppress-days', 0) ?? 30,
    logLevel: oneOf(get('log-level') ?? 'info', LOG_LEVELS, 'log-level'),
  };
}
