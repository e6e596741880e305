// What `spur migrate` copies from an SQLite file into PostgreSQL, table by table: the rows as
// SQLite decided them (duplicates dropped, links and aliases resolved, suppressions applied), not
// through the ingest rules again. Each table is read in the order of a key and written with
// multi-row INSERT … VALUES statements: the same rows sent as arrays through unnest took two to
// three times as long (the driver escapes every body into an array literal, which the server
// parses again; bench/README.md).
import { collision, type CopyTable, insertByKey, inserted, insertValues } from './from-sqlite-copy';
import { WEBHOOK_TABLES } from './from-sqlite-webhooks';

export type { ChunkCopied, CopyTable, SqliteValue } from './from-sqlite-copy';

// The ids are copied as they are: the target's identity sequences must go on after them.
const FOLLOW_ERASURE_IDS = "SELECT setval(pg_get_serial_sequence('erasures', 'id'), greatest((SELECT max(id) FROM erasures), 1))";
const FOLLOW_REJECTED_IDS = "SELECT setval(pg_get_serial_sequence('rejected_events', 'id'), greatest((SELECT max(id) FROM rejected_events), 1))";

const ACCOUNT_COLUMNS = ['name', 'role', 'password_hash', 'created_at', 'password_changed_at'] as const;
const FUNNEL_COLUMNS = ['name', 'definition', 'created_by', 'created_at'] as const;

