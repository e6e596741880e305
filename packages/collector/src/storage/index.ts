// Chooses a storage backend from configuration.
import { openSqliteStorage } from './sqlite/storage';
import type { Storage } from './types';

export { openSqliteStorage, type SqliteOptions } from './sqlite/storage';
export { storageWhenOpen } from './opening';
export type * from './types';

/**
 * Opens the backend named by `db`: a file path for SQLite. With `mustExist`, a database that is
 * not there is an error with code `ENOENT` instead of a new, empty one.
 */
export async function openStorage(opts: { db: string; mustExist?: boolean }): Promise<Storage> {
  if (/^postgres(ql)?:\/\//i.test(opts.db)) {
    throw new Error('PostgreSQL storage is not implemented yet; use an SQLite file path');
  }
  return openSqliteStorage(opts.db, { mustExist: opts.mustExist });
}
