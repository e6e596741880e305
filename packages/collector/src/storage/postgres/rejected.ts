// Rejected events on PostgreSQL: one row per group received together (rejected-codec.ts, the
// same compact blob as on SQLite) and its values as keyed hashes in rejected_terms
// (rejected-values.ts), so that a data subject's rejected events are found by lookup. Every
// statement takes arrays (`= ANY($1)`, unnest): one round trip per step, whatever the count.
import { decodeEntries, encodeEntries } from '../rejected-codec';
import { rejectedValues } from '../rejected-values';
import type { ConflictKey, RejectedBatch, RejectedEntry, RejectedEvent, RejectedGroup } from '../types';
import type { Queryable } from './connection';

/** A value -> its term (createTermHasher with the database's salt). */
export type TermHasher = (value: string) => Buffer;

/** The distinct terms of `values`. */
function termsOfValues(values: Iterable<string>, term: TermHasher): Buffer[] {
  const seen = new Map<string, Buffer>();
  for (const value of values) {
    const t = term(value);
    seen.set(t.toString('hex'), t);
  }
  return [...seen.values()];
}

const termsOf = (entries: readonly RejectedEntry[], term: TermHasher) => termsOfValues(entries.flatMap((e) => rejectedValues(e.raw)), term);

type Row = { id: string; write_key: string; received_at: string; body: Buffer };
const decode = (r: Row): RejectedBatch => ({ id: Number(r.id), writeKey: r.write_key, receivedAt: r.received_at, entries: decodeEntries(r.body) });

/** Rows per page of list(). */
const LIST_PAGE = 500;

/** Rejected events, oldest first; `limit` events at most (-1: all). */
export async function listRejected(db: Queryable, limit: number): Promise<RejectedEvent[]> {
  const out: RejectedEvent[] = [];
  for (let after = 0; limit < 0 || out.length < limit; ) {
    const { rows } = await db.query<Row>(
      'SELECT id, write_key, received_at, body FROM rejected_events WHERE id > $1 ORDER BY id LIMIT $2',
      [after, LIST_PAGE],
    );
    for (const row of rows) {
      const { writeKey, receivedAt, entries } = decode(row);
      for (const e of entries) out.push({ raw: e.raw, reason: e.reason, ...(e.messageId !== undefined && { messageId: e.messageId }), writeKey, receivedAt });
    }
    if (rows.length < LIST_PAGE) break;
    after = Number(rows[rows.length - 1].id);
  }
  return limit < 0 ? out : out.slice(0, limit);
}

/** Ids of rows after `after` that hold one of `values` (by term), ascending, `limit` at most. */
export async function rejectedCandidates(db: Queryable, term: TermHasher, values: readonly string[], after: number, limit: number): Promise<number[]> {
  if (values.length === 0) return [];
  const { rows } = await db.query<{ rejected_id: string }>(
    `SELECT DISTINCT rejected_id FROM rejected_terms
     WHERE term = ANY($1::bytea[]) AND rejected_id > $2 ORDER BY rejected_id LIMIT $3`,
    [termsOfValues(values, term), after, limit],
  );
  return rows.map((r) => Number(r.rejected_id));
}

/** The rows with these ids, decoded, ascending; rows gone are skipped. */
export async function rejectedRows(db: Queryable, ids: readonly number[]): Promise<RejectedBatch[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<Row>('SELECT id, write_key, received_at, body FROM rejected_events WHERE id = ANY($1::bigint[]) ORDER BY id', [ids]);
  return rows.map(decode);
}

/** Per key, whether that conflict is recorded already. */
export async function conflictsRecorded(db: Queryable, keys: readonly ConflictKey[]): Promise<boolean[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<{ n: string; recorded: boolean }>(
    `SELECT k.n, EXISTS (SELECT 1 FROM rejected_events r WHERE r.message_id = k.message_id AND r.fingerprint = k.fingerprint) AS recorded
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (message_id, fingerprint, n)`,
    [keys.map((k) => k.messageId), keys.map((k) => k.key)],
  );
  const recorded = new Array<boolean>(keys.length).fill(false);
  for (const r of rows) recorded[Number(r.n) - 1] = r.recorded;
  return recorded;
}

/** Inserts terms for row ids (pairs), once each. */
async function insertTerms(db: Queryable, terms: Buffer[], ids: number[]): Promise<void> {
  if (terms.length === 0) return;
  await db.query(
    'INSERT INTO rejected_terms (term, rejected_id) SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT DO NOTHING',
    [terms, ids],
  );
}

