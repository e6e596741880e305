// Retention and the records of privacy on SQLite: purge chunks (events and rejected events older
// than their period, each chunk a transaction of its own on the writer), what a dry run counts,
// the generation and the erasures kept. Who a data subject is, and what an erasure deletes, are
// the rules' (rules/subjects.ts, rules/erasure.ts); this file only reads and deletes by time.
import type { Database } from 'better-sqlite3';
import type { ErasureCounts, ErasureRecord, PurgeCounts } from '../types';
import { createRejectedReads, createRejectedWrites } from './rejected';

/** One chunk of a purge: at most `limit` rows (rejected: events), looked for among ids (after, after + window]. */
export interface PurgeTask {
  table: 'events' | 'rejected';
  before: string;
  now: string;
  after: number;
  limit: number;
  window: number;
}

/** What a chunk deleted, and where the next starts (null: done). */
export interface PurgeChunk {
  deleted: number;
  next: number | null;
}

export interface PrivacyReader {
  countExpired(before: string | null, rejectedBefore: string | null): PurgeCounts;
  generation(): number;
  listErasures(): ErasureRecord[];
}

export function createPrivacyReader(db: Database): PrivacyReader {
  const countEvents = db.prepare('SELECT count(*) FROM events WHERE timestamp < ?').pluck();
  const rejected = createRejectedReads(db);
  const generation = db.prepare('SELECT generation FROM privacy_state WHERE id = 1').pluck();
  const erasures = db.prepare('SELECT subject_hash, erased_at, counts FROM erasures ORDER BY id').raw();
  return {
    countExpired: (before, rejectedBefore) => ({
      events: before === null ? 0 : (countEvents.get(before) as number),
      rejectedEvents: rejectedBefore === null ? 0 : rejected.countBefore(rejectedBefore),
    }),
    generation: () => generation.get() as number,
    listErasures: () =>
      (erasures.all() as [string, string, string][]).map(([subjectHash, erasedAt, counts]) => ({
        subjectHash,
        erasedAt,
        counts: JSON.parse(counts) as ErasureCounts,
      })),
  };
}

/** Runs one purge chunk; the caller wraps it in a transaction. */
export function createPurger(db: Database): (task: PurgeTask) => PurgeChunk {
  const rejected = createRejectedWrites(db);
  const s = {
    deleteEvent: db.prepare('DELETE FROM events WHERE rowid = ?'),
    // Runs left without an event of their id (all gone) go too: they name the id.
    pruneRuns: db.prepare(
      `DELETE FROM anonymous_runs WHERE anonymous_id = @id AND NOT EXISTS (
         SELECT 1 FROM events e WHERE e.rowid BETWEEN first_seq AND last_seq AND e.anonymous_id = @id)`,
    ),
    expire: db.prepare('DELETE FROM suppressions WHERE until <= ?'),
    bump: db.prepare('UPDATE privacy_state SET generation = generation + 1 WHERE id = 1'),
    maxEvent: db.prepare('SELECT coalesce(max(rowid), 0) FROM events').pluck(),
    expiredEvents: db
      .prepare(
        `SELECT rowid, anonymous_id FROM events
         WHERE rowid > @after AND rowid <= @end AND timestamp < @before ORDER BY rowid LIMIT @limit`,
      )
      .raw(),
  };

  return (task) => {
    const end = task.after + task.window;
    let deleted = 0;
    let last = end;
    let max: number;
    s.expire.run(task.now);
    if (task.table === 'events') {
      max = s.maxEvent.get() as number;
      const rows = s.expiredEvents.all({ after: task.after, end, before: task.before, limit: task.limit }) as [number, string | null][];
      const anonymous = new Set<string>();
      for (const [seq, anonymousId] of rows) {
        deleted += s.deleteEvent.run(seq).changes;
        if (anonymousId !== null) anonymous.add(anonymousId);
      }
      for (const id of anonymous) s.pruneRuns.run({ id });
      if (rows.length === task.limit) last = rows[rows.length - 1][0];
    } else {
      max = rejected.maxId();
      const chunk = rejected.purge(task.after, end, task.before, task.limit);
      deleted = chunk.events;
      if (chunk.resumeAfter !== null) last = chunk.resumeAfter;
    }
    // Rejected events are in no analytics cache: only events going makes the caches start over.
    if (deleted > 0 && task.table === 'events') s.bump.run();
    return { deleted, next: last >= max ? null : last };
  };
}
