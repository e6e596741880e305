// Retention and the files after an erasure, on PostgreSQL. A purge deletes in chunks, each a write
// transaction of its own that takes its turn like an append (privacy_state locked first), so
// appends of every collector go on between chunks. scrub() waits until no session of the
// database holds a snapshot older than the erasure, then runs VACUUM on the tables an erasure
// deletes from: the erased rows' tuples are removed from their pages and their index entries
// from the indexes (SECURITY.md says what it does not do: WAL, backups, bytes of freed space).
import type { ErasureCounts, ErasureRecord, PurgeCounts } from '../types';
import type { PostgresConnection, Queryable } from './connection';
import { countRejectedBefore, purgeRejected, type TermHasher } from './rejected';
import { LOCK_PRIVACY_STATE } from './transaction';

/** Rows deleted per purge transaction at most: appends wait for one chunk, not the whole purge. */
const PURGE_CHUNK = 5000;
/** Event ids looked at per purge transaction, so that a chunk that finds little still ends soon. */
const PURGE_WINDOW = 50_000;

/** Counts what a purge would delete. */
export async function countExpired(db: Queryable, before: string | null, rejectedBefore: string | null): Promise<PurgeCounts> {
  const events = before === null ? 0 : Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE timestamp < $1', [before])).rows[0].n);
  return { events, rejectedEvents: rejectedBefore === null ? 0 : await countRejectedBefore(db, rejectedBefore) };
}

/** Erasures, oldest first. */
export async function listErasures(db: Queryable): Promise<ErasureRecord[]> {
  const { rows } = await db.query<{ subject_hash: string; erased_at: string; counts: string }>('SELECT subject_hash, erased_at, counts FROM erasures ORDER BY id');
  return rows.map((r) => ({ subjectHash: r.subject_hash, erasedAt: r.erased_at, counts: JSON.parse(r.counts) as ErasureCounts }));
}

/** Deletes what is older than the cutoffs, chunk by chunk; bumps the generation when events went. */
export async function purge(
  connection: PostgresConnection,
  term: TermHasher,
  options: { before: string | null; rejectedBefore: string | null; now: string },
): Promise<PurgeCounts> {
  const counts: PurgeCounts = { events: 0, rejectedEvents: 0 };
  if (options.before !== null) {
    const before = options.before;
    for (let after = 0; ; ) {
      const from = after;
      const chunk = await connection.transaction(async (tx) => {
        await tx.query(LOCK_PRIVACY_STATE);
        await tx.query('DELETE FROM suppressions WHERE until <= $1', [options.now]);
        const deleted = await tx.query<{ n: string; last: string | null }>(
          `WITH gone AS (
             DELETE FROM events WHERE id IN (
               SELECT id FROM events WHERE id > $1 AND id <= $2 AND timestamp < $3 ORDER BY id LIMIT $4)
             RETURNING id)
           SELECT count(*) AS n, max(id) AS last FROM gone`,
          [from, from + PURGE_WINDOW, before, PURGE_CHUNK],
        );
        const n = Number(deleted.rows[0].n);
        // Only events going makes the analytics caches start over.
        if (n > 0) await tx.query('UPDATE privacy_state SET generation = generation + 1 WHERE id = 1');
        const end = await tx.query<{ max: string | null }>('SELECT max(id) AS max FROM events');
        return { n, last: Number(deleted.rows[0].last ?? 0), end: Number(end.rows[0].max ?? 0) };
      });
      counts.events += chunk.n;
      // A full chunk may have left rows of its window: the next goes on from its last row.
      after = chunk.n === PURGE_CHUNK ? chunk.last : from + PURGE_WINDOW;
      if (after >= chunk.end) break;
    }
  }
  if (options.rejectedBefore !== null) {
    for (let after: number | null = 0; after !== null; ) {
      const from: number = after;
      const chunk = await connection.transaction(async (tx) => {
        await tx.query(LOCK_PRIVACY_STATE);
        return purgeRejected(tx, term, from, options.rejectedBefore!, PURGE_CHUNK);
      });
      counts.rejectedEvents += chunk.events;
      after = chunk.next;
    }
  }
  return counts;
}

/** The tables an erasure deletes from: their dead tuples are what scrub() removes. */
const VACUUM = 'VACUUM (ANALYZE false) events, identity_links, aliases, rejected_events, rejected_terms, suppressions';

// Sessions of this database whose snapshot is older than transaction id $1 (the first not yet
// begun when the erasure had committed): VACUUM cannot remove a tuple such a snapshot still sees.
// Replication slots and prepared transactions hold tuples back the same way. xid is 32 bits with
// wraparound, so compared by age (distance from the current transaction id).
const OLDER_SNAPSHOTS = `
  SELECT (SELECT count(*) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND age(backend_xmin) > age(($1::bigint % 4294967296)::text::xid))
       + (SELECT count(*) FROM pg_replication_slots
          WHERE age(xmin) > age(($1::bigint % 4294967296)::text::xid))
       + (SELECT count(*) FROM pg_prepared_xacts
          WHERE database = current_database() AND age(transaction) > age(($1::bigint % 4294967296)::text::xid)) AS n`;

/** Pause between looks at the snapshots of other sessions. */
const RETRY_MS = 50;

/**
 * Removes the tuples that committed deletions left (VACUUM) once no snapshot can see them, and
 * marks the erasures recorded so far scrubbed. False when older snapshots remained for `waitMs`
 * (an export mid-page, another collector's long read): asking again tries again.
 */
export async function scrub(connection: PostgresConnection, waitMs: number): Promise<boolean> {
  const start = await connection.query<{ horizon: string; last: string }>(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon, coalesce(max(id), 0) AS last FROM erasures WHERE scrubbed_at IS NULL",
  );
  const { horizon, last } = start.rows[0];
  const deadline = Date.now() + waitMs;
  for (;;) {
    const older = await connection.query<{ n: string }>(OLDER_SNAPSHOTS, [horizon]);
    if (Number(older.rows[0].n) === 0) break;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
  await connection.query(VACUUM);
  await connection.query('UPDATE erasures SET scrubbed_at = $1 WHERE scrubbed_at IS NULL AND id <= $2', [new Date().toISOString(), last]);
  return true;
}
