// The facts backfill: rewrites the facts of rows an older build stored (none, from before the
// column, or of an older layout, analytics/stored-facts.ts) into this build's, in the background.
// A catch-up reads such rows from their bodies, about three times the CPU of facts, at every
// restart: without this job a shop that upgraded would keep its slow restarts until retention
// purged the old rows.
//
// Storage does the steps (Storage.backfillFacts): a window of rows in commit order from where the
// backfill stands (recorded in the database, so a restart or another collector goes on from
// there), one short transaction each. Ingest goes first: a step looks at 2,000 rows, and the job
// rests after each step at least as long as the step took, so it takes at most about half of a
// core and the writer (or the database) is never held for more than one step at a time.
// A rewritten row keeps its place in commit order: the catch-up never reads it twice.
//
// It runs in every collector, analytics on or off: the steps are shared through the database,
// and two collectors never do the same one. With analytics on it begins once the first full
// catch-up is done (jobs/index.ts), so that it does not slow the restart it is there to speed up.
// After a run reached the last row it looks again every hour, for rows that an older collector
// still running on the same database stored since.
import type { StoredEvent } from '@spur/sdk';
import { encodeFacts, FACTS_VERSION } from '../analytics/stored-facts';
import { StorageUnavailableError } from '../errors';
import { errorFields, silentLogger, type Logger } from '../log';
import type { Storage } from '../storage/types';

/** Rows looked at per step (one transaction). */
export const BACKFILL_STEP_ROWS = 2000;
const HOUR_MS = 60 * 60 * 1000;
/** Progress lines at most this often while a run rewrites rows. */
const PROGRESS_EVERY_MS = 60_000;

export interface FactsBackfillOptions {
  storage: Storage;
  /** Start, progress and end of a run that rewrites rows at info; a run with nothing to do at debug. @defaultValue silentLogger */
  logger?: Logger;
  /** Rows looked at per step. @defaultValue 2000 */
  stepRows?: number;
  /** The least rest between steps; after a step that took longer, the rest is as long as the step. @defaultValue 10 */
  pauseMs?: number;
  /** How long to wait while another collector does a step (PostgreSQL). @defaultValue 1000 */
  busyMs?: number;
  /** How often a finished backfill looks for new stale rows. @defaultValue one hour */
  intervalMs?: number;
}

/** What one run did. */
export interface FactsBackfillReport {
  looked: number;
  written: number;
  /** Rows whose body could not be read: left as they are. */
  failed: number;
  ms: number;
  /** It reached the last stored row (false: stopped, or storage failed). */
  complete: boolean;
}

export interface FactsBackfillStatus {
  /** About how many stored rows are left to look at (0 when done); null before the first step. */
  remaining: number | null;
  /** Rows whose facts this process rewrote since it started. */
  written: number;
}

export interface FactsBackfillJob {
  /** Runs the backfill up to the last stored row now, or joins the run under way. */
  run(): Promise<FactsBackfillReport>;
  /** A run now, then one every intervalMs; the timers never keep the process alive. Idempotent. */
  start(): void;
  /** Stops the timers and the run under way after its step; resolves once it is over. */
  stop(): Promise<void>;
  status(): FactsBackfillStatus;
}

/** The facts of a stored body, as ingest makes them of the event. */
const encode = (body: string): string => encodeFacts(JSON.parse(body) as StoredEvent);

export function createFactsBackfill(options: FactsBackfillOptions): FactsBackfillJob {
  const { storage } = options;
  const logger = options.logger ?? silentLogger;
  const limit = options.stepRows ?? BACKFILL_STEP_ROWS;
  const pauseMs = options.pauseMs ?? 10;
  const busyMs = options.busyMs ?? 1000;
  const status: FactsBackfillStatus = { remaining: null, written: 0 };
  let running: Promise<FactsBackfillReport> | undefined;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // The rest under way, ended early by stop().
  let wake: (() => void) | undefined;
  const rest = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => ((wake = undefined), resolve()), ms);
      wake = () => (clearTimeout(t), (wake = undefined), resolve());
    });

  async function backfill(): Promise<FactsBackfillReport> {
    const began = Date.now();
    const report: FactsBackfillReport = { looked: 0, written: 0, failed: 0, ms: 0, complete: false };
    let announced = false;
    let progressAt = began;
    try {
      while (!stopped) {
        const stepBegan = Date.now();
        const step = await storage.backfillFacts({ version: FACTS_VERSION, limit, encode });
        const took = Date.now() - stepBegan;
        if (step.busy) {
          await rest(busyMs);
          continue;
        }
        report.looked += step.looked;
        report.written += step.written;
        report.failed += step.failed;
        status.written += step.written;
        status.remaining = step.remaining;
        const now = Date.now();
        if (!announced && step.written > 0) {
          announced = true;
          // The share of stale rows so far, and the pace of a step with its rest, tell what is ahead.
          const share = report.written / Math.max(1, report.looked);
          const seconds = Math.round((step.remaining / Math.max(1, step.looked)) * (took + Math.max(pauseMs, took)) / 1000);
          logger.info(
            { version: FACTS_VERSION, remaining: step.remaining, staleEstimate: Math.round(share * step.remaining) + step.written, seconds },
            `facts backfill: rewriting the facts of rows an older build stored, about ${step.remaining} rows to look at, about ${seconds} s`,
          );
        } else if (announced && now - progressAt >= PROGRESS_EVERY_MS) {
          progressAt = now;
          logger.info({ looked: report.looked, written: report.written, remaining: step.remaining }, 'facts backfill: under way');
        }
        if (step.looked < limit) {
          report.complete = true;
          break;
        }
        await rest(Math.max(pauseMs, took));
      }
    } catch (err) {
      const unavailable = err instanceof StorageUnavailableError;
      // Closed: the collector is stopping; the next start goes on from where the backfill stands.
      if (unavailable && err.reason === 'closed') logger.debug({ version: FACTS_VERSION }, 'facts backfill stopped: storage closed');
      else logger.error({ version: FACTS_VERSION, ...errorFields(err, !unavailable || logger.isLevelEnabled('debug')) }, 'facts backfill failed');
    }
    report.ms = Date.now() - began;
    const { looked, written, failed, ms, complete } = report;
    if (failed > 0) logger.warn({ failed }, `facts backfill: ${failed} rows whose body could not be read were left as they are`);
    const level = written > 0 ? 'info' : 'debug';
    logger[level]({ version: FACTS_VERSION, looked, written, ms, complete }, `facts backfill ${complete ? 'done' : 'paused'}: ${written} rows rewritten of ${looked} looked at`);
    return report;
  }

  const run = () => {
    running ??= backfill().finally(() => (running = undefined));
    return running;
  };

  return {
    run,
    start() {
      if (started || stopped) return;
      started = true;
      const first = setTimeout(() => {
        void run();
        timer = setInterval(() => void run(), options.intervalMs ?? HOUR_MS);
        timer.unref();
      }, 0);
      first.unref();
      timer = first;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(timer);
      wake?.();
      await running;
    },
    status: () => ({ ...status }),
  };
}
