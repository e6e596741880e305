// The storage contract on PostgreSQL: the same suites as SQLite's, unchanged, each test's "file"
// standing for a database of its own on the run's server (the same file, the same database).
import { openStorage } from '../../../src/storage';
import { openPostgresStorage } from '../../../src/storage/postgres/storage';
import { describePostgres } from '../../postgres/server';
import { runStorageContract } from '../contract';
import { runAccountsContract } from '../contract-accounts';
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
  runAccountsContract('postgres', open);

  it('is what openStorage opens for SPUR_DATABASE_URL, or for a postgres:// URL as the database', async () => {
    const url = await db.fresh();
    for (const storage of [await openStorage({ db: 'unused.db', databaseUrl: url }), await openStorage({ db: url })]) {
      try {
        await storage.ping();
        expect(await storage.eventsAfter(null, 1)).toEqual({ rows: [], cursor: null });
        // A cursor of PostgreSQL's own shape (<xid>.<id>), not SQLite's row number.
        await expect(storage.eventsAfter('12', 1)).rejects.toThrow(/not a catch-up cursor/);
        // The server reads: a catch-up parses here while it waits (no decoder thread).
        expect(storage.readsOnCallingThread()).toBe(false);
      } finally {
        await storage.close();
      }
    }
  });
});
