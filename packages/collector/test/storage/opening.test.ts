// storageWhenOpen: the store `spur serve` hands to the collector before the database has opened.
// Once open it behaves exactly as the store it wraps (the whole contract runs through it); before,
// ping() says `starting` and every other call waits; a failed open fails the calls.
import { StorageUnavailableError } from '../../src/errors';
import { createStore } from '../../src/rules/store';
import { openSqliteStorage, storageWhenOpen, type Storage } from '../../src/storage';
import { useFixtures } from '../helpers';
import { runStorageContract, storedEvent } from './contract';
import { runAccountsContract } from './contract-accounts';

// Handed over before the open, used after it (the contract's ping expects an open store).
runStorageContract('sqlite, handed over while opening', async (file) => {
  const opening = openSqliteStorage(file);
  const storage = storageWhenOpen(opening);
  await opening;
  return storage;
});

runAccountsContract('sqlite, handed over while opening', async (file) => {
  const opening = openSqliteStorage(file);
  const storage = storageWhenOpen(opening);
  await opening;
  return storage;
});

describe('storageWhenOpen', () => {
  const fx = useFixtures();

  /** A store whose open completes when open() is called. */
  function pending() {
    let open!: (storage: Promise<Storage>) => void;
    const storage = createStore(storageWhenOpen(new Promise<Storage>((resolve) => (open = resolve))));
    fx.cleanup(() => storage.close());
    return { storage, open };
  }

  it('reports `starting` on ping() until the open is done, and makes other calls wait for it', async () => {
    const { storage, open } = pending();
    await expect(storage.ping()).rejects.toMatchObject({ name: 'StorageUnavailableError', reason: 'starting' });
    let stored: boolean[] | undefined;
    const appended = storage.append({ writeKey: 'wk', events: [storedEvent('2024-01-01T00:00:00.000Z', { anonymousId: 'A' })], rejected: [] });
    void appended.then((r) => (stored = r.stored));
    await new Promise((r) => setTimeout(r, 20));
    expect(stored).toBeUndefined();

    open(openSqliteStorage(fx.dbFile()));
    expect((await appended).stored).toEqual([true]);
    await expect(storage.ping()).resolves.toBeUndefined();
    expect(await storage.getProfile('A')).toMatchObject({ eventCount: 1 });
  });

  it('fails every call with StorageUnavailableError when the open fails, and closes quietly', async () => {
    const { storage, open } = pending();
    const waiting = storage.eventsAfter(null, 10);
    open(Promise.reject(new Error('cannot open the database /nowhere: unable to open database file')));
    const failed = (call: Promise<unknown>) =>
      call.then(
        () => null,
        (e: unknown) => e,
      );
    const first = await failed(waiting); // made before the open failed
    for (const err of [first, await failed(storage.ping()), await failed(storage.append({ writeKey: 'wk', events: [], rejected: [] }))]) {
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err).toMatchObject({ reason: 'closed', message: 'the database could not be opened: cannot open the database /nowhere: unable to open database file' });
    }
    await expect(storage.close()).resolves.toBeUndefined();
  });

  it('closes the store once it has opened, when close() is called before', async () => {
    const { storage, open } = pending();
    const file = fx.dbFile();
    const closed = storage.close();
    const real = openSqliteStorage(file);
    open(real);
    await closed;
    await expect((await real).ping()).rejects.toMatchObject({ reason: 'closed' });
  });
});
