// The rejected-events tables of the SQLite backend. rejected_events holds one row per group of
// rejected events received together (one request's, or one conflict), as a compact blob
// (rejected-codec.ts); rejected_terms indexes the values each event carries (rejected-values.ts)
// as keyed hashes, so that a data subject's rejected events are found by lookup, wherever in an
// event its ids are, at a cost that grows with what matches and not with the table.
import type { Database } from 'better-sqlite3';
import { decodeEntries, encodeEntries } from '../rejected-codec';
import { createTermHasher, rejectedValues } from '../rejected-values';
import type { ConflictKey, RejectedBatch, RejectedEntry, RejectedEvent, RejectedGroup } from '../types';

/** The distinct terms of values. */
function termsOfValues(values: Iterable<string>, term: (value: string) => Buffer): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const value of values) {
    const t = term(value);
    seen.set(t.toString('hex'), t);
  }
  return [...seen.values()];
}

/** The distinct terms of a row's entries. */
function termsOf(entries: readonly RejectedEntry[], term: (value: string) => Buffer): Buffer[] {
  return termsOfValues(
    entries.flatMap((e) => rejectedValues(e.raw)),
    term,
  );
}

const saltOf = (db: Database) => db.prepare('SELECT salt FROM privacy_state WHERE id = 1').pluck().get() as string;

/** Reads of rejected events (any connection). */
export interface RejectedReads {
  /** Rejected events, oldest first; `limit` events at most (-1: all). */
  list(limit: number): RejectedEvent[];
  /** Ids of rows after `after` that hold one of `values`, in order, `limit` at most. */
  candidates(values: readonly string[], after: number, limit: number): number[];
  /** The rows with these ids, decoded, ascending. */
  batches(ids: readonly number[]): RejectedBatch[];
  /** Events received before `before`. */
  countBefore(before: string): number;
}

export function createRejectedReads(db: Database): RejectedReads {
  const term = createTermHasher(saltOf(db));
  const page = db.prepare('SELECT id, write_key, received_at, body FROM rejected_events WHERE id > ? ORDER BY id LIMIT 500').raw();
  const byTerm = db.prepare('SELECT rejected_id FROM rejected_terms WHERE term = ? AND rejected_id > ? ORDER BY rejected_id LIMIT ?').pluck();
  const byIds = db.prepare('SELECT id, write_key, received_at, body FROM rejected_events WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id').raw();
  const count = db.prepare('SELECT coalesce(sum(events), 0) FROM rejected_events WHERE received_at < ?').pluck();
  const decode = ([id, writeKey, receivedAt, body]: [number, string, string, Buffer]): RejectedBatch => ({
    id,
    writeKey,
    receivedAt,
    entries: decodeEntries(body),
  });
  return {
    list(limit) {
      const out: RejectedEvent[] = [];
      for (let after = 0; limit < 0 || out.length < limit; ) {
        const rows = page.all(after) as [number, string, string, Buffer][];
        for (const row of rows) {
          const { writeKey, receivedAt, entries } = decode(row);
          for (const e of entries) out.push({ raw: e.raw, reason: e.reason, ...(e.messageId !== undefined && { messageId: e.messageId }), writeKey, receivedAt });
        }
        if (rows.length < 500) break;
        after = rows[rows.length - 1][0];
      }
      return limit < 0 ? out : out.slice(0, limit);
    },
    candidates(values, after, limit) {
      const ids = new Set<number>();
      for (const t of termsOfValues(values, term)) for (const id of byTerm.all(t, after, limit) as number[]) ids.add(id);
      return [...ids].sort((a, b) => a - b).slice(0, limit);
    },
    batches: (ids) => (byIds.all(JSON.stringify(ids)) as [number, string, string, Buffer][]).map(decode),
    countBefore: (before) => count.get(before) as number,
  };
}

/** Writes of rejected events (the writer's connection). */
export interface RejectedWrites {
  /** Stores each group as one row, with its terms. */
  insert(groups: readonly RejectedGroup[]): void;
  /** Per key, whether that conflict is recorded already. */
  conflictsRecorded(keys: readonly ConflictKey[]): boolean[];
  /** Keeps only `keep` of a row's entries (deleting the row when none is left). */
  rewrite(batch: RejectedBatch, keep: readonly RejectedEntry[]): void;
  /**
   * One purge chunk: rows in (after, end] received before `before`, about `limit` events at most;
   * `resumeAfter` is where the chunk stopped short of `end` (null: it got there).
   */
  purge(after: number, end: number, before: string, limit: number): { events: number; resumeAfter: number | null };
  maxId(): number;
}

export function createRejectedWrites(db: Database): RejectedWrites {
  const term = createTermHasher(saltOf(db));
  const insert = db.prepare(
    'INSERT INTO rejected_events (received_at, write_key, events, body, message_id, fingerprint) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertTerm = db.prepare('INSERT OR IGNORE INTO rejected_terms (term, rejected_id) VALUES (?, ?)');
  const deleteTerm = db.prepare('DELETE FROM rejected_terms WHERE term = ? AND rejected_id = ?');
  const update = db.prepare('UPDATE rejected_events SET events = ?, body = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM rejected_events WHERE id = ?');
  const recorded = db.prepare('SELECT EXISTS (SELECT 1 FROM rejected_events WHERE message_id = ? AND fingerprint = ?)').pluck();
  const expired = db
    .prepare('SELECT id, body, events FROM rejected_events WHERE id > ? AND id <= ? AND received_at < ? ORDER BY id LIMIT ?')
    .raw();
  const max = db.prepare('SELECT coalesce(max(id), 0) FROM rejected_events').pluck();

  function drop(batch: { id: number; entries: readonly RejectedEntry[] }): void {
    for (const t of termsOf(batch.entries, term)) deleteTerm.run(t, batch.id);
    remove.run(batch.id);
  }

  return {
    insert(groups) {
      for (const { writeKey, receivedAt, entries, values, conflict } of groups) {
        const id = Number(insert.run(receivedAt, writeKey, entries.length, encodeEntries(entries), conflict?.messageId ?? null, conflict?.key ?? null).lastInsertRowid);
        // The values, when the caller has them already (each event is parsed once).
        for (const t of values ? termsOfValues(values, term) : termsOf(entries, term)) insertTerm.run(t, id);
      }
    },
    conflictsRecorded: (keys) => keys.map(({ messageId, key }) => recorded.get(messageId, key) === 1),
    rewrite(batch, keep) {
      if (keep.length === batch.entries.length) return;
      if (keep.length === 0) return drop(batch);
      const before = termsOf(batch.entries, term);
      const after = new Set(termsOf(keep, term).map((t) => t.toString('hex')));
      for (const t of before) if (!after.has(t.toString('hex'))) deleteTerm.run(t, batch.id);
      update.run(keep.length, encodeEntries(keep), batch.id);
    },
    purge(after, end, before, limit) {
      let events = 0;
      const rows = expired.all(after, end, before, limit) as [number, Buffer, number][];
      for (let i = 0; i < rows.length; i++) {
        const [id, body, count] = rows[i];
        // Whole rows, at least one, until about `limit` events: a row can hold a request's 5,000.
        if (i > 0 && events + count > limit) return { events, resumeAfter: rows[i - 1][0] };
        drop({ id, entries: decodeEntries(body) });
        events += count;
      }
      return { events, resumeAfter: rows.length === limit ? rows[rows.length - 1][0] : null };
    },
    maxId: () => max.get() as number,
  };
}
