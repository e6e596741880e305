import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { StoredEvent } from '@spur/sdk';
import { StorageUnavailableError } from '../../../src/errors';
import { createStore, type Store } from '../../../src/rules/store';
import { openSqliteStorage, openStorage } from '../../../src/storage';
import { migrate, SCHEMA_VERSION } from '../../../src/storage/sqlite/schema';
import { useFixtures } from '../../helpers';
import { runStorageContract, storedEvent } from '../contract';
import { runAccountsContract } from '../contract-accounts';
import { runRejectedContract } from '../contract-rejected';
import { walCommitCount } from './wal';

runStorageContract('sqlite', (file) => openSqliteStorage(file));
runRejectedContract('sqlite', (file) => openSqliteStorage(file));
runAccountsContract('sqlite', (file) => openSqliteStorage(file));

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
    expect(tables).toEqual([
      'account_sessions',
      'accounts',
      'aliases',
      'anonymous_runs',
      'erasures',
      'events',
      'facts_backfill',
      'health',
      'identity_links',
      'privacy_state',
      'rejected_events',
      'rejected_terms',
      'saved_funnels',
      'sign_in_failures',
      'suppressions',
      'webhook_attempts',
      'webhook_endpoints',
      'webhook_outbox',
    ]);
  });

  it('refuses a database written by a newer collector', async () => {
    const file = fx.dbFile();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openSqliteStorage(file)).rejects.toThrow(/newer than this collector supports/);
  });

  it('fails an append with StorageUnavailableError (locked) while another connection holds the write lock', async () => {
    const file = fx.dbFile();
    const storage = createStore(await openSqliteStorage(file, { busyTimeoutMs: 20 }));
    fx.cleanup(() => storage.close());
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    fx.cleanup(() => other.close());
    const failure = storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] });
    await expect(failure).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(failure).rejects.toMatchObject({ reason: 'locked', message: expect.stringMatching(/SQLITE_BUSY/) });
    await expect(storage.ping()).rejects.toMatchObject({ reason: 'locked' });
    other.exec('ROLLBACK');
    await expect(
      storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] }),
    ).resolves.toEqual({ stored: [true] });
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  describe('group commit, counted in the WAL', () => {
    // The WAL holds one commit frame per transaction. A second connection empties it first.
    async function setup() {
      const file = fx.dbFile();
      const storage = await fx.storage(file);
      const observer = new Database(file);
      fx.cleanup(() => observer.close());
      const append = () =>
        storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })], rejected: [] });
      const count = () => observer.prepare('SELECT count(*) FROM events').pluck().get() as number;
      await append(); // the first append creates pages; start from a steady state
      observer.pragma('wal_checkpoint(TRUNCATE)');
      expect(walCommitCount(file)).toBe(0);
      return { file, storage, append, count };
    }

    it('writes ten concurrent appends in exactly one transaction', async () => {
      const { file, append, count } = await setup();
      const seen: number[] = [];
      await Promise.all(Array.from({ length: 10 }, () => append().then(() => seen.push(count()))));
      expect(walCommitCount(file)).toBe(1);
      // Each acknowledgement came when all ten rows were visible to another connection: committed.
      expect(seen).toEqual(Array(10).fill(11));
    });

    it('writes appends that wait for each other in one transaction each', async () => {
      const { file, append } = await setup();
      for (let i = 0; i < 3; i++) await append();
      expect(walCommitCount(file)).toBe(3);
    });

    it('commits readiness probes with the appends of the moment', async () => {
      const { file, storage, append } = await setup();
      await Promise.all([append(), storage.ping(), storage.ping(), append()]);
      expect(walCommitCount(file)).toBe(1);
    });
  });

  it('upgrades a version 1 database: old rows keep their place and take part in conflict detection', async () => {
    const file = fx.dbFile();
    // A version 1 database, with a row written by a version 1 collector.
    const v1 = new Database(file);
    migrate(v1, { upTo: 1 });
    const old = storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U', messageId: 'old-1' });
    v1.prepare(
      'INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(old.messageId, old.type, null, 'U', old.timestamp, old.receivedAt, 'wk', JSON.stringify(old));
    v1.close();

    const storage = await fx.storage(file);
    await expect(storage.append({ writeKey: 'wk', events: [old], rejected: [] })).resolves.toEqual({ stored: [false] });
    expect(await storage.listRejected()).toEqual([]);
    const changed = { ...old, event: 'Something Else' };
    await expect(storage.append({ writeKey: 'wk', events: [changed], rejected: [] })).resolves.toEqual({ stored: [false] });
    expect((await storage.listRejected()).map((r) => r.messageId)).toEqual(['old-1']);
    expect(await storage.getProfileEvents('U')).toEqual([old]);
    const db = new Database(file, { readonly: true });
    fx.cleanup(() => db.close());
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('upgrades a version 2 database: the events of its anonymous ids are found through runs, old and new', async () => {
    const file = fx.dbFile();
    const v2 = new Database(file);
    migrate(v2, { upTo: 2 });
    const insert = v2.prepare(
      'INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // Interleaved, as requests of two visitors arrive.
    const old = ['A', 'B', 'A'].map((anonymousId, i) => storedEvent(`2024-01-0${i + 1}T00:00:00.000Z`, { anonymousId }));
    for (const e of old) insert.run(e.messageId, e.type, e.anonymousId, null, e.timestamp, e.receivedAt, 'wk', JSON.stringify(e));
    v2.close();

    const storage = await fx.storage(file);
    const later = storedEvent('2024-01-09T00:00:00.000Z', { anonymousId: 'A' });
    await storage.append({ writeKey: 'wk', events: [later], rejected: [] });
    expect(await storage.getProfileEvents('A')).toEqual([old[0], old[2], later]);
    expect(await storage.getProfile('B')).toMatchObject({ id: 'B', eventCount: 1 });
    const db = new Database(file, { readonly: true });
    fx.cleanup(() => db.close());
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_anonymous'").get()).toBeUndefined();
  });

  describe('read-only open', () => {
    it('reads, and fails appends and the readiness probe as read_only', async () => {
      const file = fx.dbFile();
      const writer = createStore(await openSqliteStorage(file));
      const e = storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' });
      await writer.append({ writeKey: 'wk', events: [e], rejected: [] });
      await writer.close();
      const storage = createStore(await openSqliteStorage(file, { readonly: true }));
      fx.cleanup(() => storage.close());
      expect(await storage.getProfileEvents('U')).toEqual([e]);
      const failure = storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-02T00:00:00.000Z', { userId: 'U' })], rejected: [] });
      await expect(failure).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'read_only' });
      await expect(storage.ping()).rejects.toMatchObject({ reason: 'read_only' });
    });

    it('refuses a file that does not exist or needs a schema upgrade', async () => {
      await expect(openSqliteStorage(fx.dbFile(), { readonly: true })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/^no database at /) });
      const file = fx.dbFile();
      new Database(file).close();
      await expect(openSqliteStorage(file, { readonly: true })).rejects.toThrow(/needs an upgrade/);
    });
  });

  it('fails appends as disk_full past maxSizeBytes, keeping what was committed', async () => {
    const file = fx.dbFile();
    const storage = createStore(await openSqliteStorage(file, { maxSizeBytes: 256 * 1024 }));
    fx.cleanup(() => storage.close());
    const big = () => storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U', properties: { blob: 'x'.repeat(8000) } });
    let stored = 0;
    let failure: unknown;
    while (!failure && stored < 1000) {
      await storage.append({ writeKey: 'wk', events: [big()], rejected: [] }).then(() => (stored += 1), (err) => (failure = err));
    }
    expect(failure).toMatchObject({ name: 'StorageUnavailableError', reason: 'disk_full', message: expect.stringMatching(/SQLITE_FULL/) });
    expect(stored).toBeGreaterThan(5);
    expect(await storage.getProfileEvents('U')).toHaveLength(stored);
  });
});

