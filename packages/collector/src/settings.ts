// Every setting of `spur serve`, once: its environment variable, its flag, how its text is read,
// its default, its help and which part of the collector uses it. loadConfig (config.ts) reads
// them, `spur serve` takes the flags and prints the help from here, and a test holds the README's
// configuration table against it. Light on purpose: `spur --help` loads this file, not the
// collector (setting-values.ts is all it imports).
import {
  oneOf,
  parseCookieDomain,
  parsePort,
  parseTimeZone,
  parseTrustProxy,
  parseWriteKeys,
  rateLimits,
  wholeNumber,
  WRITE_KEY_FACTOR,
  type SettingNames,
} from './setting-values';

import { parseDatabaseUrl } from './storage/postgres/database-url';

export { parseCookieDomain, parseTimeZone, parseTrustProxy, parseWriteKeys, WRITE_KEY_FACTOR, type RateLimits, type TrustProxy } from './setting-values';

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** What is stored of the client IP: /16 of IPv4 and /48 of IPv6, nothing, or all of it. */
export type IpMode = 'truncate' | 'drop' | 'keep';
/** 'trust' keeps client timestamps as they are; 'correct' corrects them for the client's clock skew. */
export type ClientClock = 'correct' | 'trust';
/**
 * `Sec-GPC: 1` (Global Privacy Control): 'honor' takes it as consent denied, so that the events of
 * such a request are not stored unless the visitor granted consent on the site
 * (`context.consent: 'granted'`); 'ignore' stores them as any other.
 */
export type GpcMode = 'honor' | 'ignore';
/**
 * 'on': the process builds the analytics cache (catch-up, abandonment) and answers exports,
 * funnels and access requests. 'off': it only ingests; those routes answer 503 naming the setting.
 */
export type AnalyticsMode = 'on' | 'off';

/**
 * Requests per second per IP by default. A browser sends about one request per page view (the
 * SDK batches for 2 s), so 50/s carries an office of a few hundred shoppers behind one NAT, or
 * a shop's backend sending server-side batches from the web server's address.
 */
export const DEFAULT_RATE_LIMIT = 50;
/**
 * Events per second per client address by default; a write key gets WRITE_KEY_FACTOR (10)
 * times it, 10,000. Every event counts, valid or not. Why these numbers: spur's SDK sends at
 * most 20 events a request (a page's outbox of up to 1,000 after an outage), so an office of a
 * few hundred shoppers behind one address sends well under 300 events/s; a shop's backend may
 * post batches of 5,000 events, and a single request is never refused for its size (only the next
 * one waits until the debt is paid: one such batch every 5 s, 3.6 million events an hour). The
 * collector stores about 50,000 events/s on two cores, so the write key's 10,000 (36 million an
 * hour, far above any shop's peak) leaves four fifths of it to the rest even when the public
 * write key itself floods; and one address flooding gets a fiftieth of it.
 */
export const DEFAULT_EVENT_RATE_LIMIT = 1_000;
/**
 * Rejected events stored per client address per hour by default; a write key gets 10 times it.
 * Past that they are counted (and logged) but not stored; the answer still lists them. A shop's
 * bug rejects the same event for every visitor, so 10,000 an hour show it well, and a flood of
 * invalid events cannot fill the disk.
 */
export const DEFAULT_REJECTED_CAP = 1_000;
/** An ingest request's body must have arrived this long after its request did; 0 = no deadline. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/**
 * The request line and headers must be in this long after the connection opened or the last
 * request ended; node answers 408 and closes the connection. A browser sends them in one packet.
 */
export const DEFAULT_HEADERS_TIMEOUT_MS = 15_000;
/**
 * A whole request, headers and body, must be in this long (node answers 408 and closes); the
 * ingest body deadline (30 s) comes first, with an answer of the collector's own.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/**
 * Connections held at most. A kept-alive connection costs about 17 KB and a file descriptor
 * (5,000 of them, each after a request: 85 MB more), so ten thousand stay under 200 MB, and they
 * are far more than a shop's visitors keep open at once (a browser keeps one or two to the
 * collector, closed after 5 s idle).
 */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/**
 * Connections per client address at most (an IPv6 client: its /64). An office or a mobile
 * carrier's NAT puts hundreds of shoppers behind one address, each with a connection open for a
 * few seconds at a time; one client needs a handful.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 256;
/** Days rejected events are kept when nothing else is set (the public write key can send them). */
export const DEFAULT_REJECTED_DAYS = 30;
/** Days after an erasure during which events carrying the erased ids are dropped. */
export const DEFAULT_SUPPRESS_DAYS = 30;

