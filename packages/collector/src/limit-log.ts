// What the ingest limits held back, in the log: a client over its rate, rejected events counted
// but not stored. One line per kind and subject (an address or a write key) a minute, counting
// what came in between, so that a flood shows up without flooding the log.
import { clip, type Logger } from './log';

/** One line per kind and subject per window. */
export const LIMIT_LOG_WINDOW_MS = 60_000;
/** Subjects tracked at most; past that, new ones share one line per window. */
export const MAX_LIMIT_LOG_SUBJECTS = 100;

export interface LimitLogOptions {
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue LIMIT_LOG_WINDOW_MS */
  windowMs?: number;
  /** @defaultValue MAX_LIMIT_LOG_SUBJECTS */
  maxSubjects?: number;
}

/** Whom a line is about: a client address (as the IP setting would store it) or a write key. */
export interface LimitSubject {
  address?: string;
  writeKey?: string;
}

export interface LimitLog {
  /**
   * Counts `amount` (requests refused, events not stored) for `message` and `subject`; writes a
   * line with `fields` when the subject's window opens, with `count` (since first seen) and
   * `suppressed` (counted since the previous line, not in it).
   */
  record(message: string, subject: LimitSubject, amount: number, fields: Record<string, unknown>): void;
}

interface Tally {
  loggedAt: number;
  count: number;
  suppressed: number;
}

export function createLimitLog(options: LimitLogOptions): LimitLog {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? LIMIT_LOG_WINDOW_MS;
  const maxSubjects = options.maxSubjects ?? MAX_LIMIT_LOG_SUBJECTS;
  const tallies = new Map<string, Tally>();
  const overflow = new Map<string, Tally>();

  function count(tally: Tally, amount: number, at: number, line: () => void): void {
    tally.count += amount;
    if (at - tally.loggedAt < windowMs) {
      tally.suppressed += amount;
      return;
    }
    line();
    tally.loggedAt = at;
    tally.suppressed = 0;
  }

  return {
    record(message, subject, amount, fields) {
      const at = now();
      const who = {
        ...(subject.address !== undefined && { address: subject.address }),
        ...(subject.writeKey !== undefined && { writeKey: clip(subject.writeKey, 100) }),
      };
      const key = `${message}\n${who.address ?? ''}\n${who.writeKey ?? ''}`;
      let tally = tallies.get(key);
      if (!tally && tallies.size >= maxSubjects) {
        for (const [k, t] of tallies) if (at - t.loggedAt >= windowMs) tallies.delete(k);
      }
      const write = (t: Tally, extra: Record<string, unknown>) => () =>
        logger.warn({ ...fields, ...who, ...extra, count: t.count, ...(t.suppressed > 0 && { suppressed: t.suppressed }) }, message);
      if (!tally && tallies.size >= maxSubjects) {
        let shared = overflow.get(message);
        if (!shared) overflow.set(message, (shared = { loggedAt: -Infinity, count: 0, suppressed: 0 }));
        count(shared, amount, at, write(shared, { trackedSubjects: maxSubjects }));
        return;
      }
      if (!tally) tallies.set(key, (tally = { loggedAt: -Infinity, count: 0, suppressed: 0 }));
      count(tally, amount, at, write(tally, {}));
    },
  };
}
