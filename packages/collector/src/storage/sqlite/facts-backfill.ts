// The facts backfill on SQLite (Storage.backfillFacts). A step reads a window of rows after where
// the backfill stands on this thread's connection, has the caller's encode make the stale rows'
// facts here (the writer thread runs no analytics code), and sends the writer one short
// transaction: the facts of those rows and the new position. Rows are looked at by rowid, the
// catch-up's cursor too, which an UPDATE leaves as it is: a rewritten row never looks new to a
// catch-up.
//
// Between the read and the write an erasure or a purge may delete a row: its UPDATE finds no row
// and writes nothing. Another collector on the file may have written the same rows meanwhile:
// the UPDATE repeats the staleness test, so it writes nothing either (the facts are a function
// of the body, which never changes).
import type { Database } from 'better-sqlite3';
import type { FactsBackfillStep, FactsBackfillTask } from '../types';

/** What the writer commits for one step: facts by rowid, and where the backfill stands after it. */
export interface FactsWrite {
  version: number;
  rows: [rowid: number, facts: string][];
  after: number;
}

/**
 * A step that found nothing stale writes its position only once this many rows went by without
 * one being recorded: a shop whose rows are all current costs no commit per step, and a restart
 * looks at most this many rows again.
 */
export const RECORD_EVERY = 50_000;

/** The writer's half, on the write connection: the caller wraps it in a transaction. */
export function createFactsWriter(db: Database): (write: FactsWrite) => number {
  // Stale: no facts, or `[n,` with n below the version (CAST takes the leading integer of '1,17…').
  const update = db.prepare('UPDATE events SET facts = @facts WHERE rowid = @rowid AND (facts IS NULL OR CAST(substr(facts, 2) AS INTEGER) < @version)');
  const record = db.prepare(
    'INSERT INTO facts_backfill (version, after) VALUES (@version, @after) ON CONFLICT (version) DO UPDATE SET after = max(after, excluded.after)',
  );
  return ({ version, rows, after }) => {
    let written = 0;
    for (const [rowid, facts] of rows) written += update.run({ rowid, facts, version }).changes;
    record.run({ version, after });
    return written;
  };
}

/** The reading half, on the main thread's connection. */
export interface FactsBackfillReader {
  /**
   * The rows of the step's window (rowid, and the body where the row is stale, else null) after
   * `after` or the recorded position, whichever is further, and how many rows follow the window.
   */
  window(version: number, after: number, limit: number): { from: number; rows: [number, string | null][]; remaining: number };
}

export function createFactsReader(db: Database): FactsBackfillReader {
  const q = {
    recorded: db.prepare('SELECT after FROM facts_backfill WHERE version = ?').pluck(),
    rows: db
      .prepare(
        `SELECT rowid, CASE WHEN facts IS NULL OR CAST(substr(facts, 2) AS INTEGER) < @version THEN body END
         FROM events WHERE rowid > @after ORDER BY rowid LIMIT @limit`,
      )
      .raw(),
    last: db.prepare('SELECT coalesce(max(rowid), 0) FROM events').pluck(),
  };
  return {
    window(version, after, limit) {
      const from = Math.max(after, (q.recorded.get(version) as number | undefined) ?? 0);
      const rows = q.rows.all({ version, after: from, limit }) as [number, string | null][];
      const end = rows.length > 0 ? rows[rows.length - 1][0] : from;
      const remaining = rows.length < limit ? 0 : Math.max(0, (q.last.get() as number) - end);
      return { from, rows, remaining };
    },
  };
}

/** Where the backfill of a version stands in this process: ahead of the recorded position between records. */
export interface FactsPosition {
  at: number;
  recorded: number;
}

/**
 * One step after its window was read: the stale rows encoded, and (when something is stale, or
 * RECORD_EVERY rows went by unrecorded) the writer's transaction. Answers the step and where the
 * backfill stands after it.
 */
export async function backfillStep(
  task: FactsBackfillTask,
  known: FactsPosition,
  window: ReturnType<FactsBackfillReader['window']>,
  write: (write: FactsWrite) => Promise<number>,
): Promise<{ step: FactsBackfillStep; position: FactsPosition }> {
  const { from, rows, remaining } = window;
  const stale: [number, string][] = [];
  let failed = 0;
  for (const [rowid, body] of rows) {
    if (body === null) continue;
    try {
      stale.push([rowid, task.encode(body)]);
    } catch {
      failed++; // left as it is: the catch-up reads its body, as it always did
    }
  }
  const after = rows.length > 0 ? rows[rows.length - 1][0] : from;
  // A position read from the database was recorded there; one of this process's own may not be yet.
  const recorded = from > known.at ? from : known.recorded;
  let written = 0;
  let position = { at: after, recorded };
  if (stale.length > 0 || after - recorded >= RECORD_EVERY) {
    written = await write({ version: task.version, rows: stale, after });
    position = { at: after, recorded: after };
  }
  return { step: { looked: rows.length, written, failed, remaining, busy: false }, position };
}
