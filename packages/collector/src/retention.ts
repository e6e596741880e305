// Retention (SPUR_RETENTION_DAYS): events whose time lies more than N days back, and rejected
// events received that long ago, are deleted, by a daily job of the collector and by `spur
// purge`. Storage deletes in small transactions, so ingest goes on meanwhile, and bumps its
// generation, so that every analytics cache on the database starts over without them.
// Identity links and aliases stay: they hold no behaviour, only which ids are one person, and
// they keep a returning device stitched to its customer; an erasure request removes them.
import { StorageUnavailableError } from './errors';
import { errorFields, silentLogger, type Logger } from './log';
import type { PurgeCounts, Storage } from './storage/types';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface PurgeReport extends PurgeCounts {
  /** Events before this time (and rejected events received before it) are purged. */
  before: string;
  dryRun: boolean;
}

/** The first moment that is kept: `now` − `days` days, as an ISO time. */
export function retentionCutoff(now: number, days: number): string {
  return new Date(now - days * DAY_MS).toISOString();
}

/** Purges (or, dry, counts) what is older than `days` days by the clock `now`. */
export async function purgeExpired(
  storage: Storage,
  options: { days: number; now?: () => number; dryRun?: boolean },
): Promise<PurgeReport> {
  if (!Number.isInteger(options.days) || options.days < 1) throw new RangeError('retention days must be a whole number from 1');
  const now = (options.now ?? Date.now)();
  const before = retentionCutoff(now, options.days);
  const dryRun = options.dryRun ?? false;
  const counts = await storage.purge({ before, now: new Date(now).toISOString(), dryRun });
  return { ...counts, before, dryRun };
}

export interface RetentionOptions {
  storage: Storage;
  days: number;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue one day */
  intervalMs?: number;
  /** Receives the outcome of each run. */
  onPurge?: (report: PurgeReport) => void;
  /** Each run's outcome at info level, a failed run at error level (the next run tries again). @defaultValue silentLogger */
  logger?: Logger;
}

export interface RetentionJob {
  /** Runs a purge now, or joins the one under way. */
  run(): Promise<PurgeReport | undefined>;
  stop(): void;
}

/**
 * Purges once at start, then every `intervalMs`; its timers never keep the process alive. A
 * collector restarted more often than daily still purges.
 */
export function startRetention(options: RetentionOptions): RetentionJob {
  const logger = options.logger ?? silentLogger;
  let running: Promise<PurgeReport | undefined> | undefined;
  const run = () => {
    running ??= (async () => {
      let report: PurgeReport | undefined;
      try {
        report = await purgeExpired(options.storage, { days: options.days, now: options.now });
      } catch (err) {
        // A storage failure (full disk, locked) is explained by its reason; anything else needs its stack.
        const stack = !(err instanceof StorageUnavailableError) || logger.isLevelEnabled('debug');
        logger.error({ days: options.days, ...errorFields(err, stack) }, 'retention purge failed');
      }
      // Cleared before anyone hears of the outcome: a run asked for from then on is a new one.
      running = undefined;
      if (report) {
        const { events, rejectedEvents, before } = report;
        logger.info({ days: options.days, before, events, rejectedEvents }, `retention purge: ${events} events and ${rejectedEvents} rejected events from before ${before}`);
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
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
