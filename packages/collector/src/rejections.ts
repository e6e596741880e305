// Ingest rejections (401 missing or unknown write key, 403 origin not allowed) in the log. A
// misconfigured shop sends them with every event of every visitor, and the SDK does not retry
// them, so without a log line nobody notices that nothing arrives; one line per write key and
// origin per minute says it without flooding the log.
import { clip, type Logger } from './log';

/** Why an ingest request was refused before any event was read. */
export type RejectionReason = 'missing_write_key' | 'unknown_write_key' | 'origin_not_allowed';

/** What an ingest 401/403 carries for the log (HttpError.rejection). */
export interface Rejection {
  reason: RejectionReason;
  /** The key the request sent, when it sent one. */
  writeKey?: string;
}

/** A window per write key, origin and reason: its first rejection is logged, the rest counted. */
export const REJECTION_WINDOW_MS = 60_000;
/**
 * Pairs tracked at most. A client sending made-up keys creates a pair per key; past this many,
 * rejections of new pairs are logged together, once per window, so memory and log volume stay
 * bounded whatever arrives. A shop has a few keys and origins.
 */
export const MAX_REJECTION_PAIRS = 100;

export interface RejectionLogOptions {
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue REJECTION_WINDOW_MS */
  windowMs?: number;
  /** @defaultValue MAX_REJECTION_PAIRS */
  maxPairs?: number;
}

/** The request a rejection answered, as the log line names it. */
export interface RejectedRequest {
  origin?: string;
  requestId?: string;
  method: string;
  path: string;
}

export interface RejectionLog {
  record(rejection: Rejection, request: RejectedRequest): void;
}

interface Tally {
  /** When the line of the current window was written; -Infinity before the first. */
  loggedAt: number;
  /** Rejections since tracking began, the one being logged included. */
  count: number;
  /** Rejections not logged since the previous line. */
  suppressed: number;
}

export function createRejectionLog(options: RejectionLogOptions): RejectionLog {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? REJECTION_WINDOW_MS;
  const maxPairs = options.maxPairs ?? MAX_REJECTION_PAIRS;
  const pairs = new Map<string, Tally>();
  const overflow: Tally = { loggedAt: -Infinity, count: 0, suppressed: 0 };

  // Counts one rejection; true when it opens a window and gets a line.
  function due(tally: Tally, at: number): boolean {
    tally.count++;
    if (at - tally.loggedAt < windowMs) {
      tally.suppressed++;
      return false;
    }
    return true;
  }

  function write(tally: Tally, at: number, fields: Record<string, unknown>, message: string): void {
    logger.warn({ ...fields, count: tally.count, ...(tally.suppressed > 0 && { suppressed: tally.suppressed }) }, message);
    tally.loggedAt = at;
    tally.suppressed = 0;
  }

  return {
    record(rejection, request) {
      const at = now();
      const writeKey = rejection.writeKey === undefined ? undefined : clip(rejection.writeKey, 100);
      const origin = request.origin === undefined ? undefined : clip(request.origin, 100);
      const fields = {
        reason: rejection.reason,
        ...(writeKey !== undefined && { writeKey }),
        ...(origin !== undefined && { origin }),
        requestId: request.requestId,
        method: request.method,
        path: request.path,
      };
      const key = `${rejection.reason}\n${writeKey ?? ''}\n${origin ?? ''}`;
      let tally = pairs.get(key);
      if (!tally && pairs.size >= maxPairs) {
        // Pairs whose window has passed are forgotten (their next rejection is logged anyway).
        for (const [k, t] of pairs) if (at - t.loggedAt >= windowMs) pairs.delete(k);
      }
      if (!tally && pairs.size >= maxPairs) {
        if (due(overflow, at)) {
          write(overflow, at, { ...fields, trackedPairs: maxPairs }, 'ingest rejected (more write key and origin pairs than tracked; counted together)');
        }
        return;
      }
      if (!tally) pairs.set(key, (tally = { loggedAt: -Infinity, count: 0, suppressed: 0 }));
      if (due(tally, at)) write(tally, at, fields, 'ingest rejected');
    },
  };
}
