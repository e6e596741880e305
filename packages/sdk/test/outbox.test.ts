import { createOutbox, type Key } from '../src/outbox';
import { cleanPage, storedRows } from './helpers';

const row = (order: number, page = 'p', events = [`{"n":${order}}`]): [Key, string[]] => [[order, page], events];
const all = () => true;
const orders = (rows: [Key, ...unknown[]][]) => rows.map(([key]) => key[0]);

beforeEach(cleanPage);
afterEach(() => jest.restoreAllMocks());

describe('createOutbox()', () => {
  it('keeps parcels in IndexedDB as [owner, events], keyed [order, page], oldest first', async () => {
    await createOutbox().stash('page-1', [row(2, 'b', ['{"n":1}', '{"n":2}']), row(1, 'a')], []);
    expect(await storedRows()).toEqual([
      [[1, 'a'], ['page-1', ['{"n":1}']]],
      [[2, 'b'], ['page-1', ['{"n":1}', '{"n":2}']]],
    ]);
  });

  it('writes and deletes in one transaction', async () => {
    const outbox = createOutbox();
    await outbox.stash('p', [row(1), row(2)], []);
    const transaction = jest.spyOn(IDBDatabase.prototype, 'transaction');
    await outbox.stash('p', [row(3), row(4)], [[1, 'p']]);
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(transaction).toHaveBeenCalledWith('outbox', 'readwrite');
    expect(orders(await storedRows())).toEqual([2, 3, 4]);
  });

  it('lets a later page adopt the rows of pages that are gone, oldest first, owning them from then on', async () => {
    await createOutbox().stash('gone', [row(3), row(1)], []);
    await createOutbox().stash('alive', [row(2)], []);
    const adopted = await createOutbox().adopt('me', (owner) => owner === 'gone');
    expect(orders(adopted)).toEqual([1, 3]);
    expect((await storedRows()).map(([key, r]) => [key[0], r[0]])).toEqual([
      [1, 'me'],
      [2, 'alive'],
      [3, 'me'],
    ]);
    // Adopted once: nobody else gets them.
    expect(await createOutbox().adopt('other', (owner) => owner === 'gone')).toEqual([]);
  });

  it('passes owner and order to the test, and never adopts its own rows', async () => {
    await createOutbox().stash('me', [row(5)], []);
    await createOutbox().stash('', [row(6)], []);
    const seen: unknown[] = [];
    const adopted = await createOutbox().adopt('me', (owner, order) => (seen.push([owner, order]), true));
    expect(seen).toEqual([['', 6]]);
    expect(orders(adopted)).toEqual([6]);
  });

  it('adopts nothing, without throwing, while rows that are not spur parcels are in its store', async () => {
    const outbox = createOutbox();
    await outbox.stash('x', [row(1)], []);
    const db = await new Promise<IDBDatabase>((resolve) => {
      const open = indexedDB.open('spur');
      open.onsuccess = () => resolve(open.result);
    });
    const tx = db.transaction('outbox', 'readwrite');
    tx.objectStore('outbox').put(null, 'junk');
    await new Promise((r) => (tx.oncomplete = r));
    db.close();
    await expect(outbox.adopt('me', all)).resolves.toEqual([]);
    await outbox.stash('x', [row(2)], [[1, 'x']]); // writing still works
  });

  it('opens the database again when the browser closed its connection (Safari does, now and then)', async () => {
    const outbox = createOutbox();
    let db: IDBDatabase | undefined;
    const transaction = IDBDatabase.prototype.transaction;
    jest.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
      db = this;
      return transaction.apply(this, args);
    });
    await outbox.stash('p', [row(1)], []);
    const first = db!;
    first.close();
    // The close event the browser fires when it closes a connection itself (fake-indexeddb has no
    // way to fire it).
    first.onclose!.call(first, new Event('close'));
    await outbox.stash('p', [row(2)], []);
    expect(db).not.toBe(first);
    expect(orders(await storedRows())).toEqual([1, 2]);
  });

  it('closes its connection when consent is withdrawn, so that the database can be deleted at once', async () => {
    const outbox = createOutbox();
    await outbox.stash('p', [row(1)], []);
    outbox.shut();
    const deleted = await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase('spur');
      request.onsuccess = () => resolve('deleted');
      request.onblocked = () => resolve('blocked');
    });
    expect(deleted).toBe('deleted');
    await outbox.stash('p', [row(2)], []); // opens nothing any more
    expect(await indexedDB.databases()).toEqual([]);
  });

  it('does nothing, without throwing, when IndexedDB is missing', async () => {
    // @ts-expect-error: private mode in some browsers, or a sandboxed iframe.
    delete globalThis.indexedDB;
    const outbox = createOutbox();
    await outbox.stash('p', [row(1)], [[2, 'p']]);
    await expect(outbox.adopt('p', all)).resolves.toEqual([]);
  });

  it('does nothing, without throwing, when opening IndexedDB throws', async () => {
    jest.spyOn(indexedDB, 'open').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const outbox = createOutbox();
    await outbox.stash('p', [row(1)], []);
    await expect(outbox.adopt('p', all)).resolves.toEqual([]);
  });

  it('still deletes when a write fails over quota (which aborts its transaction)', async () => {
    const outbox = createOutbox();
    await outbox.stash('p', [row(1), row(2)], []);
    jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    await outbox.stash('p', [row(3)], [[1, 'p']]);
    expect(orders(await storedRows())).toEqual([2]);
  });
});
