// The storage contract on PostgreSQL: the same suites as SQLite's, unchanged, each test's "file"
// standing for a database of its own on the run's server (the same file, the same database).
import { openPostgresStorage } from '../../../src/storage/postgres/storage';
import { describePostgres } from '../../postgres/server';
import { runStorageContract } from '../contract';
import { runRejectedContract } from '../contract-rejected';

describePostgres('PostgreSQL storage', (db) => {
  const databases = new Map<string, Promise<string>>();
  // A database per file name the suite makes up, created on its first open.
  const open = async (file: string) => {
    if (!databases.has(file)) databases.set(file, db.fresh());
    return openPostgresStorage(await databases.get(file)!);
  };
  runStorageContract('postgres', open);
  runRejectedContract('postgres', open);
});
