// What `spur migrate` copies from an SQLite file into PostgreSQL, table by table: the rows as
// SQLite decided them (duplicates dropped, links and aliases resolved, suppressions applied), not
// through the ingest rules again. Each table is read in the order of a key and written with one
// multi-row statement per chunk (arrays through unnest: one round trip, whatever the count).
import type { Queryable } from './connection';

/** A column value as better-sqlite3 returns it. */
export type SqliteValue = number | bigint | string | Buffer | null;

export interface CopyTable {
  /** The table's name, the same on both sides. */
  name: string;
  /**
   * 'rowid': rows are only ever appended (ids rising), so the progress record says where to go on
   * from, forever. 'key': rows are keyed by what they say (a link, an alias, a hash) and may
   * appear anywhere in the key order, so every run makes a full pass, which the progress record
   * resumes when a run was interrupted; the target's key makes a row land once.
   */
  order: 'rowid' | 'key';
  /** How many leading columns of `columns` are the key the chunks are read in order of. */
  keyLength: number;
  /** Source columns, key first (what the SELECT lists). */
  columns: string[];
  /**
   * Inserts one chunk of source rows (as `columns`); resolves to how many rows are new in the
   * target. Throws when a row collides with a different one already there.
   */
  insert(db: Queryable, rows: SqliteValue[][]): Promise<number>;
}

const column = (rows: SqliteValue[][], i: number) => rows.map((r) => (typeof r[i] === 'bigint' ? String(r[i]) : r[i]));
const columns = (rows: SqliteValue[][], from: number, to: number) => Array.from({ length: to - from }, (_, k) => column(rows, from + k));

/** Rows an ON CONFLICT … DO UPDATE … RETURNING (xmax = 0) statement inserted (not updated). */
const inserted = (rows: { inserted: boolean }[]) => rows.filter((r) => r.inserted).length;

/** A row whose id is taken in the target by a different row: never merged, never skipped. */
function collision(table: string, expected: number, got: number): Error {
  return new Error(
    `${table}: ${expected - got} row(s) of this chunk have ids that rows of another origin hold in the target ` +
      '(did collectors write to it before the copy was complete?); nothing of this chunk was copied',
  );
}

/** The SQLite identity sequences are copied as they are; the target's must go on after them. */
const followIds = (table: string) =>
  `SELECT setval(pg_get_serial_sequence('${table}', 'id'), greatest((SELECT max(id) FROM ${table}), 1))`;

export const COPY_TABLES: readonly CopyTable[] = [
  {
    // First: suppressions keep out events of erased subjects, whatever comes next.
    name: 'suppressions',
    order: 'key',
    keyLength: 1,
    columns: ['id_hash', 'until'],
    async insert(db, rows) {
      const { rows: out } = await db.query<{ inserted: boolean }>(
        `INSERT INTO suppressions (id_hash, until) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (id_hash) DO UPDATE SET until = excluded.until WHERE excluded.until > suppressions.until
         RETURNING (xmax = 0) AS inserted`,
        columns(rows, 0, 2),
      );
      return inserted(out);
    },
  },
  {
    // Ids kept (they order the records); a later run copies a scrubbed_at set since.
    name: 'erasures',
    order: 'key',
    keyLength: 1,
    columns: ['id', 'subject_hash', 'erased_at', 'counts', 'suppressed_until', 'scrubbed_at'],
    async insert(db, rows) {
      const { rows: out } = await db.query<{ inserted: boolean }>(
        `INSERT INTO erasures (id, subject_hash, erased_at, counts, suppressed_until, scrubbed_at) OVERRIDING SYSTEM VALUE
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         ON CONFLICT (id) DO UPDATE SET scrubbed_at = coalesce(erasures.scrubbed_at, excluded.scrubbed_at)
           WHERE erasures.subject_hash = excluded.subject_hash AND erasures.erased_at = excluded.erased_at
         RETURNING (xmax = 0) AS inserted`,
        columns(rows, 0, 6),
      );
      // A row that conflicted and was not the same erasure returns nothing.
      if (out.length !== rows.length) throw collision('erasures', rows.length, out.length);
      await db.query(followIds('erasures'));
      return inserted(out);
    },
  },
  {
    name: 'identity_links',
    order: 'key',
    keyLength: 2,
    columns: ['anonymous_id', 'user_id', 'first_seen'],
    async insert(db, rows) {
      // first_seen is the earliest time of the pair, as in SQLite.
      const { rows: out } = await db.query<{ inserted: boolean }>(
        `INSERT INTO identity_links (anonymous_id, user_id, first_seen) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = excluded.first_seen
           WHERE excluded.first_seen < identity_links.first_seen
         RETURNING (xmax = 0) AS inserted`,
        columns(rows, 0, 3),
      );
      return inserted(out);
    },
  },
  {
    // An alias is SQLite's first for its previous id; one already in the target stays (also first).
    name: 'aliases',
    order: 'key',
    keyLength: 1,
    columns: ['previous_id', 'user_id', 'created_at'],
    async insert(db, rows) {
      const result = await db.query(
        `INSERT INTO aliases (previous_id, user_id, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (previous_id) DO NOTHING`,
        columns(rows, 0, 3),
      );
      return result.rowCount ?? 0;
    },
  },
  {
    // In rowid order, so that the target's ids (and its catch-up order) follow the source's.
    // message_id is the second line of defence after the progress record.
    name: 'events',
    order: 'rowid',
    keyLength: 1,
    columns: ['rowid', 'message_id', 'type', 'anonymous_id', 'user_id', 'timestamp', 'received_at', 'write_key', 'body'],
    async insert(db, rows) {
      const result = await db.query(
        `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body)
         SELECT m, t, a, u, ts, r, w, b
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           WITH ORDINALITY AS x (m, t, a, u, ts, r, w, b, n)
         ORDER BY n
         ON CONFLICT (message_id) DO NOTHING`,
        columns(rows, 1, 9),
      );
      return result.rowCount ?? 0;
    },
  },
  {
    // Ids kept: rejected_terms refer to them. No natural key (a group is a request's), so the
    // progress record alone keeps a group once; an id taken by another row is an error.
    name: 'rejected_events',
    order: 'rowid',
    keyLength: 1,
    columns: ['id', 'received_at', 'write_key', 'events', 'body', 'message_id', 'fingerprint'],
    async insert(db, rows) {
      const { rows: out } = await db.query<{ id: string }>(
        `INSERT INTO rejected_events (id, received_at, write_key, events, body, message_id, fingerprint) OVERRIDING SYSTEM VALUE
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::bytea[], $6::text[], $7::text[])
         ON CONFLICT (id) DO NOTHING
         RETURNING id`,
        columns(rows, 0, 7),
      );
      if (out.length !== rows.length) throw collision('rejected_events', rows.length, out.length);
      await db.query(followIds('rejected_events'));
      return out.length;
    },
  },
  {
    // Copied as stored (keyed with the source's salt, which the target takes over), not
    // computed again from the events: what the source indexes is what the target indexes.
    name: 'rejected_terms',
    order: 'key',
    keyLength: 2,
    columns: ['term', 'rejected_id'],
    async insert(db, rows) {
      const result = await db.query(
        'INSERT INTO rejected_terms (term, rejected_id) SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT DO NOTHING',
        columns(rows, 0, 2),
      );
      return result.rowCount ?? 0;
    },
  },
];
