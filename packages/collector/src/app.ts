// createCollector(config) builds the Express app; listening and shutdown live in server.ts.
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import { createKeyring } from './cors';
import { errorMiddleware, notFound } from './errors';
import { reissueVisitorCookie } from './first-party-cookie';
import type { IpMode } from './ip';
import { silentLogger, type Logger } from './log';
import { createRejectionLog } from './rejections';
import { assignRequestIds } from './request-id';
import { logStartupWarnings } from './startup-warnings';
import { startJobs } from './jobs';
import { signalCommits } from './jobs/commits';
import { firesWebhook } from './webhooks/payload';
import { createWebhooksRouter } from './routes/webhooks';
import { accessGuard } from './routes/access';
import { adminFailures, adminGuard, ADMIN_ONLY_PATHS, ADMIN_PATHS, createAdminRouter } from './routes/admin';
import { createDashboardRouter } from './routes/dashboard';
import { createFunnelsRouter } from './routes/funnels';
import { createLiveRouter } from './routes/live';
import { createSettingsRouter } from './routes/settings';
import { createLiveFeed } from './jobs/live-feed';
import { createMetrics } from './metrics/collector-metrics';
import { countRequests } from './metrics/http-metrics';
import { createMetricsRouter } from './routes/metrics';
import { createExportRouter } from './routes/exports';
import { createInsightRouter } from './routes/insights';
import { createPrivacyRouter } from './routes/privacy';
import { createImportRouter } from './import/orders-route';
import type { PurgeReport } from './jobs/retention';
import { createHealthRouter } from './routes/health';
import { createIngest } from './routes/ingest';
import { ingestRoute } from './routes/ingest-paths';
import { createIngestLimits } from './ingest/limits';
import { createIngestService } from './ingest/service';
import { createLimitLog } from './limit-log';
import { toRateLimits, type RateLimits } from './rate-limit';
import { MAX_BODY_BYTES, MAX_ENCODED_BYTES } from './routes/request-body';
import { createSdkRouter } from './routes/sdk';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_EVENT_RATE_LIMIT,
  DEFAULT_REJECTED_CAP,
  DEFAULT_SUPPRESS_DAYS,
  type AnalyticsMode,
  type ClientClock,
  type GpcMode,
  type TrustProxy,
} from './settings';
import { createStore } from './rules/store';
import type { Storage } from './storage/types';