/** Stores each group as one row, in order (ids grow in that order), with its terms. */
export async function insertRejected(db: Queryable, term: TermHasher, groups: readonly RejectedGroup[]): Promise<void> {
  if (groups.length === 0) return;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO rejected_events (received_at, write_key, events, body, message_id, fingerprint)
     SELECT received_at, write_key, events, body, message_id, fingerprint
     FROM unnest($1::text[], $2::text[], $3::int[], $4::bytea[], $5::text[], $6::text[])
       WITH ORDINALITY AS g (received_at, write_key, events, body, message_id, fingerprint, n)
     ORDER BY n
     RETURNING id`,
    [
      groups.map((g) => g.receivedAt),
      groups.map((g) => g.writeKey),
      groups.map((g) => g.entries.length),
      groups.map((g) => encodeEntries(g.entries)),
      groups.map((g) => g.conflict?.messageId ?? null),
      groups.map((g) => g.conflict?.key ?? null),
    ],
  );
  // One statement inserts its rows in the order selected, taking ascending ids.
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  const terms: Buffer[] = [];
  const owners: number[] = [];
  groups.forEach((g, i) => {
    for (const t of g.values ? termsOfValues(g.values, term) : termsOf(g.entries, term)) {
      terms.push(t);
      owners.push(ids[i]);
    }
  });
  await insertTerms(db, terms, owners);
}

/** Deletes whole rows and their terms. */
async function dropRows(db: Queryable, term: TermHasher, batches: readonly { id: number; entries: readonly RejectedEntry[] }[]): Promise<void> {
  if (batches.length === 0) return;
  const terms: Buffer[] = [];
  const owners: number[] = [];
  for (const b of batches) for (const t of termsOf(b.entries, term)) (terms.push(t), owners.push(b.id));
  if (terms.length) {
    await db.query(
      'DELETE FROM rejected_terms t USING unnest($1::bytea[], $2::bigint[]) AS d (term, rejected_id) WHERE t.term = d.term AND t.rejected_id = d.rejected_id',
      [terms, owners],
    );
  }
  await db.query('DELETE FROM rejected_events WHERE id = ANY($1::bigint[])', [batches.map((b) => b.id)]);
}

/** Keeps only `keep` of a row's entries (deleting the row when none is left), terms included. */
export async function rewriteRejected(db: Queryable, term: TermHasher, batch: RejectedBatch, keep: readonly RejectedEntry[]): Promise<void> {
  if (keep.length === batch.entries.length) return;
  if (keep.length === 0) return dropRows(db, term, [batch]);
  const after = new Set(termsOf(keep, term).map((t) => t.toString('hex')));
  const gone = termsOf(batch.entries, term).filter((t) => !after.has(t.toString('hex')));
  if (gone.length) await db.query('DELETE FROM rejected_terms WHERE rejected_id = $1 AND term = ANY($2::bytea[])', [batch.id, gone]);
  await db.query('UPDATE rejected_events SET events = $1, body = $2 WHERE id = $3', [keep.length, encodeEntries(keep), batch.id]);
}

/**
 * One purge chunk: rows after `after` received before `before`, whole rows until about `limit`
 * events (at least one row). Answers the events deleted and the id to resume after (null: done).
 */
export async function purgeRejected(db: Queryable, term: TermHasher, after: number, before: string, limit: number): Promise<{ events: number; next: number | null }> {
  const { rows } = await db.query<Row & { events: number }>(
    'SELECT id, write_key, received_at, body, events FROM rejected_events WHERE id > $1 AND received_at < $2 ORDER BY id LIMIT $3',
    [after, before, limit],
  );
  const take: RejectedBatch[] = [];
  let events = 0;
  for (const row of rows) {
    // A row can hold a request's 5,000 events: whole rows, until about `limit`.
    if (take.length > 0 && events + row.events > limit) break;
    take.push(decode(row));
    events += row.events;
  }
  await dropRows(db, term, take);
  const more = take.length < rows.length || rows.length === limit;
  return { events, next: more && take.length ? take[take.length - 1].id : null };
}

/** Rejected events received before `before`. */
export async function countRejectedBefore(db: Queryable, before: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT coalesce(sum(events), 0) AS n FROM rejected_events WHERE received_at < $1', [before]);
  return Number(rows[0].n);
}
