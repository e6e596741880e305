// The writes of a write transaction (WriteTransaction) on PostgreSQL, on the session of the
// transaction that storage.ts began. Its first statement locks the one privacy_state row (FOR
// UPDATE), so that the write transactions of every collector on the database take turns, as
// SQLite's one write lock makes them: a duplicate, a customer, a suppression or an erasure
// committed by another process is seen by the next transaction anywhere. Every statement takes
// arrays: one round trip per step of a group, whatever its number of events.
import type { ErasureCounts, IdentityLink, WriteTransaction } from '../types';
import type { Queryable } from './connection';
import { insertEvents } from './group-commit';
import { createPgReads } from './reads';
import { createPgWebhookWrites } from './webhooks';
import { conflictsRecorded, insertRejected, rewriteRejected, type TermHasher } from './rejected';

/** The statement a write transaction begins with (after BEGIN): the turn of this transaction. */
export const LOCK_PRIVACY_STATE = 'SELECT salt, generation FROM privacy_state WHERE id = 1 FOR UPDATE';

const count = async (db: Queryable, sql: string, values: unknown[]) => (await db.query(sql, values)).rowCount ?? 0;

/**
 * Takes the turn (locks privacy_state) and answers the transaction's primitives. `term` hashes
 * rejected events' values with the database's salt.
 */
export async function beginWrites(db: Queryable, term: TermHasher): Promise<WriteTransaction> {
  const { rows } = await db.query<{ salt: string; generation: string }>(LOCK_PRIVACY_STATE);
  if (rows.length !== 1) throw new Error('postgres: privacy_state has no row; the schema is not spur\'s');
  // Read under the lock: no other transaction changes it before this one ends.
  const state = { salt: rows[0].salt, generation: Number(rows[0].generation) };
  return {
    ...createPgReads(db, term),
    webhooks: createPgWebhookWrites(db),
    privacyState: () => ({ ...state }),
    suppressions: async () => (await db.query<{ id_hash: string; until: string }>('SELECT id_hash, until FROM suppressions')).rows.map((r) => [r.id_hash, r.until]),
    insertEvents: (rows) => insertEvents(db, rows),
    async upsertLinks(links: readonly IdentityLink[]) {
      if (links.length === 0) return;
      // firstSeen is the earliest event time of the pair, whatever order events arrive in.
      await db.query(
        `INSERT INTO identity_links (anonymous_id, user_id, first_seen)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = LEAST(identity_links.first_seen, excluded.first_seen)`,
        [links.map((l) => l.anonymousId), links.map((l) => l.userId), links.map((l) => l.firstSeen)],
      );
    },
    async insertAliases(aliases) {
      if (aliases.length === 0) return;
      // In the order given: of two aliases of one previousId in one call, the first is inserted.
      await db.query(
        `INSERT INTO aliases (previous_id, user_id, created_at)
         SELECT previous_id, user_id, created_at FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS a (previous_id, user_id, created_at, n)
         ORDER BY n
         ON CONFLICT (previous_id) DO NOTHING`,
        [aliases.map((a) => a.previousId), aliases.map((a) => a.userId), aliases.map((a) => a.createdAt)],
      );
    },
    conflictsRecorded: (keys) => conflictsRecorded(db, keys),
    insertRejected: (groups) => insertRejected(db, term, groups),
    deleteEvents: async (seqs) => (seqs.length ? count(db, 'DELETE FROM events WHERE id = ANY($1::bigint[])', [seqs]) : 0),
    // The events_anonymous index goes with the rows: nothing else names an anonymous id.
    forgetAnonymous: () => undefined,
    deleteLinks: async (userIds) => (userIds.length ? count(db, 'DELETE FROM identity_links WHERE user_id = ANY($1::text[])', [userIds]) : 0),
    deleteAliases: async (ids) =>
      ids.length ? count(db, 'DELETE FROM aliases WHERE previous_id = ANY($1::text[]) OR user_id = ANY($1::text[])', [ids]) : 0,
    rewriteRejected: (batch, keep) => rewriteRejected(db, term, batch, keep),
    async expireSuppressions(now) {
      await db.query('DELETE FROM suppressions WHERE until <= $1', [now]);
    },
    async suppress(hashes, until) {
      if (hashes.length === 0) return;
      await db.query(
        `INSERT INTO suppressions (id_hash, until) SELECT DISTINCT h, $2::text FROM unnest($1::text[]) AS h
         ON CONFLICT (id_hash) DO UPDATE SET until = GREATEST(suppressions.until, excluded.until)`,
        [hashes, until],
      );
    },
    async unscrubbedErasure(subjectHash) {
      const { rows } = await db.query<{ erased_at: string; suppressed_until: string | null; counts: string }>(
        'SELECT erased_at, suppressed_until, counts FROM erasures WHERE subject_hash = $1 AND scrubbed_at IS NULL ORDER BY id DESC LIMIT 1',
        [subjectHash],
      );
      const row = rows[0];
      return row && { erasedAt: row.erased_at, suppressedUntil: row.suppressed_until, counts: JSON.parse(row.counts) as ErasureCounts };
    },
    async recordErasure({ subjectHash, erasedAt, counts, suppressedUntil }) {
      await db.query('INSERT INTO erasures (subject_hash, erased_at, counts, suppressed_until) VALUES ($1, $2, $3, $4)', [
        subjectHash,
        erasedAt,
        JSON.stringify(counts),
        suppressedUntil,
      ]);
    },
    async bumpGeneration() {
      await db.query('UPDATE privacy_state SET generation = generation + 1 WHERE id = 1');
      state.generation++;
    },
  };
}