/** The part of the collector that reads a setting. */
export type SettingPart = 'server' | 'storage' | 'ingest' | 'analytics' | 'jobs' | 'privacy' | 'admin' | 'logs';

/** One setting. `T` is the type of its value in ServerConfig. */
export interface Setting<K extends string = string, T = unknown> {
  /** Its name in ServerConfig (and in CollectorConfig / StartOptions where it is passed on). */
  key: K;
  env: `SPUR_${string}`;
  /** The flag of `spur serve`, without `--`. */
  flag: string;
  /** What the flag takes, as the help writes it: N, ADDR, MODE... */
  arg: string;
  part: SettingPart;
  /** Reads the (trimmed, non-empty) text; throws an Error naming the setting when it cannot. */
  parse(text: string, names: SettingNames): T;
  /** The text read when the setting is unset; without one an unset setting is left out of the config. */
  default?: string;
  /** How the help names the default, where the text read is not what a reader wants to see. */
  shown?: string;
  /** What it is, before `[ENV]` in the help. */
  about: string;
  /** Within the parentheses, after the default. */
  note?: string;
  /** After the parentheses. */
  more?: string;
}

const setting = <K extends string, T>(s: Setting<K, T>) => s;
const days = (min: number) => wholeNumber('days', /^\d{1,5}$/, min, 99999);
const minutes = wholeNumber('minutes', /^[1-9]\d{0,5}$/, 1, 999999);
const count = (unit: string, max: number) => wholeNumber(unit, /^\d{1,9}$/, 0, max, true);
const seconds = (text: string, names: SettingNames) => count('seconds', 3600)(text, names) * 1000;