export interface CollectorConfig {
  /** From openStorage / openSqliteStorage. The app never closes it; startServer's close() does. */
  storage: Storage;
  /** Write key -> browser origins allowed to send with it (e.g. 'http://localhost:3000'). */
  writeKeys: Record<string, string[]>;
  /** Bearer token of the admin API; without one the admin API answers 401. */
  adminToken?: string;
  /**
   * A Bearer token that reads GET /metrics and nothing else, for a scraper that must not hold the
   * admin token (which reads and erases personal data). @defaultValue none: the admin token only
   */
  metricsToken?: string;
  /** 'trust' keeps client timestamps as they are. @defaultValue 'correct' */
  clientClock?: ClientClock;
  /** File served at /spur.js. @defaultValue the built `@spur/sdk/spur.js` (404 until built) */
  sdkPath?: string;
  /** Clock, ms since epoch; injectable for tests. @defaultValue Date.now */
  now?: () => number;
  /** What is stored of the client IP. @defaultValue 'truncate' */
  ip?: IpMode;
  /**
   * Where the collector logs (log.ts): start-up warnings, server-side failures (5xx), ingest
   * rejections (rate-limited), storage becoming unavailable and available again, retention
   * purges; at debug level also each request. A pino logger fits (createLogger makes one).
   * @defaultValue silentLogger
   */
  logger?: Logger;
  /**
   * Express 'trust proxy': whose X-Forwarded-For/-Proto/-Host count (client IP, https, host).
   * @defaultValue unset: false when standalone; when mounted in another Express app, that app's
   * setting (the shop knows its proxies)
   */
  trustProxy?: TrustProxy;
  /**
   * Domain attribute of the re-issued spur_aid cookie, e.g. 'shop.example'; match the SDK's
   * data-cookie-domain. @defaultValue host-only
   */
  cookieDomain?: string;
  /**
   * 'honor': a request with `Sec-GPC: 1` counts as consent denied; its events are not stored
   * unless marked `context.consent: 'granted'`. 'ignore': stored as any other. @defaultValue 'honor'
   */
  gpc?: GpcMode;
  /**
   * 'off': an ingest-only process. It never builds the analytics cache (no catch-up, no memory for
   * it) nor records Cart Abandoned events; exports other than events and access requests answer
   * 503 naming SPUR_ANALYTICS; erasures, the admin API and /metrics work. @defaultValue 'on'
   */
  analytics?: AnalyticsMode;
  /**
   * The shop's time zone, an IANA name: the dashboard's days and hours, and export bounds given as
   * a date without a time (`from=2026-11-02` is midnight there). @defaultValue 'UTC'
   */
  timeZone?: string;
  /**
   * The built dashboard (the folder with manifest.json). @defaultValue the built
   * `@spur/dashboard` (the dashboard answers 503 until it is built)
   */
  dashboardPath?: string;
  /** Inactivity that ends a session without a client session id, in minutes. @defaultValue 30 */
  sessionMinutes?: number;
  /** Minutes without cart activity after which a cart counts as abandoned. @defaultValue 30 */
  abandonMinutes?: number;
  /**
   * How often the abandonment job looks for carts whose time has passed and records their Cart
   * Abandoned events (it also runs after every full catch-up). @defaultValue 60000
   */
  abandonmentIntervalMs?: number;
  /**
   * Ingest requests per second per client IP; a number also sets the per-write-key limit to
   * WRITE_KEY_FACTOR (10) times it, an object sets both; 0 turns a limit off. Bursts of
   * BURST_SECONDS (2) times the rate pass. @defaultValue 50 (per write key 500)
   */
  rateLimit?: number | RateLimits;
  /**
   * Ingest events per second per client IP, valid or not, charged when a body is parsed; a
   * number also sets the per-write-key limit to 10 times it, an object sets both; 0 turns a limit
   * off. A client over it is refused (429) before its next body is read until it is back under.
   * @defaultValue 1,000 (per write key 10,000): ingest/limits.ts DEFAULT_EVENT_RATE_LIMIT says why
   */
  eventRateLimit?: number | RateLimits;
  /**
   * Rejected events stored per hour per client IP (one per 4 KiB begun); a number also sets the
   * per-write-key cap to 10 times it, an object sets both; 0 = no cap. Past it they are answered
   * under `rejected` as always, counted and logged, but not stored.
   * @defaultValue 1,000 (per write key 10,000)
   */
  rejectedCap?: number | RateLimits;
  /**
   * Milliseconds an ingest request's body may take to arrive; slower ones get 408 and their
   * connection is closed. 0 = no deadline. @defaultValue 30,000
   */
  bodyTimeoutMs?: number;
  /**
   * Days after an erasure during which events carrying the erased ids are not stored; 0 = none.
   * @defaultValue 30
   */
  suppressDays?: number;
  /**
   * Events whose time lies more than this many days back (and rejected events received that long
   * ago) are purged at start and then daily (jobs/retention.ts). @defaultValue unset: kept forever
   */
  retentionDays?: number;
  /**
   * Rejected events received more than this many days ago are purged at start and then daily,
   * also without retentionDays; 0: no limit of their own. @defaultValue 30
   */
  rejectedDays?: number;
  /**
   * Webhook targets on private, loopback, link-local and other internal addresses are allowed
   * (webhooks/address-guard.ts). @defaultValue false
   */
  webhooksAllowPrivate?: boolean;
  /** How often the webhook dispatcher looks for due deliveries, in ms. @defaultValue 1000 */
  webhookIntervalMs?: number;
  /**
   * [0, 1): where in its window each webhook retry falls (full jitter: a retry waits this share of
   * its step of the schedule). Tests fix it to make the retry's moment known. @defaultValue Math.random
   */
  webhookJitter?: () => number;
  /** Receives the outcome of each retention purge (spur serve prints it). */
  onPurge?: (report: PurgeReport) => void;
}


/** The collector: an Express app (mount it, or listen with startServer), with its jobs. */
export type Collector = Express & {
  /**
   * Stops every job and timer of the collector (analytics catch-up, abandonment, retention, the
   * storage watch) and resolves once the runs under way are over. Storage stays open: whoever
   * opened it closes it (startServer's close() does, after this). Idempotent.
   */
  close(): Promise<void>;
  /**
   * Ends the long-lived answers (the live event streams of /v1/live) at once; startServer calls it
   * when shutdown begins, since a server closes only once every connection has. close() does too.
   */
  endStreams(): void;
};

