// The pieces every table of `spur migrate` is copied with (from-sqlite-tables.ts,
// from-sqlite-webhooks.ts): what a table says about itself, and the multi-row inserts.
import type { Database, Statement } from 'better-sqlite3';
import type { QueryResultRow } from 'pg';
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
  /** How many leading columns of a source row are the key the chunks are read in order of. */
  keyLength: number;
  /**
   * The source's statements (constant text, as every statement of the collector): the first
   * chunk (the limit as parameter), the chunk after a key (its columns, then the limit), rows as
   * arrays, key columns first; the count of rows up to a key, and of all rows.
   */
  source: (db: Database) => { first: Statement; next: Statement; upTo: Statement; count: Statement };
  /**
   * Inserts one chunk of source rows (as `source` lists them); resolves to how many rows are new
   * in the target, or to that and the keys of rows left out because the target holds a different
   * row under their key (an account of the same name). Throws when a row collides with a
   * different one already there where that cannot be left to the person running the copy.
   */
  insert(db: Queryable, rows: SqliteValue[][]): Promise<number | ChunkCopied>;
}

/** One chunk's insert: rows new in the target, and the keys of source rows left out (named, never overwritten). */
export interface ChunkCopied {
  copied: number;
  skipped: string[];
}

/** Rows per statement at most: past about a thousand, longer statements gain nothing. */
const STATEMENT_ROWS = 1000;

/**
 * Inserts `rows` (columns `from`…`from + width - 1` of each) with `sql(values)`, where `values`
 * is the VALUES list of parameters: several statements when there are many rows, in order.
 * Resolves to every statement's returned rows and the sum of their row counts.
 */
export async function insertValues<R extends QueryResultRow>(
  db: Queryable,
  sql: (values: string) => string,
  rows: SqliteValue[][],
  from: number,
  width: number,
): Promise<{ rows: R[]; count: number }> {
  const out: R[] = [];
  let count = 0;
  for (let start = 0; start < rows.length; start += STATEMENT_ROWS) {
    const slice = rows.slice(start, start + STATEMENT_ROWS);
    const params: unknown[] = [];
    const tuples = slice.map((row) => {
      const marks: string[] = [];
      for (let c = from; c < from + width; c++) {
        params.push(typeof row[c] === 'bigint' ? String(row[c]) : row[c]);
        marks.push(`$${params.length}`);
      }
      return `(${marks.join(', ')})`;
    });
    const result = await db.query<R>(sql(tuples.join(', ')), params);
    out.push(...result.rows);
    count += result.rowCount ?? 0;
  }
  return { rows: out, count };
}

/** Rows an ON CONFLICT … DO UPDATE … RETURNING (xmax = 0) statement inserted (not updated). */
export const inserted = (rows: { inserted: boolean }[]) => rows.filter((r) => r.inserted).length;

/** A row whose id is taken in the target by a different row: never merged, never skipped. */
export function collision(table: string, expected: number, got: number): Error {
  return new Error(
    `${table}: ${expected - got} row(s) of this chunk have ids that rows of another origin hold in the target ` +
      '(did collectors write to it before the copy was complete?); nothing of this chunk was copied',
  );
}

/** A row of the target read back by its key. */
type KeyedRow = Record<string, unknown>;

/**
 * Inserts rows keyed by their first column (an account's or saved funnel's name, a webhook
 * endpoint's id), leaving any row the target has under that key as it is. A row the target holds
 * unchanged is an earlier run's copy (counted as already there); a different one was made on the
 * target (`spur users add`, a funnel saved there, an endpoint added there) and is reported by its
 * key, so that nobody's password, funnel or signing secret changes silently. `insert` returns the
 * key of each inserted row as `key`; `readBack` selects `columns` of the keys in $1 (text[]).
 */
export async function insertByKey(
  db: Queryable,
  rows: SqliteValue[][],
  insert: (values: string) => string,
  readBack: string,
  columns: readonly string[],
): Promise<ChunkCopied> {
  const { rows: out } = await insertValues<{ key: string }>(db, insert, rows, 0, columns.length);
  const fresh = new Set(out.map((r) => r.key));
  const rest = rows.filter((r) => !fresh.has(r[0] as string));
  if (rest.length === 0) return { copied: out.length, skipped: [] };
  const { rows: there } = await db.query<KeyedRow>(readBack, [rest.map((r) => r[0])]);
  const byKey = new Map(there.map((r) => [String(r[columns[0]]), r]));
  const same = (row: SqliteValue[]) => columns.every((c, i) => String(byKey.get(row[0] as string)?.[c]) === String(row[i]));
  return { copied: out.length, skipped: rest.filter((r) => !same(r)).map((r) => r[0] as string) };
}
