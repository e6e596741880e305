// The bookkeeping of `spur migrate` in the target database: which SQLite database it copies (by
// its privacy salt, random per database and copied along), and per table the key of the last
// row copied. The progress record of a chunk is written in the chunk's own transaction, so a
// kill at any moment leaves rows and record agreeing: the next run goes on after the last
// committed chunk and copies nothing twice. These tables are the command's, created by it and
// not by the collector's migrations: a collector never reads them.
import type { Queryable } from './connection';
import { LOCK_PRIVACY_STATE } from './transaction';
import type { SqliteValue } from './from-sqlite-tables';

const CREATE_TABLES = `
  CREATE TABLE IF NOT EXISTS sqlite_copy_sources (
    salt        text PRIMARY KEY,  -- the source's privacy salt: which SQLite database
    generation  bigint NOT NULL,   -- its privacy generation when the copy began
    path        text NOT NULL,     -- where it was read, for people
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz        -- the last run that got through
  );
  CREATE TABLE IF NOT EXISTS sqlite_copy_progress (
    salt       text NOT NULL,
    table_name text NOT NULL,
    after_key  jsonb,              -- the key of the last row copied; NULL: the next pass starts at the beginning
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (salt, table_name)
  )`;

/** The session advisory lock of copies into one database: 'spur' as an int4, then 2. */
const COPY_LOCK = [0x73707572, 2];

/** The tables that must be empty for a database to take another source's salt. */
const DATA_TABLES = ['events', 'rejected_events', 'rejected_terms', 'identity_links', 'aliases', 'erasures', 'suppressions'];

/** A source database as the copy knows it. */
export interface SourceIdentity {
  salt: string;
  generation: number;
  path: string;
}

/** A key of the source's order, as kept in after_key: Buffers (terms) as { hex }. */
export type Key = SqliteValue[];

export const encodeKey = (key: Key) => JSON.stringify(key.map((v) => (Buffer.isBuffer(v) ? { hex: v.toString('hex') } : typeof v === 'bigint' ? String(v) : v)));
export const decodeKey = (json: unknown): Key =>
  (json as unknown[]).map((v) => (typeof v === 'object' && v !== null ? Buffer.from((v as { hex: string }).hex, 'hex') : (v as SqliteValue)));

/** Takes the copy lock for the session, or says who has it. */
export async function lockTarget(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', COPY_LOCK);
  if (!rows[0].locked) throw new Error('another spur migrate is copying into this database now; wait for it to end');
}

/**
 * Makes the target this source's (inside the caller's transaction): a database that holds its
 * salt already goes on; an empty one takes its salt and generation, so that the keyed hashes
 * copied (rejected_terms, suppressions, erasures) stay valid. Anything else is refused.
 */
export async function claimTarget(db: Queryable, source: SourceIdentity): Promise<'new' | 'resumed'> {
  await db.query(CREATE_TABLES);
  const { rows } = await db.query<{ salt: string }>(LOCK_PRIVACY_STATE);
  if (rows[0].salt === source.salt) {
    const { rows: known } = await db.query<{ generation: string }>('SELECT generation FROM sqlite_copy_sources WHERE salt = $1', [source.salt]);
    const began = known.length > 0 ? Number(known[0].generation) : source.generation;
    if (began !== source.generation) {
      throw new Error(
        `the source had an erasure or a purge since the copy began (its privacy generation went from ${began} to ${source.generation}): ` +
          'rows it deleted may be in the target already. Start again into an empty database, or do the same erasure or purge on the target',
      );
    }
    if (known.length === 0) await addSource(db, source);
    return 'resumed';
  }
  const { rows: used } = await db.query<{ name: string }>(
    DATA_TABLES.map((t) => `SELECT '${t}' AS name WHERE EXISTS (SELECT 1 FROM ${t})`).join(' UNION ALL '),
  );
  if (used.length > 0) {
    throw new Error(
      `the target database holds data of another spur database (${used.map((r) => r.name).join(', ')}; its privacy salt is not the source's): ` +
        'spur migrate copies into an empty database, or goes on with a copy of this same source',
    );
  }
  // A collector on the target would go on hashing with the salt it read at start.
  const { rows: others } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'spur-collector%'`,
  );
  if (Number(others[0].n) > 0) {
    throw new Error(`${others[0].n} spur collector session(s) are connected to the target database: stop those collectors while it is filled`);
  }
  await db.query('UPDATE privacy_state SET salt = $1, generation = $2 WHERE id = 1', [source.salt, source.generation]);
  await addSource(db, source);
  return 'new';
}

const addSource = (db: Queryable, source: SourceIdentity) =>
  db.query('INSERT INTO sqlite_copy_sources (salt, generation, path) VALUES ($1, $2, $3) ON CONFLICT (salt) DO NOTHING', [
    source.salt,
    source.generation,
    source.path,
  ]);

/** Per table, the key of the last row copied (absent: from the start). */
export async function readProgress(db: Queryable, salt: string): Promise<Map<string, Key>> {
  const { rows } = await db.query<{ table_name: string; after_key: unknown }>(
    'SELECT table_name, after_key FROM sqlite_copy_progress WHERE salt = $1 AND after_key IS NOT NULL',
    [salt],
  );
  return new Map(rows.map((r) => [r.table_name, decodeKey(r.after_key)]));
}

/** Records where a table's copy is (null: its pass is complete), in the caller's transaction. */
export async function saveProgress(db: Queryable, salt: string, table: string, after: Key | null): Promise<void> {
  await db.query(
    `INSERT INTO sqlite_copy_progress (salt, table_name, after_key) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (salt, table_name) DO UPDATE SET after_key = excluded.after_key, updated_at = now()`,
    [salt, table, after === null ? null : encodeKey(after)],
  );
}

/** Notes a run that got through. */
export async function markFinished(db: Queryable, salt: string): Promise<void> {
  await db.query('UPDATE sqlite_copy_sources SET finished_at = now() WHERE salt = $1', [salt]);
}
