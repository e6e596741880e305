// Customer statistics and RFM against the seeded shop, through a real collector on PostgreSQL.
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { customerShopTests } from '../routes/customer-shop';
import { describePostgres } from './server';

describePostgres('the seeded shop: customers and RFM, PostgreSQL', (db) => {
  customerShopTests(() => openPostgresStorage(db.url));
});
