// The collector's jobs, started together by createCollector and stopped together by its close():
// the analytics catch-up, the abandonment job, retention, the facts backfill, the storage watch
// and the webhook dispatcher. Each is safe when several collectors run on one database: the
// catch-up only reads; a Cart Abandoned event recorded twice is a duplicate (its messageId is the
// cart's); purges delete in transactions of their own, and a second purge finds nothing; backfill
// steps are shared through the database, and no facts are written twice; the watch only probes;
// webhook deliveries are leased from the outbox, so that one collector attempts each at a time.
// Their timers never keep the process alive. A process with analytics off (SPUR_ANALYTICS=off)
// starts neither the catch-up nor the abandonment job: it builds no engine, and the carts are
// recorded by the collectors that do. The facts backfill runs in every process: with analytics on,
// once the first catch-up is done.
import type { Logger } from '../log';
import type { Store } from '../rules/store';
import { DEFAULT_REJECTED_DAYS } from '../settings';
import { startAbandonment, type AbandonmentJob } from './abandonment';
import { createAnalyticsService, type AnalyticsService } from './catch-up';
import { createFactsBackfill, type FactsBackfillJob } from './facts-backfill';
import { startRetention, type PurgeReport, type RetentionJob } from './retention';
import { watchStorage, type StorageWatch } from './storage-watch';
import { startWebhookDispatcher, type WebhookDispatcher } from '../webhooks/dispatcher';

/** What the jobs are told (CollectorConfig's part). */
export interface JobSettings {
  /** 'off': no analytics cache and no abandonment job (an ingest-only process). @defaultValue 'on' */
  analytics?: 'on' | 'off';
  now?: () => number;
  sessionMinutes?: number;
  abandonMinutes?: number;
  abandonmentIntervalMs?: number;
  retentionDays?: number;
  rejectedDays?: number;
  onPurge?: (report: PurgeReport) => void;
  webhooksAllowPrivate?: boolean;
  webhookIntervalMs?: number;
  webhookJitter?: () => number;
}

export interface Jobs {
  /** The analytics cache, caught up in the background (exports refresh it); none when analytics is off. */
  analytics?: AnalyticsService;
  /** Records Cart Abandoned events from the cache; none when analytics is off. */
  abandonment?: AbandonmentJob;
  /** Undefined when nothing is ever purged. */
  retention?: RetentionJob;
  /** Logs storage becoming unavailable and available again (the error middleware reports to it). */
  storageWatch: StorageWatch;
  /** Rewrites the facts of rows an older build stored into this build's (facts-backfill.ts). */
  factsBackfill: FactsBackfillJob;
  /** Delivers webhooks from the outbox. */
  webhooks: WebhookDispatcher;
  /** Stops them all and resolves once their runs under way are over. Idempotent. */
  stop(): Promise<void>;
}

export function startJobs(store: Store, settings: JobSettings, logger: Logger): Jobs {
  const now = settings.now;
  // One analytics cache per collector: it starts catching up at once, in the background
  // (/readyz tells how far; exports wait for it).
  const on = settings.analytics !== 'off';
  const analytics = on ? createAnalyticsService(store, { sessionMinutes: settings.sessionMinutes, abandonMinutes: settings.abandonMinutes, logger }) : undefined;
  const abandonment = analytics && startAbandonment({ store, analytics, now, logger, intervalMs: settings.abandonmentIntervalMs });
  analytics?.start();
  const rejectedDays = settings.rejectedDays ?? DEFAULT_REJECTED_DAYS;
  const retention =
    settings.retentionDays !== undefined || rejectedDays > 0
      ? startRetention({ storage: store, days: settings.retentionDays, rejectedDays, now, onPurge: settings.onPurge, logger })
      : undefined;
  const storageWatch = watchStorage({ storage: store, logger, now });
  // After the first full catch-up where there is one: the restart it speeds up comes first.
  const factsBackfill = createFactsBackfill({ storage: store, logger });
  if (analytics) analytics.onCaughtUp(() => factsBackfill.start());
  else factsBackfill.start();
  const webhooks = startWebhookDispatcher({ storage: store, allowPrivate: settings.webhooksAllowPrivate ?? false, now, logger, intervalMs: settings.webhookIntervalMs, random: settings.webhookJitter });
  let stopping: Promise<void> | undefined;
  return {
    analytics,
    abandonment,
    retention,
    storageWatch,
    factsBackfill,
    webhooks,
    stop() {
      stopping ??= (async () => {
        storageWatch.stop();
        // The abandonment job first: its run refreshes the cache, which stops after it.
        await abandonment?.stop();
        await Promise.all([analytics?.stop(), retention?.stop(), factsBackfill.stop(), webhooks.stop()]);
      })();
      return stopping;
    },
  };
}
