// Storage becoming unavailable, and available again, in the log. When the disk fills up every
// ingest request fails with 503 until it is fixed: the first failure is logged with its reason,
// the rest are counted (a line with the count each minute while they go on, so a spell that
// outlasts the process, or a writer thread that is gone for good, still shows its size), and a
// probe (the check /readyz makes) says when writes work again, with the count.
import { StorageUnavailableError, type StorageFailureLog } from '../errors';
import { errorFields, type Logger, type RequestFields } from '../log';
import type { Storage } from '../storage/types';

/** How often storage is probed while it is unavailable. */
export const STORAGE_PROBE_MS = 5_000;
/** While requests keep failing, a line with the count at most this often. */
export const STORAGE_SUMMARY_MS = 60_000;

export interface StorageWatchOptions {
  storage: Storage;
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue STORAGE_PROBE_MS */
  probeMs?: number;
  /** @defaultValue STORAGE_SUMMARY_MS */
  summaryMs?: number;
}

export interface StorageWatch extends StorageFailureLog {
  /** A request failed with `err` (answered 503); `fields` name the request. */
  failed(err: StorageUnavailableError, fields: RequestFields): void;
  /** Stops probing, for good: a failure after it is logged, and no probe starts. */
  stop(): void;
}

export function watchStorage(options: StorageWatchOptions): StorageWatch {
  const { storage, logger } = options;
  const now = options.now ?? Date.now;
  let down: { since: number; failures: number; lastLine: number } | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function probe(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      storage.ping().then(
        () => {
          if (!down) return;
          logger.info({ downMs: now() - down.since, failedRequests: down.failures }, 'storage available again');
          down = null;
        },
        (err: unknown) => {
          // Closed: the collector is shutting down; nothing to wait for.
          if (err instanceof StorageUnavailableError && err.reason === 'closed') return;
          probe();
        },
      );
    }, options.probeMs ?? STORAGE_PROBE_MS);
    timer.unref(); // never what keeps the process alive
  }

  return {
    failed(err, fields) {
      const stack = logger.isLevelEnabled('debug');
      if (down) {
        down.failures++;
        logger.debug({ ...fields, code: 'storage_unavailable', reason: err.reason, ...errorFields(err, stack) }, 'storage still unavailable');
        const at = now();
        if (at - down.lastLine >= (options.summaryMs ?? STORAGE_SUMMARY_MS)) {
          down.lastLine = at;
          const downMs = at - down.since;
          const summary = `storage still unavailable after ${Math.round(downMs / 1000)} s: ${down.failures} requests refused so far`;
          logger.error({ code: 'storage_unavailable', reason: err.reason, downMs, failedRequests: down.failures }, summary);
        }
        return;
      }
      down = { since: now(), failures: 1, lastLine: now() };
      logger.error({ ...fields, code: 'storage_unavailable', reason: err.reason, ...errorFields(err, stack) }, 'storage unavailable');
      if (err.reason !== 'closed') probe();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