export const COPY_TABLES: readonly CopyTable[] = [
  {
    // First: suppressions keep out events of erased subjects, whatever comes next.
    name: 'suppressions',
    order: 'key',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT id_hash, until FROM suppressions ORDER BY id_hash LIMIT ?').raw(),
      next: db.prepare('SELECT id_hash, until FROM suppressions WHERE (id_hash) > (?) ORDER BY id_hash LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM suppressions WHERE (id_hash) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM suppressions').pluck(),
    }),
    async insert(db, rows) {
      const { rows: out } = await insertValues<{ inserted: boolean }>(
        db,
        (values) => `INSERT INTO suppressions (id_hash, until) VALUES ${values}
         ON CONFLICT (id_hash) DO UPDATE SET until = excluded.until WHERE excluded.until > suppressions.until
         RETURNING (xmax = 0) AS inserted`,
        rows,
        0,
        2,
      );
      return inserted(out);
    },
  },
  {
    // Ids kept (they order the records); a later run copies a scrubbed_at set since.
    name: 'erasures',
    order: 'key',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT id, subject_hash, erased_at, counts, suppressed_until, scrubbed_at FROM erasures ORDER BY id LIMIT ?').raw(),
      next: db.prepare('SELECT id, subject_hash, erased_at, counts, suppressed_until, scrubbed_at FROM erasures WHERE (id) > (?) ORDER BY id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM erasures WHERE (id) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM erasures').pluck(),
    }),
    async insert(db, rows) {
      const { rows: out } = await insertValues<{ inserted: boolean }>(
        db,
        (values) => `INSERT INTO erasures (id, subject_hash, erased_at, counts, suppressed_until, scrubbed_at) OVERRIDING SYSTEM VALUE
         VALUES ${values}
         ON CONFLICT (id) DO UPDATE SET scrubbed_at = coalesce(erasures.scrubbed_at, excluded.scrubbed_at)
           WHERE erasures.subject_hash = excluded.subject_hash AND erasures.erased_at = excluded.erased_at
         RETURNING (xmax = 0) AS inserted`,
        rows,
        0,
        6,
      );
      // A row that conflicted and was not the same erasure returns nothing.
      if (out.length !== rows.length) throw collision('erasures', rows.length, out.length);
      await db.query(FOLLOW_ERASURE_IDS);
      return inserted(out);
    },
  },
  {
    name: 'identity_links',
    order: 'key',
    keyLength: 2,
    source: (db) => ({
      first: db.prepare('SELECT anonymous_id, user_id, first_seen FROM identity_links ORDER BY anonymous_id, user_id LIMIT ?').raw(),
      next: db.prepare('SELECT anonymous_id, user_id, first_seen FROM identity_links WHERE (anonymous_id, user_id) > (?, ?) ORDER BY anonymous_id, user_id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM identity_links WHERE (anonymous_id, user_id) <= (?, ?)').pluck(),
      count: db.prepare('SELECT count(*) FROM identity_links').pluck(),
    }),
    async insert(db, rows) {
      // first_seen is the earliest time of the pair, as in SQLite.
      const { rows: out } = await insertValues<{ inserted: boolean }>(
        db,
        (values) => `INSERT INTO identity_links (anonymous_id, user_id, first_seen) VALUES ${values}
         ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = excluded.first_seen
           WHERE excluded.first_seen < identity_links.first_seen
         RETURNING (xmax = 0) AS inserted`,
        rows,
        0,
        3,
      );
      return inserted(out);
    },
  },
  {
    // An alias is SQLite's first for its previous id; one already in the target stays (also first).
    name: 'aliases',
    order: 'key',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT previous_id, user_id, created_at FROM aliases ORDER BY previous_id LIMIT ?').raw(),
      next: db.prepare('SELECT previous_id, user_id, created_at FROM aliases WHERE (previous_id) > (?) ORDER BY previous_id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM aliases WHERE (previous_id) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM aliases').pluck(),
    }),
    async insert(db, rows) {
      const result = await insertValues(
        db,
        (values) => `INSERT INTO aliases (previous_id, user_id, created_at) VALUES ${values} ON CONFLICT (previous_id) DO NOTHING`,
        rows,
        0,
        3,
      );
      return result.count;
    },
  },
  {
    // In rowid order, so that the target's ids (and its catch-up order) follow the source's.
    // message_id is the second line of defence after the progress record.
    name: 'events',
    order: 'rowid',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT rowid, message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts FROM events ORDER BY rowid LIMIT ?').raw(),
      next: db.prepare('SELECT rowid, message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts FROM events WHERE (rowid) > (?) ORDER BY rowid LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM events WHERE (rowid) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM events').pluck(),
    }),
    async insert(db, rows) {
      // VALUES rows are inserted in their order: the ids follow the rowids.
      const result = await insertValues(
        db,
        // The facts too (the analytics catch-up reads them instead of the bodies; null on rows
        // stored before they existed).
        (values) => `INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts)
         VALUES ${values} ON CONFLICT (message_id) DO NOTHING`,
        rows,
        1,
        9,
      );
      return result.count;
    },
  },
  {
    // Ids kept: rejected_terms refer to them. No natural key (a group is a request's), so the
    // progress record alone keeps a group once; an id taken by another row is an error.
    name: 'rejected_events',
    order: 'rowid',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT id, received_at, write_key, events, body, message_id, fingerprint FROM rejected_events ORDER BY id LIMIT ?').raw(),
      next: db.prepare('SELECT id, received_at, write_key, events, body, message_id, fingerprint FROM rejected_events WHERE (id) > (?) ORDER BY id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM rejected_events WHERE (id) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM rejected_events').pluck(),
    }),
    async insert(db, rows) {
      const { rows: out } = await insertValues<{ id: string }>(
        db,
        (values) => `INSERT INTO rejected_events (id, received_at, write_key, events, body, message_id, fingerprint) OVERRIDING SYSTEM VALUE
         VALUES ${values} ON CONFLICT (id) DO NOTHING RETURNING id`,
        rows,
        0,
        7,
      );
      if (out.length !== rows.length) throw collision('rejected_events', rows.length, out.length);
      await db.query(FOLLOW_REJECTED_IDS);
      return out.length;
    },
  },
  {
    // Copied as stored (keyed with the source's salt, which the target takes over), not
    // computed again from the events: what the source indexes is what the target indexes.
    name: 'rejected_terms',
    order: 'key',
    keyLength: 2,
    source: (db) => ({
      first: db.prepare('SELECT term, rejected_id FROM rejected_terms ORDER BY term, rejected_id LIMIT ?').raw(),
      next: db.prepare('SELECT term, rejected_id FROM rejected_terms WHERE (term, rejected_id) > (?, ?) ORDER BY term, rejected_id LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM rejected_terms WHERE (term, rejected_id) <= (?, ?)').pluck(),
      count: db.prepare('SELECT count(*) FROM rejected_terms').pluck(),
    }),
    async insert(db, rows) {
      const result = await insertValues(db, (values) => `INSERT INTO rejected_terms (term, rejected_id) VALUES ${values} ON CONFLICT DO NOTHING`, rows, 0, 2);
      return result.count;
    },
  },
  {
    // The dashboard's accounts with their scrypt hashes (the hash string carries its own salt and
    // cost), so the same passwords sign in after the move. Sign-in sessions and failed sign-ins
    // are not copied: people sign in again, and the limits start afresh.
    name: 'accounts',
    order: 'key',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT name, role, password_hash, created_at, password_changed_at FROM accounts ORDER BY name LIMIT ?').raw(),
      next: db.prepare('SELECT name, role, password_hash, created_at, password_changed_at FROM accounts WHERE (name) > (?) ORDER BY name LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM accounts WHERE (name) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM accounts').pluck(),
    }),
    insert: (db, rows) =>
      insertByKey(
        db,
        rows,
        (values) => `INSERT INTO accounts (name, role, password_hash, created_at, password_changed_at) VALUES ${values} ON CONFLICT (name) DO NOTHING RETURNING name AS key`,
        'SELECT name, role, password_hash, created_at, password_changed_at FROM accounts WHERE name = ANY($1::text[])',
        ACCOUNT_COLUMNS,
      ),
  },
  {
    // Saved funnels by name, the dashboard's key for them; the target numbers them itself (an id
    // only names a funnel to delete, and a target may have funnels of its own under those ids).
    name: 'saved_funnels',
    order: 'key',
    keyLength: 1,
    source: (db) => ({
      first: db.prepare('SELECT name, definition, created_by, created_at FROM saved_funnels ORDER BY name LIMIT ?').raw(),
      next: db.prepare('SELECT name, definition, created_by, created_at FROM saved_funnels WHERE (name) > (?) ORDER BY name LIMIT ?').raw(),
      upTo: db.prepare('SELECT count(*) FROM saved_funnels WHERE (name) <= (?)').pluck(),
      count: db.prepare('SELECT count(*) FROM saved_funnels').pluck(),
    }),
    insert: (db, rows) =>
      insertByKey(
        db,
        rows,
        (values) => `INSERT INTO saved_funnels (name, definition, created_by, created_at) VALUES ${values} ON CONFLICT (name) DO NOTHING RETURNING name AS key`,
        'SELECT name, definition, created_by, created_at FROM saved_funnels WHERE name = ANY($1::text[])',
        FUNNEL_COLUMNS,
      ),
  },
  // Last: the webhooks (after the events whose deliveries they hold).
  ...WEBHOOK_TABLES,
];
