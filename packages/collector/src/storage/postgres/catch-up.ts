// Reading stored events in commit order, for a cache that catches up (the analytics engine of
// every collector process on one database).
//
// Why not `id > last id`: ids come from a sequence when a row is inserted, not when its
// transaction commits. Session A takes id 7, session B takes id 8 and commits; a reader sees 8,
// moves its cursor past it, and never sees 7 when A commits a moment later. Here every row
// carries the id of the transaction that inserted it (events.xid, `pg_current_xact_id()` as the
// column's default), and a reader takes only rows of transactions older than its snapshot's xmin:
// every transaction below xmin has ended, and one that starts later gets a higher id, so nothing
// can ever appear below a cursor that is under xmin. Rows come in (xid, id) order, the order the
// cursor resumes from. The price: a transaction open for long (in any database of the server)
// holds xmin back, and readers see nothing newer until it ends.
import type { Queryable } from './connection';

/** Where a reader is: the (xid, id) of the last row it took, as decimal strings (64-bit values). */
export interface CatchUpCursor {
  readonly xid: string;
  readonly id: string;
}

/** Before the first row. */
export const CATCH_UP_START: CatchUpCursor = Object.freeze({ xid: '0', id: '0' });

/** A stored event as the catch-up delivers it. */
export interface CatchUpRow {
  /** events.id, the order of arrival (bigint as a decimal string). */
  id: string;
  /** The inserting transaction (xid8 as a decimal string). */
  xid: string;
  messageId: string;
  timestamp: string;
  /** The stored JSON text. */
  body: string;
}

// Row comparison on (xid, id) walks the events_catch_up index from the cursor on. ORDER BY names
// the table's columns: a bare `xid` there would be the output column, the text, which sorts
// 1000 before 999 (pages read out of order, rows skipped and read twice).
const AFTER = `
  SELECT e.id, e.xid::text AS xid, e.message_id, e.timestamp, e.body
  FROM events e
  WHERE (e.xid, e.id) > ($1::xid8, $2::bigint)
    AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.xid, e.id
  LIMIT $3`;

// The same rows as AFTER, each as its facts when they start with the prefix, else its body, as
// one page made by the server: `[1,row,2,row,...]` (rows numbered in the order read) with the
// last row's (xid, id). One value instead of an object and strings per row: those cost the
// catch-up's thread more than parsing the rows did. string_agg takes the rows in the order the
// subquery delivers them (an ORDER BY of its own would sort them again): the numbers let the
// reader check it.
const FACTS_AFTER = `
  WITH page AS (
    SELECT row_number() OVER (ORDER BY e.xid, e.id) AS n, e.xid, e.id,
           CASE WHEN starts_with(e.facts, $4) THEN e.facts ELSE e.body END AS text
    FROM events e
    WHERE (e.xid, e.id) > ($1::xid8, $2::bigint)
      AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY e.xid, e.id
    LIMIT $3)
  SELECT count(*)::int AS rows,
         '[' || coalesce(string_agg(n || ',' || text, ','), '') || ']' AS page,
         (SELECT xid::text FROM page ORDER BY n DESC LIMIT 1) AS xid,
         (SELECT id::text FROM page ORDER BY n DESC LIMIT 1) AS id
  FROM page`;

/**
 * eventsAfter's rows as Storage.factsAfter delivers them: facts starting with `prefix`, else the
 * body, as one page `[1,row,2,row,...]` (keys: the rows' order).
 */
export async function factsAfter(db: Queryable, cursor: CatchUpCursor, limit: number, prefix: string): Promise<{ page: string; rows: number; cursor: CatchUpCursor }> {
  const result = await db.query<{ rows: number; page: string; xid: string | null; id: string | null }>(FACTS_AFTER, [cursor.xid, cursor.id, limit, prefix]);
  const { rows, page, xid, id } = result.rows[0];
  return { page, rows, cursor: xid !== null && id !== null ? { xid, id } : cursor };
}

/**
 * Up to `limit` events after `cursor` in commit order, and the cursor after them (the same one
 * when there is nothing new). Every committed row is returned exactly once across calls, also
 * when transactions commit in another order than they inserted; a row appears only once its
 * transaction is older than every transaction still running.
 */
export async function eventsAfter(db: Queryable, cursor: CatchUpCursor, limit: number): Promise<{ rows: CatchUpRow[]; cursor: CatchUpCursor }> {
  const result = await db.query<{ id: string; xid: string; message_id: string; timestamp: string; body: string }>(AFTER, [
    cursor.xid,
    cursor.id,
    limit,
  ]);
  const rows = result.rows.map((r) => ({ id: r.id, xid: r.xid, messageId: r.message_id, timestamp: r.timestamp, body: r.body }));
  const last = rows[rows.length - 1];
  return { rows, cursor: last ? { xid: last.xid, id: last.id } : cursor };
}

/** The cursor as one opaque string, `<xid>.<id>`, for a storage contract that passes text. */
export function formatCursor(cursor: CatchUpCursor): string {
  return `${cursor.xid}.${cursor.id}`;
}

/** Reads formatCursor's text back; throws on anything else. */
export function parseCursor(text: string): CatchUpCursor {
  const match = /^(\d{1,20})\.(\d{1,19})$/.exec(text);
  if (!match) throw new Error(`not a catch-up cursor: ${JSON.stringify(text.slice(0, 60))}`);
  return { xid: match[1], id: match[2] };
}
