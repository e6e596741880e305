// Storage becoming unavailable, and available again, in the log. When the disk fills up every
// ingest request fails with 503 until it is fixed: the first failure is logged with its reason,
// the rest are counted, and a probe (the check /readyz makes) says when writes work again.
import { StorageUnavailableError } from './errors';
import { errorFields, type Logger, type RequestFields } from './log';
import type { Storage } from './storage/types';

/** How often storage is probed while it is unavailable. */
export const STORAGE_PROBE_MS = 5_000;

export interface StorageWatchOptions {
  storage: Storage;
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue STORAGE_PROBE_MS */
  probeMs?: number;
}

export interface StorageWatch {
  /** A request failed with `err` (answered 503); `fields` name the request. */
  failed(err: StorageUnavailableError, fields: RequestFields): void;
  /** Stops probing. */
  stop(): void;
}

export function watchStorage(options: StorageWatchOptions): StorageWatch {
  const { storage, logger } = options;
  const now = options.now ?? Date.now;
  let down: { since: number; failures: number } | null = null;
  let timer: NodeJS.Timeout | undefined;

  function probe(): void {
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
        return;
      }
      down = { since: now(), failures: 1 };
      logger.error({ ...fields, code: 'storage_unavailable', reason: err.reason, ...errorFields(err, stack) }, 'storage unavailable');
      if (err.reason !== 'closed') probe();
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
