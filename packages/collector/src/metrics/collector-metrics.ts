// The Prometheus metrics of one collector: one registry per createCollector, never prom-client's
// global one (a shop may mount two collectors, tests make hundreds in one process). Every label
// takes values from a fixed set: a label value is a time series of its own, and clients choose
// paths, methods and reasons. The parts of the collector report through the methods here; the
// scrape reads the analytics cache's lag as it is at that moment.
import type { IngestResponse } from '@spur/sdk';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StorageFailure } from '../errors';
import type { IngestObserver } from '../ingest/service';
import type { AnalyticsService } from '../jobs/catch-up';
import type { FactsBackfillJob } from '../jobs/facts-backfill';
import type { WebhookDispatcher } from '../webhooks/dispatcher';
import { webhookMetrics } from './webhook-metrics';
import { METRIC_PREFIX, processMetrics } from './process-metrics';
import { REJECTION_REASONS, rejectionReason } from './rejection-reasons';

/** Every reason a storage failure can have (errors.ts StorageFailure), so each counter exists from the start. */
const STORAGE_FAILURES: readonly StorageFailure[] = ['disk_full', 'read_only', 'locked', 'io_error', 'corrupt', 'closed', 'starting', 'unavailable'];

/** Which limit refused a request with 429: ingest requests or events, per address or write key; failed admin logins. */
export type RateLimitScope = 'requests_ip' | 'requests_write_key' | 'events_ip' | 'events_write_key' | 'admin_login';
const SCOPES: readonly RateLimitScope[] = ['requests_ip', 'requests_write_key', 'events_ip', 'events_write_key', 'admin_login'];

/** Seconds: an ingest request takes a few milliseconds, an export of millions of events seconds. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: a commit is one fsync (about a millisecond here), more when the disk or a lock is slow. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface MetricsOptions {
  /** The process's analytics cache; none: the process builds none (`spur_analytics_enabled 0`). */
  analytics?: AnalyticsService;
  /** The facts backfill (jobs/facts-backfill.ts): its rows left and rewritten, read at scrape time. */
  factsBackfill?: Pick<FactsBackfillJob, 'status'>;
  /** The webhook dispatcher (webhooks/dispatcher.ts): it reports attempts and the outbox as they happen. */
  webhooks?: Pick<WebhookDispatcher, 'observe'>;
  /** The collector's clock (the age of the oldest pending delivery). @defaultValue Date.now */
  now?: () => number;
}

export interface CollectorMetrics extends IngestObserver {
  /** One answered (or abandoned: status 'aborted') HTTP request; `route` from a fixed set (http-metrics.ts). */
  request(route: string, method: string, status: string, seconds: number): void;
  /** A request failed because storage could not take or answer it (answered 503). */
  storageFailed(reason: StorageFailure): void;
  /** A request refused with 429 by a limit. */
  rateLimited(scope: RateLimitScope): void;
  /** The metrics of this collector and of its process, in Prometheus's text format. */
  scrape(): Promise<{ contentType: string; text: string }>;
}

export function createMetrics(options: MetricsOptions = {}): CollectorMetrics {
  const registry = new Registry();
  const registers = [registry];
  const name = (n: string) => METRIC_PREFIX + n;

  const requests = new Counter({
    name: name('http_requests_total'),
    help: 'HTTP requests answered by this collector process, by route (its pattern; an ingest path as listed), method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const durations = new Histogram({
    name: name('http_request_duration_seconds'),
    help: 'Time from a request reaching the collector to its answer written, by route',
    labelNames: ['route'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const accepted = new Counter({ name: name('events_accepted_total'), help: 'Events stored (answered under accepted)', registers });
  const duplicates = new Counter({
    name: name('events_duplicate_total'),
    help: 'Events whose messageId was stored before (answered under duplicates; also conflicts and erased subjects)',
    registers,
  });
  const rejected = new Counter({
    name: name('events_rejected_total'),
    help: 'Events refused by validation (answered under rejected), by kind of reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const commits = new Histogram({
    name: name('storage_commit_duration_seconds'),
    help: 'Time from an append submitted to storage to its commit (group commit included)',
    buckets: COMMIT_BUCKETS,
    registers,
  });
  const storageErrors = new Counter({
    name: name('storage_errors_total'),
    help: 'Requests answered 503 because storage could not take or answer them, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const limited = new Counter({ name: name('rate_limited_total'), help: 'Requests refused 429 by a limit, by scope', labelNames: ['scope'] as const, registers });
  const enabled = new Gauge({ name: name('analytics_enabled'), help: 'Whether this process builds the analytics cache (1) or only ingests (0)', registers });
  // Labelled counters appear once they have a value: zero from the start, so that rate() and
  // alerts see the first failure as an increase.
  for (const reason of REJECTION_REASONS) rejected.inc({ reason }, 0);
  for (const reason of STORAGE_FAILURES) storageErrors.inc({ reason }, 0);
  for (const scope of SCOPES) limited.inc({ scope }, 0);

  const { analytics } = options;
  enabled.set(analytics ? 1 : 0);
  const lag = analytics && {
    events: new Gauge({ name: name('analytics_lag_events'), help: 'Stored events the analytics cache has not read yet (about; 0 when it has read them all)', registers }),
    seconds: new Gauge({ name: name('analytics_lag_seconds'), help: 'Seconds since the analytics cache last held every stored event (0 when it does now)', registers }),
  };

  const { factsBackfill } = options;
  const backfill = factsBackfill && {
    remaining: new Gauge({
      name: name('facts_backfill_remaining_rows'),
      help: 'Stored rows the facts backfill has still to look at (about; 0 when it reached the last one, and before its first step)',
      registers,
    }),
    written: new Counter({ name: name('facts_backfill_rows_total'), help: 'Rows whose facts this process rewrote into the current layout', registers }),
    reported: 0,
  };

  const webhooks = options.webhooks && webhookMetrics(registers, options.webhooks, options.now);

  return {
    request(route, method, status, seconds) {
      requests.inc({ route, method, status });
      durations.observe({ route }, seconds);
    },
    committed(seconds) {
      commits.observe(seconds);
    },
    answered(answer: IngestResponse) {
      if (answer.accepted > 0) accepted.inc(answer.accepted);
      if (answer.duplicates > 0) duplicates.inc(answer.duplicates);
      for (const item of answer.rejected) rejected.inc({ reason: rejectionReason(item.reason) });
    },
    storageFailed(reason) {
      storageErrors.inc({ reason });
    },
    rateLimited(scope) {
      limited.inc({ scope });
    },
    async scrape() {
      if (analytics && lag) {
        // Storage that cannot answer now leaves the last values: the scrape itself still works,
        // and spur_storage_errors_total says why.
        const now = await analytics.lag().catch(() => undefined);
        if (now) {
          lag.events.set(now.events);
          lag.seconds.set(now.seconds);
        }
      }
      if (backfill) {
        const now = factsBackfill.status();
        if (now.remaining !== null) backfill.remaining.set(now.remaining);
        backfill.written.inc(now.written - backfill.reported);
        backfill.reported = now.written;
      }
      webhooks?.beforeScrape();
      const [own, ofProcess] = await Promise.all([registry.metrics(), processMetrics().metrics()]);
      return { contentType: registry.contentType, text: `${ofProcess}\n${own}` };
    },
  };
}
