// `spur migrate`: everything an SQLite database holds, copied into PostgreSQL exactly once. The
// source is read in one read transaction (one consistent snapshot, also while a collector still
// writes to it); the target is migrated to the current schema, locked against a second copy,
// and filled chunk by chunk, each chunk in one transaction with its progress record.
import type { Database } from 'better-sqlite3';
import { openConnection } from '../sqlite/connection';
import { connectPostgres, type PostgresConnection, type Queryable } from './connection';
import { DATABASE_URL_SETTING } from './database-url';
import { COPY_TABLES, type CopyTable, type SqliteValue } from './from-sqlite-tables';
import { claimTarget, lockTarget, readProgress, saveProgress, type Key, type SourceIdentity } from './from-sqlite-progress';
import { migrate } from './migrations';

export interface SqliteCopyOptions {
  /** The SQLite database file; it must exist (else code ENOENT) and have the current schema. */
  from: string;
  /** A postgres:// URL (checked as SPUR_DATABASE_URL is: a bad one throws with code EBADURL). */
  to: string;
  /** Rows per chunk (one transaction each). @defaultValue 20000 */
  chunkRows?: number;
  /** Called after every chunk and at each table's start. */
  onProgress?: (tables: readonly TableCopy[]) => void;
  /** When aborted, the copy stops after the chunk under way; a later run goes on from there. */
  signal?: AbortSignal;
}

/** One table's copy: rows in the source's snapshot, rows gone through, rows new in the target. */
export interface TableCopy {
  table: string;
  /** Rows of the source (its snapshot). */
  total: number;
  /** Rows dealt with so far, in this run or an earlier one. */
  done: number;
  /** Rows read from the source in this run. */
  read: number;
  /** Rows this run added to the target. */
  copied: number;
  /**
   * Keys (names, endpoint ids) of source rows left out in this run because the target holds a different row
   * under them: an account, a saved funnel or a webhook endpoint made on the target. Never
   * overwritten.
   */
  skipped: string[];
}

export interface SqliteCopyReport {
  /** The target URL without its password. */
  target: string;
  /** 'new': the target took this source's salt now; 'resumed': it held it from an earlier run. */
  start: 'new' | 'resumed';
  tables: TableCopy[];
  /** Stopped by the signal before the end; a later run goes on. */
  interrupted: boolean;
  /** The source took writes while it was read: they were after the snapshot, not copied. */
  sourceChanged: boolean;
}

/** Reads of one table of the source, in its key order. */
interface SourceTable {
  spec: CopyTable;
  page(after: Key | null, limit: number): SqliteValue[][];
  upTo(after: Key): number;
  total: number;
}

function sourceTable(db: Database, spec: CopyTable): SourceTable {
  const { first, next, upTo, count } = spec.source(db);
  return {
    spec,
    page: (after, limit) => (after === null ? first.all(limit) : next.all(...after, limit)) as SqliteValue[][],
    upTo: (after) => upTo.get(...after) as number,
    total: count.get() as number,
  };
}

