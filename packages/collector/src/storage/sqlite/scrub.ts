// Emptying the WAL after an erasure, so that no copy of the erased rows is left in the database
// files. secure_delete zeroes what the erasure deletes, but in WAL mode the zeroed pages are new
// frames: until a checkpoint copies them over, the main file still holds the old pages, and the
// old frames stay in the WAL until it is overwritten, which may be never. A TRUNCATE checkpoint
// copies every frame into the main file and cuts the WAL to zero bytes. It needs every reader to
// be done with the WAL: a connection in a read transaction (an export reading a page, another
// process, the checkpointer thread mid-checkpoint) makes it report busy. So the writer tries
// every RETRY_MS, letting appends commit in between, for at most `waitMs`; the erasure answers
// only then, saying whether it got there. erasures.scrubbed_at records it: an erasure not
// scrubbed is retried when asked again, at the next erasure, at start and at close.
import type { Database } from 'better-sqlite3';

/** Pause between attempts; appends of the moment commit in it. */
const RETRY_MS = 25;
/** How long one attempt waits for readers (SQLite's busy handler): short, as it blocks the writer. */
const ATTEMPT_BUSY_MS = 20;
/** How long an erasure waits for readers of old snapshots, by default. */
export const ERASE_WAIT_MS = 30_000;

export interface Scrubber {
  /** Resolves true once the WAL is empty (every erasure so far scrubbed), false after `waitMs`. */
  scrub(): Promise<boolean>;
  /** One attempt now, when an erasure waits for it (at start, before closing). */
  settle(): void;
}

export function createScrubber(db: Database, options: { waitMs: number; busyTimeoutMs: number }): Scrubber {
  const mark = db.prepare('UPDATE erasures SET scrubbed_at = ? WHERE scrubbed_at IS NULL');
  const unscrubbed = db.prepare('SELECT EXISTS (SELECT 1 FROM erasures WHERE scrubbed_at IS NULL)').pluck();
  const waiting = new Set<(done: boolean) => void>();
  let timer: NodeJS.Timeout | null = null;

  function attempt(): boolean {
    // Not inside a write transaction of this connection (a program's steps are awaited): the next try comes soon.
    if (!db.open || db.inTransaction) return false;
    db.pragma(`busy_timeout = ${ATTEMPT_BUSY_MS}`);
    try {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
      if (result.busy !== 0 || result.log > 0) return false;
      mark.run(new Date().toISOString());
      return true;
    } catch {
      // Busy (SQLITE_BUSY: a reader, or another connection's checkpoint), or anything else (a
      // failing disk): retried the same way until the wait is over; appends report such trouble.
      return false;
    } finally {
      if (db.open) db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    }
  }

  function answer(done: boolean): void {
    for (const resolve of waiting) resolve(done);
    waiting.clear();
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  // One loop serves every waiting erasure: a success empties the WAL for all of them.
  function loop(): void {
    timer = null;
    if (attempt()) return answer(true);
    if (waiting.size > 0) timer = setTimeout(loop, RETRY_MS);
  }

  return {
    scrub() {
      return new Promise<boolean>((resolve) => {
        const give = setTimeout(() => {
          waiting.delete(settleOne);
          resolve(false);
        }, options.waitMs);
        const settleOne = (done: boolean) => {
          clearTimeout(give);
          resolve(done);
        };
        waiting.add(settleOne);
        if (timer === null) loop();
      });
    },
    settle() {
      if (waiting.size > 0 || (db.open && unscrubbed.get() === 1)) answer(attempt());
    },
  };
}
