import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageUnavailableError } from '../../src/errors';
import { openSqliteStorage, openStorage } from '../../src/storage';
import { SCHEMA_VERSION } from '../../src/storage/sqlite-schema';
import { useFixtures } from '../helpers';
import { runStorageContract, storedEvent } from './contract';

runStorageContract('sqlite', (file) => openSqliteStorage(file));

describe('openSqliteStorage', () => {
  const fx = useFixtures();

  it('creates missing parent directories and the schema, in WAL mode with synchronous=FULL', async () => {
    const file = join(fx.tempDir(), 'deep', 'er', 'spur.db');
    await fx.storage(file);
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    fx.cleanup(() => db.close());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['aliases', 'events', 'identity_links', 'rejected_events']);
  });

  it('refuses a database written by a newer collector', async () => {
    const file = fx.dbFile();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openSqliteStorage(file)).rejects.toThrow(/newer than this collector supports/);
  });

  it('fails an append with StorageUnavailableError while another connection holds the write lock', async () => {
    const file = fx.dbFile();
    const storage = await openSqliteStorage(file, { busyTimeoutMs: 20 });
    fx.cleanup(() => storage.close());
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    fx.cleanup(() => other.close());
    const failure = storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] });
    await expect(failure).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(failure).rejects.toThrow(/SQLITE_BUSY/);
    other.exec('ROLLBACK');
    await expect(
      storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] }),
    ).resolves.toEqual({ stored: [true] });
  });

  it('writes concurrent appends in one transaction, acknowledging each after that commit', async () => {
    const file = fx.dbFile();
    const storage = await fx.storage(file);
    const append = () =>
      storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] });
    // A second connection counts WAL frames: every commit appends the pages it changed, so ten
    // separate commits would write about ten times the frames of one.
    const observer = new Database(file);
    fx.cleanup(() => observer.close());
    const framesOf = async (work: () => Promise<unknown>) => {
      observer.pragma('wal_checkpoint(TRUNCATE)');
      await work();
      return (observer.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0].log;
    };
    await append(); // warm up: first rows create pages
    const oneCommit = await framesOf(append);
    const counts: number[] = [];
    const count = () => observer.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const tenConcurrent = await framesOf(() =>
      Promise.all(Array.from({ length: 10 }, () => append().then(() => counts.push(count())))),
    );
    expect(tenConcurrent).toBeLessThan(2 * oneCommit);
    // Every acknowledgement came after all ten rows were committed.
    expect(counts).toEqual(Array(10).fill(12));
  });
});

describe('openStorage', () => {
  const fx = useFixtures();

  it('opens SQLite for a file path', async () => {
    const storage = await openStorage({ db: fx.dbFile() });
    fx.cleanup(() => storage.close());
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  it('says plainly that PostgreSQL is not there yet', async () => {
    await expect(openStorage({ db: 'postgres://localhost/spur' })).rejects.toThrow(/PostgreSQL storage is not implemented yet/);
  });
});
