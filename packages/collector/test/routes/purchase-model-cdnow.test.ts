// The CDNOW sample through the ordinary ingest of a real collector on SQLite, and the purchase
// model's published figures from the route (purchase-model-cdnow.ts).
import { join } from 'node:path';
import { openSqliteStorage } from '../../src';
import { makeTempDir } from '../helpers';
import { cdnowRouteTests } from './purchase-model-cdnow';

const cleanups: (() => unknown)[] = [];
afterAll(() => cleanups.forEach((fn) => fn()));

describe('the purchase model on CDNOW, SQLite', () => {
  cdnowRouteTests(() => openSqliteStorage(join(makeTempDir(cleanups), 'spur.db')));
});
