// Reads of events for analytics and exports. Events are read in row order (arrival order): the
// rowid is the cursor, so each page is one index range read however large the table, and no
// timestamp index has to be kept up to date by every ingest just for exports. Rows are numbered
// in commit order: the one writer of the file inserts them, one transaction after the other.
import type { Database } from 'better-sqlite3';
import type { StoredEvent } from '@spur/sdk';
import type { EventRange, FactsPage, IdentityGraph, RawEvent } from '../types';

export interface EventReader {
  /** Events after the row `cursor` names (null: from the first), and the cursor of the last. */
  eventsAfter(cursor: string | null, limit: number): { rows: StoredEvent[]; cursor: string | null };
  /** The same rows as one page of facts (where they start with `prefix`) or else bodies (Storage.factsAfter). */
  factsAfter(cursor: string | null, limit: number, prefix: string): FactsPage;
  /** The span of row numbers: the number of rows, but for rows deleted in between. */
  eventCountEstimate(): number;
  identityGraph(): IdentityGraph;
  eventPage(range: EventRange, afterSeq: number, limit: number): RawEvent[];
  identifyPage(afterSeq: number, limit: number): RawEvent[];
  countEvents(range: EventRange): number;
}

// Stored timestamps are normalized ISO strings (24 characters, UTC), so text order is time order.
const iso = (ms: number | undefined, fallback: string) => (ms === undefined ? fallback : new Date(ms).toISOString());
const bounds = (range: EventRange) => ({ from: iso(range.from, ''), to: iso(range.to, '\uffff') });

/** A cursor of eventsAfter: the rowid of the last row read, as text. */
function rowOf(cursor: string | null): number {
  if (cursor === null) return 0;
  if (!/^\d{1,16}$/.test(cursor)) throw new RangeError(`not a cursor of this SQLite store: ${JSON.stringify(cursor)}`);
  return Number(cursor);
}

export function createEventReader(db: Database): EventReader {
  const q = {
    after: db.prepare('SELECT rowid AS seq, body FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?').raw(),
    // The page is made by SQLite: one BLOB of `[rowid,text,rowid,text,...]`, the row's facts or,
    // only where they will not do, its body (SQLite makes a string of neither otherwise). Rows
    // as JavaScript strings, joined here, cost the main thread more than reading them did, and a
    // BLOB moves to the catch-up's decoder thread without a copy. group_concat takes the rows in
    // the order the subquery delivers them, its ORDER BY (SQLite only documents the order of
    // group_concat's own ORDER BY, which sorts the page again): the keys let the reader check it.
    facts: db
      .prepare(
        `SELECT max(r), count(*), CAST('[' || group_concat(r || ',' || t, ',') || ']' AS BLOB) FROM (
           SELECT rowid AS r, CASE WHEN substr(facts, 1, length(@prefix)) = @prefix THEN facts ELSE body END AS t
           FROM events WHERE rowid > @after ORDER BY rowid LIMIT @limit)`,
      )
      .raw(),
    // The first and last rows of the table's b-tree: a page read each, however many rows. Two
    // subqueries: SQLite reads min() or max() from the b-tree's end only when it is the query's
    // one aggregate; `max(rowid) - min(rowid)` in one query scans the whole table.
    span: db.prepare('SELECT coalesce((SELECT max(rowid) FROM events) - (SELECT min(rowid) FROM events) + 1, 0)').pluck(),
    links: db.prepare('SELECT anonymous_id AS anonymousId, user_id AS userId, first_seen AS firstSeen FROM identity_links ORDER BY anonymous_id, user_id'),
    aliases: db.prepare('SELECT previous_id AS previousId, user_id AS userId FROM aliases ORDER BY created_at, previous_id'),
    page: db
      .prepare(
        `SELECT rowid AS seq, timestamp, body FROM events
         WHERE rowid > @after AND timestamp >= @from AND timestamp < @to ORDER BY rowid LIMIT @limit`,
      )
      .raw(),
    count: db.prepare('SELECT count(*) FROM events WHERE timestamp >= @from AND timestamp < @to').pluck(),
    // In rowid order over the table (type has no index: the importer reads them once per import);
    // SQLite tests type and user_id in the row and reads out only the matching bodies.
    identify: db
      .prepare(
        `SELECT rowid AS seq, timestamp, body FROM events
         WHERE rowid > @after AND type = 'identify' AND user_id IS NOT NULL ORDER BY rowid LIMIT @limit`,
      )
      .raw(),
  };
  return {
    eventsAfter(cursor, limit) {
      const rows = q.after.all(rowOf(cursor), limit) as [number, string][];
      if (rows.length === 0) return { rows: [], cursor };
      return { rows: rows.map(([, body]) => JSON.parse(body) as StoredEvent), cursor: String(rows[rows.length - 1][0]) };
    },
    factsAfter(cursor, limit, prefix) {
      const [last, rows, page] = q.facts.get({ after: rowOf(cursor), limit, prefix }) as [number | null, number, Buffer | null];
      if (rows === 0 || last === null || page === null) return { page: new Uint8Array([91, 93]), rows: 0, cursor }; // []
      return { page, rows, cursor: String(last) };
    },
    eventCountEstimate: () => q.span.get() as number,
    identityGraph() {
      return { links: q.links.all() as IdentityGraph['links'], aliases: q.aliases.all() as IdentityGraph['aliases'] };
    },
    eventPage(range, afterSeq, limit) {
      const rows = q.page.all({ ...bounds(range), after: afterSeq, limit }) as [number, string, string][];
      return rows.map(([seq, timestamp, body]) => ({ seq, timestamp, body }));
    },
    countEvents: (range) => q.count.get(bounds(range)) as number,
    identifyPage(afterSeq, limit) {
      const rows = q.identify.all({ after: afterSeq, limit }) as [number, string, string][];
      return rows.map(([seq, timestamp, body]) => ({ seq, timestamp, body }));
    },
  };
}