describe('the writer thread', () => {
  const fx = useFixtures();
  const append = (storage: Store, events: StoredEvent[]) => storage.append({ writeKey: 'wk', events, rejected: [] });

  it('keeps this thread free while a commit waits: timers run while the write waits for a lock', async () => {
    const file = fx.dbFile();
    const storage = createStore(await openSqliteStorage(file, { busyTimeoutMs: 400 }));
    fx.cleanup(() => storage.close());
    const locker = new Database(file);
    fx.cleanup(() => locker.close());
    locker.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    const waiting = append(storage, [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })]);
    // On this thread, the busy wait of the write would hold the event loop for the whole 400 ms.
    await new Promise((r) => setTimeout(r, 20));
    expect(performance.now() - started).toBeLessThan(200);
    await expect(waiting).rejects.toMatchObject({ reason: 'locked' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
  });

  it('reads a profile from one snapshot while the writer commits', async () => {
    const storage = await fx.storage();
    // Many events of U make one read long enough for commits to land between its statements.
    for (let b = 0; b < 6; b++) {
      await append(storage, Array.from({ length: 500 }, () => storedEvent('2024-01-01T00:00:00.000Z', { anonymousId: 'a-0', userId: 'U' })));
    }
    let stop = false;
    // Each append adds one identify from a new anonymous id: one event and one link of U.
    const writes = (async () => {
      for (let k = 1; !stop; k++) {
        await append(storage, [storedEvent('2024-01-02T00:00:00.000Z', { type: 'identify', anonymousId: `a-${k}`, userId: 'U' })]);
      }
    })();
    try {
      for (let i = 0; i < 15; i++) {
        const profile = (await storage.getProfile('U'))!;
        // In any one state of the database, every anonymous id beyond a-0 came with one event.
        expect(profile.anonymousIds.length - 1).toBe(profile.eventCount - 3000);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      stop = true;
      await writes;
    }
    expect((await storage.getProfile('U'))!.anonymousIds.length).toBeGreaterThan(5);
  });

  it('has committed pages copied into the database file by a checkpointer thread, long before the WAL is full', async () => {
    const file = fx.dbFile();
    const storage = await fx.storage(file);
    const initial = statSync(file).size;
    // About 1 MB of events: a quarter of the WAL size at which SQLite's own checkpoint would run.
    for (let b = 0; b < 5; b++) {
      const blob = 'x'.repeat(2000);
      await append(storage, Array.from({ length: 100 }, () => storedEvent('2024-01-01T00:00:00.000Z', { anonymousId: 'A', properties: { blob } })));
    }
    const deadline = Date.now() + 5000;
    while (statSync(file).size < initial + 512 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(file).size).toBeGreaterThan(initial + 512 * 1024);
    expect(await storage.getProfile('A')).toMatchObject({ eventCount: 500 });
  });

  it('has a WAL left behind by an unclean stop copied into the database file by the checkpointer thread, with no commit asking', async () => {
    const file = fx.dbFile();
    await (createStore(await openSqliteStorage(file))).close();
    // A process writes 8 MiB into a table of its own without checkpointing, and is killed: its
    // WAL stays, as after a SIGKILL under load. (A commit would copy it all before answering.)
    const driver = require.resolve('better-sqlite3');
    const crash = spawnSync(process.execPath, [
      '-e',
      `const db = new (require(${JSON.stringify(driver)}))(${JSON.stringify(file)});
       db.pragma('wal_autocheckpoint = 0');
       db.exec('CREATE TABLE filler (x TEXT)');
       const insert = db.prepare('INSERT INTO filler (x) VALUES (?)');
       db.transaction(() => { for (let i = 0; i < 2048; i++) insert.run('x'.repeat(4000)); })();
       process.kill(process.pid, 'SIGKILL');`,
    ]);
    expect(crash.signal).toBe('SIGKILL');
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(8 * 1024 * 1024);
    const before = statSync(file).size;

    const storage = await fx.storage(file);
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < before + 8 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(file).size).toBeGreaterThan(before + 8 * 1024 * 1024);
    const reader = new Database(file, { readonly: true });
    fx.cleanup(() => reader.close());
    expect(reader.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: 2048 });
    await expect(append(storage, [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })])).resolves.toEqual({ stored: [true] });
  }, 15_000);

  it('fails appends with StorageUnavailableError once the writer thread is gone, instead of leaving them waiting', async () => {
    // The storage posts to its writer thread through Worker#postMessage: note which Worker that is.
    const post = Worker.prototype.postMessage;
    const threads = new Set<Worker>();
    const spy = jest.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, value, transfer) {
      threads.add(this);
      return post.call(this, value, transfer);
    });
    fx.cleanup(() => spy.mockRestore());
    const storage = await fx.storage();
    await append(storage, [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })]);
    spy.mockRestore();
    expect(threads.size).toBe(1);
    const [writer] = threads;

    const pending = append(storage, [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })]);
    await writer.terminate();
    await expect(pending).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(append(storage, [storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' })])).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('writes on this thread for an in-memory database, which no other thread can open', async () => {
    const storage = createStore(await openSqliteStorage(':memory:'));
    fx.cleanup(() => storage.close());
    const e = storedEvent('2024-01-01T00:00:00.000Z', { userId: 'U' });
    await expect(append(storage, [e, e])).resolves.toEqual({ stored: [true, false] });
    expect(await storage.getProfileEvents('U')).toEqual([e]);
    await expect(storage.ping()).resolves.toBeUndefined();
  });
});

describe('openStorage', () => {
  const fx = useFixtures();

  it('opens SQLite for a file path', async () => {
    const storage = await openStorage({ db: fx.dbFile() });
    fx.cleanup(() => storage.close());
    await expect(storage.ping()).resolves.toBeUndefined();
  });

  it('takes a postgres:// URL for PostgreSQL, checked before anything connects', async () => {
    await expect(openStorage({ db: 'postgres://spur:secret@localhost' })).rejects.toThrow(/SPUR_DATABASE_URL \/ --database-url: no database name \(postgres:\/\/spur:\*\*\*@localhost\)/);
    await expect(openStorage({ db: 'unused.db', databaseUrl: 'mysql://localhost/spur' })).rejects.toThrow(/the scheme must be postgres:\/\//);
  });
});
