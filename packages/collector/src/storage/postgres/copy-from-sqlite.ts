// `spur migrate`: an SQLite database copied into PostgreSQL, everything exactly once. Each part
// (events, rejected events with their index terms, identity links, aliases, suppressions,
// erasures) is read in chunks in its SQLite key order, and each chunk is written in one
// transaction together with how far the copy got (copy_progress, keyed by the source's salt), so
// that a copy killed at any moment resumes after the last chunk that committed, and a copy run
// again finds nothing left. Rows without a natural key (rejected events, erasures) rely on that
// alone; the others are also idempotent by their keys. The salt goes along: suppressions, the
// audit's hashes and the rejected events' terms are keyed with it.
import Database from 'better-sqlite3';
import type { PostgresConnection, Queryable } from './connection';
import { insertEvents } from './group-commit';
import { LOCK_PRIVACY_STATE } from './transaction';

export interface CopyProgress {
  part: string;
  copied: number;
  total: number;
}

export interface CopyOptions {
  /** The SQLite file (at the current schema: open it with the collector once first). */
  from: string;
  /** Rows per transaction. @defaultValue 5000 */
  chunk?: number;
  onProgress?: (p: CopyProgress) => void;
}

/** Rows copied now per part (0 everywhere: a copy that had nothing left to do). */
export type CopyReport = Record<string, number>;

type Row = Record<string, unknown>;
type Cursor = (string | number)[];

interface Part {
  name: string;
  /**
   * SQLite statements: how many rows there are; the first rows in key order (the limit as the one
   * parameter); the rows after a key (its values, then the limit), in key order.
   */
  statements: (db: Database.Database) => { count: Database.Statement; first: Database.Statement; next: Database.Statement };
  key: (row: Row) => Cursor;
  write: (tx: Queryable, rows: Row[], source: Database.Database) => Promise<void>;
}

const column = (rows: Row[], name: string) => rows.map((r) => r[name] ?? null);

