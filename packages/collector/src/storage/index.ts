// Chooses a storage backend from configuration.
import type { Logger } from '../log';
import { openSqliteStorage } from './sqlite/storage';
import type { Storage } from './types';

export { openSqliteStorage, type SqliteOptions } from './sqlite/storage';
export { storageWhenOpen } from './opening';
export type * from './types';

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

/**
 * `spur migrate`: copies the SQLite database `from` into the PostgreSQL database `to` (its schema
 * created or brought up to date first), exactly once and resumably (postgres/copy-from-sqlite.ts).
 */
export async function copySqliteToPostgres(options: {
  from: string;
  to: string;
  chunk?: number;
  onProgress?: (p: { part: string; copied: number; total: number }) => void;
}): Promise<Record<string, number>> {
  // The SQLite file at the current schema (opening migrates it), then read on its own.
  await (await openSqliteStorage(options.from, { mustExist: true })).close();
  const [{ connectPostgres }, { migrate }, { copyFromSqlite }] = await Promise.all([
    import('./postgres/connection'),
    import('./postgres/migrations'),
    import('./postgres/copy-from-sqlite'),
  ]);
  const connection = connectPostgres({ url: options.to, applicationName: 'spur-migrate' });
  try {
    await migrate(connection);
    return await copyFromSqlite(connection, options);
  } finally {
    await connection.close();
  }
}
