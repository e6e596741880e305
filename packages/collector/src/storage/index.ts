// Chooses a storage backend from configuration.
import { openSqliteStorage } from './sqlite';
import type { Storage } from './types';

export { openSqliteStorage, type SqliteOptions } from './sqlite';
export type { AppendInput, AppendResult, EventRange, RawEvent, RejectedEvent, Storage } from './types';

/** Opens the backend named by `db`: a file path for SQLite. */
export async function openStorage(opts: { db: string }): Promise<Storage> {
  if (/^postgres(ql)?:\/\//i.test(opts.db)) {
    throw new Error('PostgreSQL storage is not implemented yet; use an SQLite file path');
  }
  return openSqliteStorage(opts.db);
}
