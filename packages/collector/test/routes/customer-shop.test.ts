// Customer statistics and RFM against the seeded shop, through a real collector on SQLite.
import { join } from 'node:path';
import { openSqliteStorage } from '../../src';
import { makeTempDir } from '../helpers';
import { customerShopTests } from './customer-shop';

const cleanups: (() => unknown)[] = [];
afterAll(() => cleanups.forEach((fn) => fn()));

describe('the seeded shop: customers and RFM, SQLite', () => {
  customerShopTests(() => openSqliteStorage(join(makeTempDir(cleanups), 'spur.db')));
});
