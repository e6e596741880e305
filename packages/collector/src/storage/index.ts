// Chooses a storage backend from configuration.
import type { Logger } from '../log';
import { openSqliteStorage } from './sqlite/storage';
import type { SqliteCopyOptions, SqliteCopyReport } from './postgres/from-sqlite';
import type { Storage } from './types';

export { openSqliteStorage, type SqliteOptions } from './sqlite/storage';
export { storageWhenOpen } from './opening';
export type * from './types';
export type * from './accounts';
export { ROLES } from './accounts';

/** True for a postgres:// (or postgresql://) URL. */
export const isPostgresUrl = (text: string) => /^postgres(ql)?:\/\//i.test(text.trim());

/**
 * Opens the backend the configuration names: PostgreSQL when `databaseUrl` (SPUR_DATABASE_URL) is
 * set, or when `db` is itself a postgres:// URL; else the SQLite file `db`. With `mustExist`, an
 * SQLite database that is not there is an error with code `ENOENT` instead of a new, empty one.
 */
export async function openStorage(opts: { db: string; databaseUrl?: string; mustExist?: boolean; logger?: Logger }): Promise<Storage> {
  const url = opts.databaseUrl ?? (isPostgresUrl(opts.db) ? opts.db : undefined);
  if (url !== undefined) {
    // Loaded only when asked for: an SQLite collector never loads the PostgreSQL driver.
    const { openPostgresStorage } = await import('./postgres/storage');
    return openPostgresStorage(url, opts.logger ? { logger: opts.logger } : {});
  }
  return openSqliteStorage(opts.db, { mustExist: opts.mustExist });
}

export type { SqliteCopyOptions, SqliteCopyReport, TableCopy } from './postgres/from-sqlite';

/**
 * Copies an SQLite database into PostgreSQL, exactly once and resumable (`spur migrate`;
 * postgres/from-sqlite.ts). The PostgreSQL driver is loaded only when this is called.
 */
export async function copySqliteToPostgres(options: SqliteCopyOptions): Promise<SqliteCopyReport> {
  const { copySqliteToPostgres: copy } = await import('./postgres/from-sqlite');
  return copy(options);
}
