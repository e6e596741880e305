// The bookkeeping of `spur migrate` in the target database, in copy_progress (migration 2): per
// source database (its privacy salt, random per database and copied along) and part, the key of
// the last row copied and the rows copied so far. The record of a chunk is written in the
// chunk's own transaction, so a kill at any moment leaves rows and record agreeing: the next
// run goes on after the last committed chunk and copies nothing twice. The part
// 'privacy_state' records the source's privacy generation when the copy began.
import type { Queryable } from './connection';
import { LOCK_PRIVACY_STATE } from './transaction';
import type { SqliteValue } from './from-sqlite-tables';

/** The part that holds the generation the copy began from, as its cursor ([generation]). */
const SOURCE_PART = 'privacy_state';

/** The session advisory lock of copies into one database: 'spur' as an int4, then 2. */
const COPY_LOCK = [0x73707572, 2];

/** The tables that must be empty for a database to take another source's salt: those that are not. */
const USED_TABLES = `
  SELECT name FROM (VALUES
    ('events', EXISTS (SELECT 1 FROM events)),
    ('rejected_events', EXISTS (SELECT 1 FROM rejected_events)),
    ('rejected_terms', EXISTS (SELECT 1 FROM rejected_terms)),
    ('identity_links', EXISTS (SELECT 1 FROM identity_links)),
    ('aliases', EXISTS (SELECT 1 FROM aliases)),
    ('erasures', EXISTS (SELECT 1 FROM erasures)),
    ('suppressions', EXISTS (SELECT 1 FROM suppressions))
  ) AS t (name, used) WHERE used`;

/** A source database as the copy knows it. */
export interface SourceIdentity {
  salt: string;
  generation: number;
}

/** A key of the source's order, as kept in copy_progress.cursor: Buffers (terms) as { hex }. */
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
  const { rows } = await db.query<{ salt: string }>(LOCK_PRIVACY_STATE);
  if (rows[0].salt === source.salt) {
    const { rows: known } = await db.query<{ cursor: string }>('SELECT cursor FROM copy_progress WHERE source = $1 AND part = $2', [source.salt, SOURCE_PART]);
    const began = known.length > 0 ? (JSON.parse(known[0].cursor) as number[])[0] : source.generation;
    if (began !== source.generation) {
      throw new Error(
        `the source had an erasure or a purge since the copy began (its privacy generation went from ${began} to ${source.generation}): ` +
          'rows it deleted may be in the target already. Start again into an empty database, or do the same erasure or purge on the target',
      );
    }
    if (known.length === 0) await addSource(db, source);
    return 'resumed';
  }
  const { rows: used } = await db.query<{ name: string }>(USED_TABLES);
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
  db.query('INSERT INTO copy_progress (source, part, cursor, copied) VALUES ($1, $2, $3, 0) ON CONFLICT (source, part) DO NOTHING', [
    source.salt,
    SOURCE_PART,
    JSON.stringify([source.generation]),
  ]);

/** Per table, the key of the last row copied (absent: from the start). */
export async function readProgress(db: Queryable, salt: string): Promise<Map<string, Key>> {
  const { rows } = await db.query<{ part: string; cursor: string }>('SELECT part, cursor FROM copy_progress WHERE source = $1 AND part <> $2', [
    salt,
    SOURCE_PART,
  ]);
  const out = new Map<string, Key>();
  for (const r of rows) {
    const cursor = JSON.parse(r.cursor) as unknown;
    if (cursor !== null) out.set(r.part, decodeKey(cursor));
  }
  return out;
}

/**
 * Records where a table's copy is (null: its pass is complete) and adds `copied` to its count,
 * in the caller's transaction.
 */
export async function saveProgress(db: Queryable, salt: string, table: string, after: Key | null, copied: number): Promise<void> {
  await db.query(
    `INSERT INTO copy_progress (source, part, cursor, copied) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source, part) DO UPDATE SET cursor = excluded.cursor, copied = copy_progress.copied + excluded.copied`,
    [salt, table, after === null ? 'null' : encodeKey(after), copied],
  );
}
