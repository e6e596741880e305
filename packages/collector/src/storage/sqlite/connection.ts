// Opening an SQLite connection the way every connection of the collector needs it: WAL,
// synchronous=FULL, a busy timeout, the size cap. The writer thread opens the file first and
// migrates it; the connection that serves reads opens it after that.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './schema';

/** The options of openSqliteStorage, with defaults applied; plain data, so they cross threads. */
export interface ConnectionOptions {
  readonly: boolean;
  /** Never create the file (nor its folders): a missing one fails with code ENOENT. */
  mustExist: boolean;
  busyTimeoutMs: number;
  maxSizeBytes?: number;
}

/**
 * Opens `file` (creating parent directories, and the schema when `writer` is set). Errors carry
 * the file name, as the collector reports them at startup.
 */
export function openConnection(file: string, options: ConnectionOptions, writer: boolean): Database.Database {
  const { readonly } = options;
  const mustExist = readonly || (options.mustExist && file !== ':memory:');
  if (writer && file !== ':memory:' && !mustExist) mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    // fileMustExist opens without SQLite's create flag: no check that a concurrent delete could
    // outrun, and nothing is ever created.
    db = new Database(file, { readonly, fileMustExist: mustExist });
  } catch (err) {
    // Only the message depends on this look; the open itself already refused to create.
    if (mustExist && !existsSync(file)) {
      throw Object.assign(new Error(`no database at ${file}`, { cause: err }), { code: 'ENOENT', path: file });
    }
    throw new Error(`cannot open the database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // A read-only connection can read a WAL file but not switch a file into WAL mode.
    if (writer && !readonly) db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit; a 2xx promises the event survives a power cut.
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    // Sorts and statement journals in memory, never in temporary files that would hold rows.
    db.pragma('temp_store = MEMORY');
    // Whatever the writer deletes or moves is overwritten with zeros, not only unlinked: an
    // erased row, and also the stale copy a row leaves in a page's free space when it is
    // rewritten (a link's first time moved back) or moved by a page split. Erasure alone
    // could zero only the copies it still finds; the others are never made.
    if (writer && !readonly) db.pragma('secure_delete = ON');
    if (options.maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
    }
    if (writer) migrate(db, { readonly });
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      throw new Error(`cannot open the database ${file}: ${(err as Error).message} (${code})`, { cause: err });
    }
    throw err;
  }
  return db;
}
