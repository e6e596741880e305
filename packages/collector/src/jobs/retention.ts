// Retention (SPUR_RETENTION_DAYS): events whose time lies more than N days back, and rejected
// events received that long ago, are deleted, by a daily job of the collector and by `spur
// purge`. Rejected events have a period of their own (SPUR_REJECTED_DAYS, 30 by default, also
// when SPUR_RETENTION_DAYS is unset): the public write key can send them, and unpurged they
// would grow without bound. Storage deletes in small transactions, so ingest goes on
// meanwhile, and bumps its generation when events went, so that every analytics cache on the
// database starts over without them.
// Identity links and aliases stay: they hold no behaviour, only which ids are one person, and
// they keep a returning device stitched to its customer; an erasure request removes them.
import { StorageUnavailableError } from '../errors';
import { errorFields, silentLogger, type Logger } from '../log';
import type { PurgeCounts, Storage } from '../storage/types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface PurgeReport extends PurgeCounts {
  /** Events before this time are purged; null: events are kept. */
  before: string | null;
  /** Rejected events received before this time are purged; null: they are kept. */
  rejectedBefore: string | null;
  dryRun: boolean;
}

/** What a purge keeps: days of events and of rejected events (undefined or 0: no limit of its own). */
export interface RetentionPeriods {
  /** Events whose time lies more than this many days back go, and rejected events received then. */
  days?: number;
  /** Rejected events received more than this many days ago go (SPUR_REJECTED_DAYS). */
  rejectedDays?: number;
}

/** The first moment that is kept: `now` − `days` days, as an ISO time. */
export function retentionCutoff(now: number, days: number): string {
  return new Date(now - days * DAY_MS).toISOString();
}

/**
 * Purges (or, dry, counts) what is older than its period by the clock `now`: events after
 * `days`, rejected events after the shorter of `days` and `rejectedDays`.
 */
export async function purgeExpired(
  storage: Storage,
  options: RetentionPeriods & { now?: () => number; dryRun?: boolean },
): Promise<PurgeReport> {
  const { days, rejectedDays } = options;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new RangeError('retention days must be a whole number from 1');
  if (rejectedDays !== undefined && (!Number.isInteger(rejectedDays) || rejectedDays < 0)) {
    throw new RangeError('rejected-event days must be a whole number from 0');
  }
  const now = (options.now ?? Date.now)();
  const before = days === undefined ? null : retentionCutoff(now, days);
  const ownCutoff = rejectedDays ? retentionCutoff(now, rejectedDays) : null;
  // The shorter period wins: SPUR_RETENTION_DAYS covers rejected events too.
  const rejectedBefore = before === null ? ownCutoff : ownCutoff === null || before > ownCutoff ? before : ownCutoff;
  const dryRun = options.dryRun ?? false;
  if (before === null && rejectedBefore === null) return { events: 0, rejectedEvents: 0, before, rejectedBefore, dryRun };
  const counts = await storage.purge({ before, rejectedBefore, now: new Date(now).toISOString(), dryRun });
  return { ...counts, before, rejectedBefore, dryRun };
}

export interface RetentionOptions extends RetentionPeriods {
  storage: Storage;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue one day */
  intervalMs?: number;
  /** Receives the outcome of each run. */
  onPurge?: (report: PurgeReport) => void;
  /**
   * Each run's outcome at info level (debug when nothing was purged), a failed run at error level
   * (the next run tries again). @defaultValue silentLogger
   */
  logger?: Logger;
}

export interface RetentionJob {
  /** Runs a purge now, or joins the one under way. */
  run(): Promise<PurgeReport | undefined>;
  /** Stops the timers, and resolves once a purge under way is over. */
  stop(): Promise<void>;
}

/**
 * Purges once at start, then every `intervalMs`; its timers never keep the process alive. A
 * collector restarted more often than daily still purges.
 */
export function startRetention(options: RetentionOptions): RetentionJob {
  const logger = options.logger ?? silentLogger;
  const { days, rejectedDays } = options;
  let running: Promise<PurgeReport | undefined> | undefined;
  const run = () => {
    running ??= (async () => {
      let report: PurgeReport | undefined;
      try {
        report = await purgeExpired(options.storage, { days, rejectedDays, now: options.now });
      } catch (err) {
        // A storage failure (full disk, locked) is explained by its reason; anything else needs its stack.
        const unavailable = err instanceof StorageUnavailableError;
        const stack = !unavailable || logger.isLevelEnabled('debug');
        // Closed: the collector is stopping (the job runs at every start, so also in one that
        // stops at once); the next start purges.
        if (unavailable && err.reason === 'closed') logger.debug({ days, rejectedDays }, 'retention purge skipped: storage closed');
        else logger.error({ days, rejectedDays, ...errorFields(err, stack) }, 'retention purge failed');
      }
      // Cleared before anyone hears of the outcome: a run asked for from then on is a new one.
      running = undefined;
      if (report) {
        const { events, rejectedEvents, before, rejectedBefore } = report;
        const parts = [
          before === null ? 'events kept' : `${events} events from before ${before}`,
          rejectedBefore === null ? 'rejected events kept' : `${rejectedEvents} rejected events received before ${rejectedBefore}`,
        ];
        // A run that found nothing is routine (the rejected-event period runs in every collector).
        const level = events + rejectedEvents > 0 ? 'info' : 'debug';
        logger[level]({ days, rejectedDays, before, rejectedBefore, events, rejectedEvents }, `retention purge: ${parts.join(', ')}`);
        options.onPurge?.(report);
      }
      return report;
    })();
    return running;
  };
  const first = setTimeout(() => void run(), 0);
  const timer = setInterval(() => void run(), options.intervalMs ?? DAY_MS);
  first.unref();
  timer.unref();
  return {
    run,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