const PARTS: Part[] = [
  {
    name: 'events',
    statements: (db) => ({
      count: db.prepare('SELECT count(*) AS n FROM events'),
      first: db.prepare('SELECT rowid, * FROM events ORDER BY rowid LIMIT ?'),
      next: db.prepare('SELECT rowid, * FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?'),
    }),
    key: (r) => [r.rowid as number],
    async write(tx, rows) {
      await insertEvents(
        tx,
        rows.map((r) => ({
          messageId: r.message_id as string,
          type: r.type as string,
          anonymousId: r.anonymous_id as string | null,
          userId: r.user_id as string | null,
          timestamp: r.timestamp as string,
          receivedAt: r.received_at as string,
          writeKey: r.write_key as string,
          body: r.body as string,
          // Rows of a file from before facts: none, read from their bodies.
          facts: (r.facts as string | null | undefined) ?? null,
        })),
      );
    },
  },
  {
    name: 'rejected events',
    statements: (db) => ({
      count: db.prepare('SELECT count(*) AS n FROM rejected_events'),
      first: db.prepare('SELECT * FROM rejected_events ORDER BY id LIMIT ?'),
      next: db.prepare('SELECT * FROM rejected_events WHERE id > ? ORDER BY id LIMIT ?'),
    }),
    key: (r) => [r.id as number],
    async write(tx, rows, source) {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO rejected_events (received_at, write_key, events, body, message_id, fingerprint)
         SELECT received_at, write_key, events, body, message_id, fingerprint
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bytea[], $5::text[], $6::text[]) WITH ORDINALITY AS r (received_at, write_key, events, body, message_id, fingerprint, n)
         ORDER BY n RETURNING id`,
        ['received_at', 'write_key', 'events', 'body', 'message_id', 'fingerprint'].map((c) => column(rows, c)),
      );
      // One statement takes ascending ids in the order selected: the n-th source row's new id.
      const ids = inserted.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
      const newId = new Map(rows.map((r, i) => [r.id as number, ids[i]]));
      const terms = source
        .prepare('SELECT term, rejected_id FROM rejected_terms WHERE rejected_id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify([...newId.keys()])) as { term: Buffer; rejected_id: number }[];
      if (terms.length) {
        await tx.query('INSERT INTO rejected_terms (term, rejected_id) SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT DO NOTHING', [
          terms.map((t) => t.term),
          terms.map((t) => newId.get(t.rejected_id)),
        ]);
      }
    },
  },
  {
    name: 'identity links',
    statements: (db) => ({
      count: db.prepare('SELECT count(*) AS n FROM identity_links'),
      first: db.prepare('SELECT * FROM identity_links ORDER BY anonymous_id, user_id LIMIT ?'),
      next: db.prepare('SELECT * FROM identity_links WHERE (anonymous_id, user_id) > (?, ?) ORDER BY anonymous_id, user_id LIMIT ?'),
    }),
    key: (r) => [r.anonymous_id as string, r.user_id as string],
    async write(tx, rows) {
      await tx.query(
        `INSERT INTO identity_links (anonymous_id, user_id, first_seen) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen = LEAST(identity_links.first_seen, excluded.first_seen)`,
        ['anonymous_id', 'user_id', 'first_seen'].map((c) => column(rows, c)),
      );
    },
  },
  {
    name: 'aliases',
    statements: (db) => ({
      count: db.prepare('SELECT count(*) AS n FROM aliases'),
      first: db.prepare('SELECT * FROM aliases ORDER BY previous_id LIMIT ?'),
      next: db.prepare('SELECT * FROM aliases WHERE previous_id > ? ORDER BY previous_id LIMIT ?'),
    }),
    key: (r) => [r.previous_id as string],
    async write(tx, rows) {
      await tx.query(
        `INSERT INTO aliases (previous_id, user_id, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (previous_id) DO NOTHING`,
        ['previous_id', 'user_id', 'created_at'].map((c) => column(rows, c)),
      );
    },
  },
  {
    name: 'suppressions',
    statements: (db) => ({
      count: db.prepare('SELECT count(*) AS n FROM suppressions'),
      first: db.prepare('SELECT * FROM suppressions ORDER BY id_hash LIMIT ?'),
      next: db.prepare('SELECT * FROM suppressions WHERE id_hash > ? ORDER BY id_hash LIMIT ?'),
    }),
    key: (r) => [r.id_hash as string],
    async write(tx, rows) {
      await tx.query(
        `INSERT INTO suppressions (id_hash, until) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (id_hash) DO UPDATE SET until = GREATEST(suppressions.until, excluded.until)`,
        ['id_hash', 'until'].map((c) => column(rows, c)),
      );
    },
  },
  {
    name: 'erasures',
    statements: (db) => ({
      count: db.prepare('SELECT count(*) AS n FROM erasures'),
      first: db.prepare('SELECT * FROM erasures ORDER BY id LIMIT ?'),
      next: db.prepare('SELECT * FROM erasures WHERE id > ? ORDER BY id LIMIT ?'),
    }),
    key: (r) => [r.id as number],
    async write(tx, rows) {
      await tx.query(
        `INSERT INTO erasures (subject_hash, erased_at, counts, suppressed_until, scrubbed_at)
         SELECT subject_hash, erased_at, counts, suppressed_until, scrubbed_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS r (subject_hash, erased_at, counts, suppressed_until, scrubbed_at, n)
         ORDER BY n`,
        ['subject_hash', 'erased_at', 'counts', 'suppressed_until', 'scrubbed_at'].map((c) => column(rows, c)),
      );
    },
  },
];

/** Tables that hold what another spur database wrote, keyed with its own salt. */
const HOLDS_DATA = `SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM rejected_events)
  OR EXISTS (SELECT 1 FROM erasures) OR EXISTS (SELECT 1 FROM suppressions) AS data`;

/**
 * Copies the SQLite database `from` into the PostgreSQL database of `connection` (migrated to
 * the current schema): what is not copied yet, chunk by chunk. Refuses a target that holds data
 * of another spur database (another salt).
 */
export async function copyFromSqlite(connection: PostgresConnection, options: CopyOptions): Promise<CopyReport> {
  const chunk = options.chunk ?? 5000;
  const source = new Database(options.from, { readonly: true, fileMustExist: true });
  try {
    const state = source.prepare('SELECT salt, generation FROM privacy_state WHERE id = 1').get() as { salt: string; generation: number };
    // The salt first: everything keyed with it is copied as it is.
    await connection.transaction(async (tx) => {
      const target = (await tx.query<{ salt: string }>(LOCK_PRIVACY_STATE)).rows[0];
      if (target.salt === state.salt) return;
      if ((await tx.query<{ data: boolean }>(HOLDS_DATA)).rows[0].data) {
        throw new Error('the PostgreSQL database already holds data of another spur database (another salt): spur migrate copies into an empty database, or into one it copied this SQLite database into before');
      }
      await tx.query('UPDATE privacy_state SET salt = $1 WHERE id = 1', [state.salt]);
    });
    const report: CopyReport = {};
    for (const p of PARTS) {
      report[p.name] = 0;
      const sql = p.statements(source);
      const total = (sql.count.get() as { n: number }).n;
      const saved = await connection.query<{ cursor: string; copied: string }>('SELECT cursor, copied FROM copy_progress WHERE source = $1 AND part = $2', [state.salt, p.name]);
      let cursor: Cursor | null = saved.rows[0] ? (JSON.parse(saved.rows[0].cursor) as Cursor) : null;
      let copied = saved.rows[0] ? Number(saved.rows[0].copied) : 0;
      for (;;) {
        const rows = (cursor === null ? sql.first.all(chunk) : sql.next.all(...cursor, chunk)) as Row[];
        if (rows.length === 0) break;
        const next = p.key(rows[rows.length - 1]);
        await connection.transaction(async (tx) => {
          await tx.query(LOCK_PRIVACY_STATE);
          await p.write(tx, rows, source);
          await tx.query(
            `INSERT INTO copy_progress (source, part, cursor, copied) VALUES ($1, $2, $3, $4)
             ON CONFLICT (source, part) DO UPDATE SET cursor = excluded.cursor, copied = excluded.copied`,
            [state.salt, p.name, JSON.stringify(next), copied + rows.length],
          );
        });
        cursor = next;
        copied += rows.length;
        report[p.name] += rows.length;
        options.onProgress?.({ part: p.name, copied, total: Math.max(total, copied) });
        if (rows.length < chunk) break;
      }
    }
    // Caches built from the target start over when anything came; the generation never goes back.
    if (Object.values(report).some((n) => n > 0)) await connection.query('UPDATE privacy_state SET generation = GREATEST(generation, $1) + 1 WHERE id = 1', [state.generation]);
    return report;
  } finally {
    source.close();
  }
}
