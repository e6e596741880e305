// The order import against a real PostgreSQL server: the cases SQLite runs (matching, duplicates,
// conflicts, bad rows, dry run, exports), each on a fresh database.
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { orderImportTests } from '../import/order-import-cases';
import { describePostgres } from './server';

describePostgres('importOrders on PostgreSQL', (db) => {
  orderImportTests(async () => openPostgresStorage(await db.fresh()));
});
