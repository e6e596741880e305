// The CDNOW sample through the ordinary ingest of a real collector on PostgreSQL, and the
// purchase model's published figures from the route (routes/purchase-model-cdnow.ts).
import { openPostgresStorage } from '../../src/storage/postgres/storage';
import { cdnowRouteTests } from '../routes/purchase-model-cdnow';
import { describePostgres } from './server';

describePostgres('the purchase model on CDNOW, PostgreSQL', (db) => {
  cdnowRouteTests(() => openPostgresStorage(db.url));
});
