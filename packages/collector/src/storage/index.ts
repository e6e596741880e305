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
