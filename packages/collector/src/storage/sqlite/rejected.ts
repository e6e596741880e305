// The rejected-events tables of the SQLite backend. rejected_events holds one row per group of
// rejected events received together (one request's, or one conflict), as a compact blob
// (rejected-codec.ts); rejected_terms indexes the values each event carries (rejected-values.ts)
// as keyed hashes, so that a data subject's rejected events are found by lookup, wherever in an
// event its ids are, at a cost that grows with what matches and not with the table.
import { createHmac } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { decodeEntries, encodeEntries, type RejectedEntry } from '../rejected-codec';
import { normalizeValue, rejectedValues } from '../rejected-values';
import { CONFLICT_REASON, type RejectedEvent } from '../types';

/** Bytes of HMAC-SHA256 kept per term: a lookup key; matches are confirmed on the decoded event. */
const TERM_BYTES = 8;
/** Terms remembered per connection (values such as a user agent recur in every request). */
const TERM_CACHE = 10_000;

/** A row of rejected_events, decoded. */
export interface RejectedBatch {
  id: number;
  writeKey: string;
  receivedAt: string;
  entries: RejectedEntry[];
}

/** The keyed hash a value is indexed by: HMAC-SHA256 with the database's salt, truncated. */
export function createTermHasher(salt: string): (value: string) => Buffer {
  const cache = new Map<string, Buffer>();
  return (value) => {
    const normal = normalizeValue(value);
    let term = cache.get(normal);
    if (term === undefined) {
      if (cache.size >= TERM_CACHE) cache.clear(); // bounded: a cache, not a record of values
      term = createHmac('sha256', salt).update(normal).digest().subarray(0, TERM_BYTES);
      cache.set(normal, term);
    }
    return term;
  };
}

/** The distinct terms of values (each entry's, from rejectedValues). */
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
  term(value: string): Buffer;
  /** Rejected events, oldest first; `limit` events at most (-1: all). */
  list(limit: number): RejectedEvent[];
  /** Ids of rows after `after` that hold one of `terms`, in order, `limit` at most. */
  candidates(terms: readonly Buffer[], after: number, limit: number): number[];
  batch(id: number): RejectedBatch | undefined;
  /** Events received before `before`. */
  countBefore(before: string): number;
}

export function createRejectedReads(db: Database): RejectedReads {
  const term = createTermHasher(saltOf(db));
  const page = db.prepare('SELECT id, write_key, received_at, body FROM rejected_events WHERE id > ? ORDER BY id LIMIT 500').raw();
  const byTerm = db.prepare('SELECT rejected_id FROM rejected_terms WHERE term = ? AND rejected_id > ? ORDER BY rejected_id LIMIT ?').pluck();
  const one = db.prepare('SELECT id, write_key, received_at, body FROM rejected_events WHERE id = ?').raw();
  const count = db.prepare('SELECT coalesce(sum(events), 0) FROM rejected_events WHERE received_at < ?').pluck();
  const decode = ([id, writeKey, receivedAt, body]: [number, string, string, Buffer]): RejectedBatch => ({
    id,
    writeKey,
    receivedAt,
    entries: decodeEntries(body),
  });
  return {
    term,
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
    candidates(terms, after, limit) {
      const ids = new Set<number>();
      for (const t of terms) for (const id of byTerm.all(t, after, limit) as number[]) ids.add(id);
      return [...ids].sort((a, b) => a - b).slice(0, limit);
    },
    batch(id) {
      const row = one.get(id) as [number, string, string, Buffer] | undefined;
      return row && decode(row);
    },
    countBefore: (before) => count.get(before) as number,
  };
}

/** Writes of rejected events (the writer's connection). */
export interface RejectedWrites {
  /**
   * Stores rejected events: consecutive ones with the same write key and receipt time share a
   * row. `keep` leaves out those it refuses (an erased subject's: see Suppressor).
   */
  append(rejected: readonly RejectedEvent[], keep: (values: string[], receivedAt: string) => boolean): void;
  /** Whether this conflict (messageId, fingerprint key) is recorded already. */
  conflictRecorded(messageId: string, key: string): boolean;
  /** Records a conflict in a row of its own. */
  conflict(messageId: string, key: string, writeKey: string, receivedAt: string, raw: string): void;
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

  // `values`: the entries' values, when the caller has them already (each event is parsed once).
  function store(entries: RejectedEntry[], writeKey: string, receivedAt: string, conflict: [string, string] | null, values?: Set<string>): void {
    const id = Number(insert.run(receivedAt, writeKey, entries.length, encodeEntries(entries), conflict?.[0] ?? null, conflict?.[1] ?? null).lastInsertRowid);
    for (const t of values ? termsOfValues(values, term) : termsOf(entries, term)) insertTerm.run(t, id);
  }
  function drop(batch: { id: number; entries: readonly RejectedEntry[] }): void {
    for (const t of termsOf(batch.entries, term)) deleteTerm.run(t, batch.id);
    remove.run(batch.id);
  }

  return {
    append(rejected, keep) {
      let group: RejectedEntry[] = [];
      let values = new Set<string>();
      for (let i = 0; i < rejected.length; i++) {
        const r = rejected[i];
        const own = rejectedValues(r.raw);
        if (keep(own, r.receivedAt)) {
          group.push({ reason: r.reason, ...(r.messageId !== undefined && { messageId: r.messageId }), raw: r.raw });
          for (const value of own) values.add(value);
        }
        const next = rejected[i + 1];
        if (group.length && (!next || next.writeKey !== r.writeKey || next.receivedAt !== r.receivedAt)) {
          store(group, r.writeKey, r.receivedAt, null, values);
          group = [];
          values = new Set();
        }
      }
    },
    conflictRecorded: (messageId, key) => recorded.get(messageId, key) === 1,
    conflict(messageId, key, writeKey, receivedAt, raw) {
      store([{ reason: CONFLICT_REASON, messageId, raw }], writeKey, receivedAt, [messageId, key]);
    },
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
