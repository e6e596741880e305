// The writes of a write transaction (WriteTransaction) on the SQLite writer's connection; the
// writer (writer.ts) begins and commits the transaction around the program that calls them.
// Synchronous: every answer is a value. Erased and purged rows are overwritten with zeros, not
// only unlinked: the write connection runs with secure_delete (connection.ts).
import type { Database } from 'better-sqlite3';
import type { WriteTransaction } from '../types';
import { createReads } from './reads';
import { createRejectedWrites } from './rejected';
import { createWebhookWrites } from './webhooks';

/** The transaction's primitives, and how much event text they inserted (for the checkpointer). */
export interface SqliteTransaction {
  tx: WriteTransaction;
  /** Characters of event bodies inserted since the last call. */
  takeInsertedChars(): number;
}

export function createTransaction(db: Database): SqliteTransaction {
  const s = {
    state: db.prepare('SELECT salt, generation FROM privacy_state WHERE id = 1'),
    suppressions: db.prepare('SELECT id_hash, until FROM suppressions').raw(),
    insertEvent: db.prepare(
      `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
    ),
    insertRun: db.prepare('INSERT INTO anonymous_runs (anonymous_id, first_seq, last_seq) VALUES (?, ?, ?)'),
    // firstSeen is the earliest event time of the pair, whatever order events arrive in.
    upsertLink: db.prepare(
      `INSERT INTO identity_links (anonymous_id, user_id, first_seen) VALUES (?, ?, ?)
       ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
    ),
    insertAlias: db.prepare('INSERT INTO aliases (previous_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (previous_id) DO NOTHING'),
    deleteEvent: db.prepare('DELETE FROM events WHERE rowid = ?'),
    deleteLinks: db.prepare('DELETE FROM identity_links WHERE user_id = ?'),
    deleteAliases: db.prepare('DELETE FROM aliases WHERE previous_id = @id OR user_id = @id'),
    // Runs left without an event of their id (all gone) go too: they name the id.
    pruneRuns: db.prepare(
      `DELETE FROM anonymous_runs WHERE anonymous_id = @id AND NOT EXISTS (
         SELECT 1 FROM events e WHERE e.rowid BETWEEN first_seq AND last_seq AND e.anonymous_id = @id)`,
    ),
    expire: db.prepare('DELETE FROM suppressions WHERE until <= ?'),
    suppress: db.prepare(
      `INSERT INTO suppressions (id_hash, until) VALUES (?, ?)
       ON CONFLICT (id_hash) DO UPDATE SET until = max(until, excluded.until)`,
    ),
    // An erasure whose WAL could not be emptied yet (scrub.ts): asking again finishes it.
    unscrubbed: db
      .prepare(
        `SELECT erased_at, suppressed_until, counts FROM erasures
         WHERE subject_hash = ? AND scrubbed_at IS NULL ORDER BY id DESC LIMIT 1`,
      )
      .raw(),
    audit: db.prepare('INSERT INTO erasures (subject_hash, erased_at, counts, suppressed_until) VALUES (?, ?, ?, ?)'),
    bump: db.prepare('UPDATE privacy_state SET generation = generation + 1 WHERE id = 1'),
  };
  const rejected = createRejectedWrites(db);
  let changes = 0;
  const count = (run: () => { changes: number }) => (changes += run().changes);
  let insertedChars = 0;

  const tx: WriteTransaction = {
    ...createReads(db),
    webhooks: createWebhookWrites(db),
    privacyState: () => s.state.get() as { salt: string; generation: number },
    suppressions: () => s.suppressions.all() as [string, string][],
    insertEvents(rows) {
      const inserted: boolean[] = new Array(rows.length);
      // anonymous_runs: the run being built, of rows inserted one after the other (consecutive
      // rowids) with one anonymous id. Correct with other processes on the file too: a run only
      // grows by the rowid right after its last, inserted by this very transaction, and writers
      // never overlap (BEGIN IMMEDIATE takes the one write lock), so every row of a run is its
      // id's; readers still join back on events.anonymous_id.
      let run: { id: string; first: number; last: number } | null = null;
      for (let i = 0; i < rows.length; i++) {
        const { messageId, type, anonymousId, userId, timestamp, receivedAt, writeKey, body, facts } = rows[i];
        const result = s.insertEvent.run(messageId, type, anonymousId, userId, timestamp, receivedAt, writeKey, body, facts ?? null);
        inserted[i] = result.changes === 1;
        // A duplicate inserts no row, so the run goes on past it.
        if (!inserted[i]) continue;
        insertedChars += body.length;
        const seq = Number(result.lastInsertRowid);
        if (run && run.id === anonymousId && run.last === seq - 1) {
          run.last = seq;
          continue;
        }
        if (run) s.insertRun.run(run.id, run.first, run.last);
        run = anonymousId === null ? null : { id: anonymousId, first: seq, last: seq };
      }
      if (run) s.insertRun.run(run.id, run.first, run.last);
      return inserted;
    },
    upsertLinks(links) {
      for (const { anonymousId, userId, firstSeen } of links) s.upsertLink.run(anonymousId, userId, firstSeen);
    },
    insertAliases(aliases) {
      for (const { previousId, userId, createdAt } of aliases) s.insertAlias.run(previousId, userId, createdAt);
    },
    conflictsRecorded: (keys) => rejected.conflictsRecorded(keys),
    insertRejected: (groups) => rejected.insert(groups),
    deleteEvents(seqs) {
      changes = 0;
      for (const seq of seqs) count(() => s.deleteEvent.run(seq));
      return changes;
    },
    forgetAnonymous(ids) {
      for (const id of ids) s.pruneRuns.run({ id });
    },
    deleteLinks(userIds) {
      changes = 0;
      for (const id of userIds) count(() => s.deleteLinks.run(id));
      return changes;
    },
    deleteAliases(ids) {
      changes = 0;
      for (const id of ids) count(() => s.deleteAliases.run({ id }));
      return changes;
    },
    rewriteRejected: (batch, keep) => rejected.rewrite(batch, keep),
    expireSuppressions(now) {
      s.expire.run(now);
    },
    suppress(hashes, until) {
      for (const hash of hashes) s.suppress.run(hash, until);
    },
    unscrubbedErasure(subjectHash) {
      const row = s.unscrubbed.get(subjectHash) as [string, string | null, string] | undefined;
      return row && { erasedAt: row[0], suppressedUntil: row[1], counts: JSON.parse(row[2]) };
    },
    recordErasure({ subjectHash, erasedAt, counts, suppressedUntil }) {
      s.audit.run(subjectHash, erasedAt, JSON.stringify(counts), suppressedUntil);
    },
    bumpGeneration() {
      s.bump.run();
    },
  };
  return {
    tx,
    takeInsertedChars() {
      const chars = insertedChars;
      insertedChars = 0;
      return chars;
    },
  };
}