export function createCollector(config: CollectorConfig): Collector {
  // The rules over the configured storage: what every part below talks to.
  // Its appends tell the live streams and the webhook dispatcher what they committed.
  const { store: storage, commits } = signalCommits(createStore(config.storage));
  const logger = config.logger ?? silentLogger;
  logStartupWarnings(config, logger);
  const app = express();
  app.disable('x-powered-by');
  // API answers are not cacheable by ETag; /spur.js sets its own strong ETag.
  app.set('etag', false);
  // Left unset, Express keeps its default (false: req.ip is the socket's peer, X-Forwarded-*
  // ignored) and a mounted collector inherits the parent app's setting.
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);

  const jobs = startJobs(storage, config, logger);
  const { analytics } = jobs;
  if (!analytics) logger.info({ setting: 'SPUR_ANALYTICS' }, 'analytics off: this collector only ingests (no analytics cache, no Cart Abandoned)');
  // This collector's Prometheus metrics: a registry of its own (metrics/collector-metrics.ts).
  const metrics = createMetrics({ analytics, factsBackfill: jobs.factsBackfill, webhooks: jobs.webhooks, now: config.now });
  const keyring = createKeyring(config.writeKeys);
  const now = config.now ?? Date.now;
  const ipMode = config.ip ?? 'truncate';
  const limits = createIngestLimits({
    requests: toRateLimits(config.rateLimit),
    events: toRateLimits(config.eventRateLimit, DEFAULT_EVENT_RATE_LIMIT),
    rejected: toRateLimits(config.rejectedCap, DEFAULT_REJECTED_CAP),
    keyring,
    now,
    ipMode,
    log: createLimitLog({ logger, now }),
    isIngest: (req) => ingestRoute(req) !== undefined,
    onRefused: (scope) => metrics.rateLimited(scope),
  });
  const service = createIngestService({
    store: storage,
    clientClock: config.clientClock ?? 'correct',
    ipMode,
    gpc: config.gpc ?? 'honor',
    now,
    limits,
    observer: metrics,
  });
  const ingest = createIngest({
    service,
    keyring,
    limits,
    body: { maxBytes: MAX_BODY_BYTES, maxEncodedBytes: MAX_ENCODED_BYTES, timeoutMs: config.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS },
  });
  // Before everything: each answer carries its X-Request-Id, also the fast path's.
  app.use(assignRequestIds(logger));
  // Every request counted and timed, the fast path's and refusals included.
  app.use(countRequests(metrics));
  // first: liveness depends on nothing below. Readiness of analytics includes the carts recorded.
  app.use(createHealthRouter({ storage, analytics: jobs.abandonment }));
  // Ingest requests are answered here, past none of the middleware below (routes/ingest.ts).
  // The limits come before it: a request over them costs a few Map lookups and no body read.
  // Everything that applies to ingest asks ingestRoute whether a request is ingest, so that no
  // spelling of a path gets past one limit and into another.
  app.use(limits.admit);
  app.use(ingest.fastPath);
  app.use(cookieParser());
  // Ingest posts only. Not on /spur.js: it is publicly cacheable, and a shared cache must never
  // store a Set-Cookie.
  const reissue = reissueVisitorCookie({ cookieDomain: config.cookieDomain, gpc: config.gpc });
  app.use((req, res, next) => (req.method === 'POST' && ingestRoute(req) !== undefined ? reissue(req, res, next) : next()));
  app.use(createSdkRouter({ sdkPath: config.sdkPath }));
  app.use(ingest.router);
  // By path prefix, so that admin routers mounted here later are covered too.
  // One count of failed logins for both guards: /metrics is no second allowance for guessing.
  const failures = adminFailures(now);
  const onLimited = () => metrics.rateLimited('admin_login');
  const timeZone = config.timeZone ?? 'UTC';
  // The dashboard's pages, assets, sign-in and sign-out (its API calls are the admin API's, below).
  app.use(createDashboardRouter({ storage, now, timeZone, dashboardPath: config.dashboardPath, analytics: jobs.abandonment }));
  // The admin API: the admin token, or a dashboard session of a role that may use the path.
  const access = { storage, adminToken: config.adminToken, now, failures, onLimited };
  app.use(ADMIN_ONLY_PATHS, accessGuard('admin', access));
  app.use(
    ADMIN_PATHS.filter((p) => !ADMIN_ONLY_PATHS.includes(p)),
    accessGuard('viewer', access),
  );
  app.use(createMetricsRouter({ metrics, guard: adminGuard({ adminToken: config.adminToken, otherToken: config.metricsToken, now, failures, onLimited }) }));
  app.use(createAdminRouter({ storage }));
  app.use(createExportRouter({ storage, analytics, now, timeZone }));
  app.use(createInsightRouter({ storage, analytics, now }));
  app.use(createFunnelsRouter({ storage, now }));
  const feed = analytics && createLiveFeed({ storage, analytics });
  commits.on((events) => {
    feed?.notify();
    if (events.some(firesWebhook)) jobs.webhooks.wake();
  });
  app.use(createLiveRouter({ feed }));
  app.use(createWebhooksRouter({ storage, now, allowPrivate: config.webhooksAllowPrivate ?? false, wake: () => jobs.webhooks.wake() }));
  app.use(createPrivacyRouter({ storage, analytics, now, suppressDays: config.suppressDays }));
  app.use(createImportRouter({ storage, now, timeZone }));
  app.use(
    createSettingsRouter({
      storage,
      settings: {
        timeZone,
        sessionMinutes: config.sessionMinutes ?? 30,
        abandonMinutes: config.abandonMinutes ?? 30,
        retentionDays: config.retentionDays ?? null,
        suppressDays: config.suppressDays ?? DEFAULT_SUPPRESS_DAYS,
        analytics: analytics ? 'on' : 'off',
      },
    }),
  );
  app.use((req) => {
    throw notFound(`no route for ${req.method} ${req.path}`);
  });
  app.use(
    errorMiddleware({
      logger,
      rejections: createRejectionLog({ logger, now }),
      storage: jobs.storageWatch,
      storageFailed: (reason) => metrics.storageFailed(reason),
    }),
  );
  // Live streams end first: server.close() waits for open connections.
  let closing: Promise<void> | undefined;
  return Object.assign(app, {
    // Idempotent: every call answers the same promise.
    close: () => (closing ??= Promise.all([feed?.stop(), jobs.stop()]).then(() => undefined)),
    endStreams: () => void feed?.stop(),
  });
}