/** Runs `fn` in a transaction on `client`: all of it commits, or none. */
async function inTransaction<T>(client: Queryable, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Copies one table from where its progress record says, chunk by chunk; a 'key' table's pass
 * is marked complete at its end, so that the next run makes a full pass again.
 */
async function copyTable(client: Queryable, salt: string, table: SourceTable, after: Key | null, opts: CopyRun): Promise<boolean> {
  const { spec } = table;
  const state = opts.state(spec.name);
  state.done = after === null ? 0 : table.upTo(after);
  opts.report();
  for (;;) {
    if (opts.signal?.aborted) return false;
    const rows = table.page(after, opts.chunkRows);
    if (rows.length === 0) break;
    const last = rows[rows.length - 1].slice(0, spec.keyLength);
    const chunk = await inTransaction(client, async () => {
      const result = await spec.insert(client, rows);
      const outcome = typeof result === 'number' ? { copied: result, skipped: [] } : result;
      await saveProgress(client, salt, spec.name, last, outcome.copied);
      return outcome;
    });
    state.copied += chunk.copied;
    state.skipped.push(...chunk.skipped);
    after = last;
    state.done += rows.length;
    state.read += rows.length;
    opts.report();
    if (rows.length < opts.chunkRows) break;
  }
  if (spec.order === 'key') await saveProgress(client, salt, spec.name, null, 0);
  return true;
}

interface CopyRun {
  chunkRows: number;
  signal?: AbortSignal;
  state(table: string): TableCopy;
  report(): void;
}

/** Opens the source read-only and starts its snapshot; reads its identity. */
function openSource(file: string): { db: Database; source: SourceIdentity; version: number } {
  // Through the collector's own opening: a missing file is ENOENT, an old schema is named.
  const db = openConnection(file, { readonly: true, mustExist: true, busyTimeoutMs: 5000 }, true);
  const version = db.pragma('data_version', { simple: true }) as number;
  db.exec('BEGIN');
  const row = db.prepare('SELECT salt, generation FROM privacy_state WHERE id = 1').get() as { salt: string; generation: number };
  return { db, source: { salt: row.salt, generation: row.generation }, version };
}

/**
 * Copies the SQLite database `from` into the PostgreSQL database `to`: events, rejected events
 * with their terms, identity links, aliases, erasure records and suppressions, with the privacy
 * salt and generation, the dashboard's accounts and saved funnels, and the webhook endpoints,
 * deliveries (without their leases) and delivery log (an account or funnel of the same name, an
 * endpoint of the same id, that differs in the target is left as it is and named in `skipped`).
 * Exactly once: a run after an interruption goes on after the last committed chunk, a run after
 * the end copies nothing.
 */
export async function copySqliteToPostgres(options: SqliteCopyOptions): Promise<SqliteCopyReport> {
  // 20,000 rows (about 14 MB of events, about a second's work): 8-15% more rows/s than 5,000
  // in alternating runs (bench/README.md, section 11); an interruption loses that second.
  const chunkRows = Math.max(1, Math.floor(options.chunkRows ?? 20_000));
  // Checked before the source is opened: a bad URL is named without touching anything.
  let connection: PostgresConnection;
  try {
    connection = connectPostgres({ url: options.to, applicationName: 'spur-migrate', maxConnections: 2, statementTimeoutMs: 600_000 });
  } catch (err) {
    const message = (err as Error).message.replace(DATABASE_URL_SETTING, 'the target database URL (--to / SPUR_DATABASE_URL)');
    throw Object.assign(new Error(message, { cause: err }), { code: 'EBADURL' });
  }
  let opened: ReturnType<typeof openSource>;
  try {
    opened = openSource(options.from);
  } catch (err) {
    await connection.close();
    throw err;
  }
  const { db, source, version } = opened;
  try {
    const tables = COPY_TABLES.map((spec) => sourceTable(db, spec));
    const states = tables.map((t): TableCopy => ({ table: t.spec.name, total: t.total, done: 0, read: 0, copied: 0, skipped: [] }));
    await migrate(connection);
    const run: CopyRun = {
      chunkRows,
      ...(options.signal && { signal: options.signal }),
      state: (name) => states.find((s) => s.table === name)!,
      report: () => options.onProgress?.(states),
    };
    const outcome = await connection.withClient(async (client) => {
      // Held by the session until the pool closes: one copy into a database at a time.
      await lockTarget(client);
      const start = await inTransaction(client, () => claimTarget(client, source));
      const progress = await readProgress(client, source.salt);
      for (const table of tables) {
        if (!(await copyTable(client, source.salt, table, progress.get(table.spec.name) ?? null, run))) return { start, interrupted: true };
      }
      return { start, interrupted: false };
    });
    db.exec('COMMIT');
    // Commits of other connections (a collector still running) move data_version on.
    const sourceChanged = (db.pragma('data_version', { simple: true }) as number) !== version;
    return { target: connection.target, ...outcome, tables: states, sourceChanged };
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    await connection.close();
  }
}