/** Every setting, in the order of `spur serve --help`. */
export const SETTINGS = [
  setting({ key: 'port', env: 'SPUR_PORT', flag: 'port', arg: 'N', part: 'server', parse: parsePort, default: '8080', about: 'port to listen on', note: '0 = any free port' }),
  setting({ key: 'host', env: 'SPUR_HOST', flag: 'host', arg: 'ADDR', part: 'server', parse: (t) => t, default: '0.0.0.0', about: 'address to bind', note: '127.0.0.1 = this machine only' }),
  setting({ key: 'db', env: 'SPUR_DB', flag: 'db', arg: 'FILE', part: 'storage', parse: (t) => t, default: './data/spur.db', about: 'SQLite database file' }),
  setting({
    key: 'databaseUrl',
    env: 'SPUR_DATABASE_URL',
    flag: 'database-url',
    arg: 'URL',
    part: 'storage',
    // Checked here, so that a typo fails at start naming the setting (the password never shown).
    parse: (t) => (parseDatabaseUrl(t), t),
    about: 'PostgreSQL instead of SQLite: postgres://user:password@host:5432/database',
    more: 'several collectors may share one database',
  }),
  setting({
    key: 'writeKeys',
    env: 'SPUR_WRITE_KEYS',
    flag: 'write-keys',
    arg: 'SPEC',
    part: 'ingest',
    parse: parseWriteKeys,
    default: '',
    shown: 'none',
    about: 'write keys and the browser origins allowed for each',
    more: 'e.g. "shopkey=https://shop.example,https://www.shop.example;backend=" (a key with no origins accepts only requests without an Origin header)',
  }),
  setting({ key: 'adminToken', env: 'SPUR_ADMIN_TOKEN', flag: 'admin-token', arg: 'TOKEN', part: 'admin', parse: (t) => t, about: 'Bearer token for the admin API' }),
  setting({
    key: 'metricsToken',
    env: 'SPUR_METRICS_TOKEN',
    flag: 'metrics-token',
    arg: 'TOKEN',
    part: 'admin',
    parse: (t) => t,
    shown: 'none: the admin token only',
    about: 'Bearer token that reads GET /metrics and nothing else',
    more: 'for a Prometheus scraper that must not hold the admin token',
  }),
  setting({
    key: 'clientClock',
    env: 'SPUR_CLIENT_CLOCK',
    flag: 'client-clock',
    arg: 'MODE',
    part: 'ingest',
    parse: oneOf<ClientClock>(['correct', 'trust']),
    default: 'correct',
    about: 'correct | trust',
    note: "event time is corrected for the client's clock skew using sentAt",
  }),
  setting({ key: 'ip', env: 'SPUR_IP', flag: 'ip', arg: 'MODE', part: 'ingest', parse: oneOf<IpMode>(['truncate', 'drop', 'keep']), default: 'truncate', about: 'truncate | drop | keep', note: 'IPv4 /16, IPv6 /48' }),
  setting({
    key: 'trustProxy',
    env: 'SPUR_TRUST_PROXY',
    flag: 'trust-proxy',
    arg: 'SPEC',
    part: 'server',
    parse: parseTrustProxy,
    default: 'false',
    shown: 'false: none',
    about: 'proxies whose X-Forwarded-For/-Proto/-Host are honoured',
    more: 'e.g. loopback (nginx on this machine), 10.0.0.0/8, a number of hops, or true (any: only if the proxy overwrites these headers)',
  }),
  setting({
    key: 'cookieDomain',
    env: 'SPUR_COOKIE_DOMAIN',
    flag: 'cookie-domain',
    arg: 'NAME',
    part: 'ingest',
    parse: parseCookieDomain,
    shown: 'host-only',
    about: 'Domain of the spur_aid cookie the collector re-issues on same-site requests',
    more: "use the same value as the script tag's data-cookie-domain",
  }),
  setting({
    key: 'analytics',
    env: 'SPUR_ANALYTICS',
    flag: 'analytics',
    arg: 'MODE',
    part: 'analytics',
    parse: oneOf<AnalyticsMode>(['on', 'off']),
    default: 'on',
    about: 'on | off',
    note: 'off = ingest only: no analytics cache, no Cart Abandoned; exports other than events and access requests answer 503',
    more: 'see Scaling out',
  }),
  setting({
    key: 'timeZone',
    env: 'SPUR_TIME_ZONE',
    flag: 'time-zone',
    arg: 'ZONE',
    part: 'analytics',
    parse: parseTimeZone,
    default: 'UTC',
    about: "the shop's time zone, an IANA name such as Europe/Berlin",
    more: "the dashboard's days and hours, and dates without a time in exports (from=2026-11-02 is midnight there), are in it",
  }),
  setting({ key: 'sessionMinutes', env: 'SPUR_SESSION_MINUTES', flag: 'session-minutes', arg: 'N', part: 'analytics', parse: minutes, default: '30', about: 'inactivity that ends a session for events without a client session id' }),
  setting({
    key: 'abandonMinutes',
    env: 'SPUR_ABANDON_MINUTES',
    flag: 'abandon-minutes',
    arg: 'N',
    part: 'jobs',
    parse: minutes,
    default: '30',
    about: 'minutes without cart activity before a cart counts as abandoned and a Cart Abandoned event is recorded',
  }),
  setting({
    key: 'gpc',
    env: 'SPUR_GPC',
    flag: 'gpc',
    arg: 'MODE',
    part: 'ingest',
    parse: oneOf<GpcMode>(['honor', 'ignore']),
    default: 'honor',
    about: 'honor | ignore',
    note: 'requests with Sec-GPC: 1 count as consent denied; their events are stored only when the visitor granted consent on the site',
  }),
  setting({
    key: 'rateLimit',
    env: 'SPUR_RATE_LIMIT',
    flag: 'rate-limit',
    arg: 'N[,M]',
    part: 'ingest',
    parse: rateLimits('requests per second per IP', '50,1000'),
    default: String(DEFAULT_RATE_LIMIT),
    shown: `${DEFAULT_RATE_LIMIT}, per key ${DEFAULT_RATE_LIMIT * WRITE_KEY_FACTOR}`,
    about: 'ingest requests per second per client IP [, per write key]',
    note: 'bursts of 2 s pass; 0 = off',
    more: 'over it: 429 with Retry-After',
  }),
  setting({
    key: 'eventRateLimit',
    env: 'SPUR_EVENT_RATE_LIMIT',
    flag: 'event-rate-limit',
    arg: 'N[,M]',
    part: 'ingest',
    parse: rateLimits('events per second per IP', '1000,20000'),
    default: String(DEFAULT_EVENT_RATE_LIMIT),
    shown: `${DEFAULT_EVENT_RATE_LIMIT}, per key ${DEFAULT_EVENT_RATE_LIMIT * WRITE_KEY_FACTOR}`,
    about: 'ingest events per second per client IP [, per write key], valid or not, counted when a body is parsed',
    note: '0 = off',
    more: 'a client over it gets 429 before its next body is read until it is back under',
  }),
  setting({
    key: 'rejectedCap',
    env: 'SPUR_REJECTED_CAP',
    flag: 'rejected-cap',
    arg: 'N[,M]',
    part: 'ingest',
    parse: rateLimits('rejected events stored per hour per IP', '1000,20000'),
    default: String(DEFAULT_REJECTED_CAP),
    shown: `${DEFAULT_REJECTED_CAP}, per key ${DEFAULT_REJECTED_CAP * WRITE_KEY_FACTOR}`,
    about: 'rejected events stored per hour per client IP [, per write key]',
    note: 'one per 4 KiB begun; 0 = no cap',
    more: 'past it they are still answered, counted and logged',
  }),
  setting({
    key: 'bodyTimeoutMs',
    env: 'SPUR_BODY_TIMEOUT',
    flag: 'body-timeout',
    arg: 'S',
    part: 'ingest',
    parse: seconds,
    default: String(DEFAULT_BODY_TIMEOUT_MS / 1000),
    about: 'seconds an ingest body may take to arrive',
    note: '0 = none',
    more: 'slower: 408, connection closed',
  }),
  setting({ key: 'headersTimeoutMs', env: 'SPUR_HEADERS_TIMEOUT', flag: 'headers-timeout', arg: 'S', part: 'server', parse: seconds, default: String(DEFAULT_HEADERS_TIMEOUT_MS / 1000), about: "seconds for a request's headers", note: '0 = none; at most --request-timeout' }),
  setting({ key: 'requestTimeoutMs', env: 'SPUR_REQUEST_TIMEOUT', flag: 'request-timeout', arg: 'S', part: 'server', parse: seconds, default: String(DEFAULT_REQUEST_TIMEOUT_MS / 1000), about: 'seconds for a whole request, headers and body', note: '0 = none' }),
  setting({
    key: 'maxConnections',
    env: 'SPUR_MAX_CONNECTIONS',
    flag: 'max-connections',
    arg: 'N',
    part: 'server',
    parse: count('connections', 1_000_000),
    default: String(DEFAULT_MAX_CONNECTIONS),
    about: 'connections held at most',
    note: '0 = no cap',
    more: 'over it: closed at once',
  }),
  setting({
    key: 'maxConnectionsPerIp',
    env: 'SPUR_MAX_CONNECTIONS_PER_IP',
    flag: 'max-connections-per-ip',
    arg: 'N',
    part: 'server',
    parse: count('connections', 1_000_000),
    default: String(DEFAULT_MAX_CONNECTIONS_PER_IP),
    about: 'connections held at most per client address',
    note: '0 = no cap; proxies trusted by --trust-proxy are not capped',
    more: 'over it: closed at once',
  }),
  setting({
    key: 'retentionDays',
    env: 'SPUR_RETENTION_DAYS',
    flag: 'retention-days',
    arg: 'N',
    part: 'jobs',
    parse: days(1),
    shown: 'keep forever',
    about: 'purge events whose time lies more than N days back, and rejected events received that long ago, at start and then daily',
    more: "see 'spur purge'",
  }),
  setting({
    key: 'rejectedDays',
    env: 'SPUR_REJECTED_DAYS',
    flag: 'rejected-days',
    arg: 'N',
    part: 'jobs',
    parse: days(0),
    default: String(DEFAULT_REJECTED_DAYS),
    about: 'purge rejected events received more than N days ago, at start and then daily, also without --retention-days',
    note: '0 = no limit of their own',
  }),
  setting({
    key: 'suppressDays',
    env: 'SPUR_SUPPRESS_DAYS',
    flag: 'suppress-days',
    arg: 'N',
    part: 'privacy',
    parse: days(0),
    default: String(DEFAULT_SUPPRESS_DAYS),
    about: 'after an erasure, drop events carrying the erased ids for N days',
    note: '0 = not at all',
    more: "see 'spur privacy'",
  }),
  setting({
    key: 'webhooksAllowPrivate',
    env: 'SPUR_WEBHOOKS_ALLOW_PRIVATE',
    flag: 'webhooks-allow-private',
    arg: 'BOOL',
    part: 'jobs',
    parse: (text: string, names: SettingNames) => oneOf(['true', 'false'])(text, names) === 'true',
    default: 'false',
    about: 'true | false: webhooks may target private, loopback and link-local addresses',
    more: 'see Webhooks',
  }),
  setting({
    key: 'logLevel',
    env: 'SPUR_LOG_LEVEL',
    flag: 'log-level',
    arg: 'LEVEL',
    part: 'logs',
    parse: oneOf(LOG_LEVELS),
    default: 'info',
    about: LOG_LEVELS.join(' | '),
    note: 'debug adds a line per request',
  }),
];

/** A setting's names as its errors and the help give them: `SPUR_PORT / --port`. */
export const settingNames = (s: Pick<Setting, 'env' | 'flag'>): SettingNames => `${s.env} / --${s.flag}`;

/** A setting's help: what it is, its variable, its default and notes, as one line of text. */
export function settingHelp(s: Setting): string {
  const shown = s.shown ?? (s.default === undefined ? undefined : s.default);
  const inside = [shown === undefined ? undefined : `default ${shown}`, s.note].filter(Boolean).join('; ');
  return `${s.about} [${s.env}]${inside ? ` (${inside})` : ''}${s.more ? `; ${s.more}` : ''}`;
}
