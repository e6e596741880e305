// Server configuration from environment variables and CLI flags (flags win), read through the
// one table of settings (settings.ts). Invalid values throw with a message naming the variable and
// flag, so a typo fails at start, not at 3 a.m.
import { SETTINGS, settingNames, type AnalyticsMode, type ClientClock, type GpcMode, type IpMode, type LogLevel, type RateLimits, type TrustProxy } from './settings';

export { parseCookieDomain, parseTrustProxy, parseWriteKeys, type TrustProxy } from './settings';

export interface ServerConfig {
  port: number;
  host: string;
  db: string;
  /** A postgres:// URL: PostgreSQL instead of the SQLite file `db`. */
  databaseUrl?: string;
  writeKeys: Record<string, string[]>;
  adminToken?: string;
  /** Bearer token for GET /metrics only (the admin token reads it too). */
  metricsToken?: string;
  clientClock: ClientClock;
  ip: IpMode;
  /** Express 'trust proxy': which proxies' X-Forwarded-* headers are honoured. */
  trustProxy: TrustProxy;
  /** Domain attribute of the re-issued spur_aid cookie; host-only when unset. */
  cookieDomain?: string;
  /** 'off': this process only ingests and never builds the analytics cache. */
  analytics: AnalyticsMode;
  /** The shop's time zone (IANA): days and hours of the dashboard and date-only export bounds. */
  timeZone: string;
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
  /** Webhooks may target private, loopback and other internal addresses (tests, a receiver on the LAN). */
  webhooksAllowPrivate: boolean;
  /** Lines below this level are not logged (`spur serve`, the demo). */
  logLevel: LogLevel;
}

// Every key of ServerConfig has a setting and every setting a key: a new setting that is missing
// on either side does not compile.
type SettingKey = (typeof SETTINGS)[number]['key'];
const covered: [Exclude<keyof ServerConfig, SettingKey>, Exclude<SettingKey, keyof ServerConfig>] extends [never, never] ? true : false = true;
void covered;

/**
 * Reads every setting of SETTINGS (settings.ts) from `flags` (by flag name, without `--`) or else
 * `env` (SPUR_*); an empty value counts as unset, and an unset setting takes its default, or is
 * left out when it has none (adminToken, metricsToken, cookieDomain, retentionDays). Flags win over env.
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<string, string>> = {}): ServerConfig {
  const config: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const given = (flags[s.flag] ?? env[s.env])?.trim();
    const text = given === undefined || given === '' ? s.default : given;
    if (text !== undefined) config[s.key] = s.parse(text, settingNames(s));
  }
  const { headersTimeoutMs, requestTimeoutMs } = config as Pick<ServerConfig, 'headersTimeoutMs' | 'requestTimeoutMs'>;
  if (headersTimeoutMs > 0 && requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new Error(
      `Invalid SPUR_HEADERS_TIMEOUT / --headers-timeout ${headersTimeoutMs / 1000}: it must not be longer than ` +
        `SPUR_REQUEST_TIMEOUT / --request-timeout (${requestTimeoutMs / 1000} s), which includes the headers`,
    );
  }
  return config as unknown as ServerConfig;
}
