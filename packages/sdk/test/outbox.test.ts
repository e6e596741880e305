import { createOutbox } from '../src/outbox';
import type { SpurEvent } from '../src/types';
import { cleanPage } from './helpers';

const event = (id: string): SpurEvent => ({ type: 'track', event: 'E', messageId: id, timestamp: new Date().toISOString() });

beforeEach(cleanPage);
afterEach(() => jest.restoreAllMocks());

describe('createOutbox()', () => {
  it('keeps events in IndexedDB, where a later page finds them', async () => {
    await createOutbox().add([event('a'), event('b')]);
    const later = createOutbox();
    expect((await later.peek()).map((e) => e.messageId)).toEqual(['a', 'b']);
    expect(await later.count()).toBe(2);
  });

  it('hands out the oldest first, in the order they were added within one millisecond', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1700000000000);
    const outbox = createOutbox();
    const ids = Array.from({ length: 30 }, (_, i) => 'id-' + (1000 - i)); // keys sort the other way
    await outbox.add(ids.slice(0, 10).map(event));
    await outbox.add(ids.slice(10).map(event));
    now.mockRestore();
    expect((await outbox.peek()).map((e) => e.messageId)).toEqual(ids);
    expect((await outbox.peek(3)).map((e) => e.messageId)).toEqual(ids.slice(0, 3));
  });

  it('forgets removed events', async () => {
    const outbox = createOutbox();
    await outbox.add([event('a'), event('b'), event('c')]);
    await outbox.remove(['a', 'c']);
    expect((await createOutbox().peek()).map((e) => e.messageId)).toEqual(['b']);
  });

  it('writes a whole batch in one transaction', async () => {
    const outbox = createOutbox();
    await outbox.count(); // opens the database
    const transaction = jest.spyOn(IDBDatabase.prototype, 'transaction');
    await outbox.add(['a', 'b', 'c', 'd'].map(event));
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(transaction).toHaveBeenCalledWith('outbox', 'readwrite');
  });

  it('falls back to memory when IndexedDB is missing', async () => {
    // @ts-expect-error: private mode in some browsers, or a sandboxed iframe.
    delete globalThis.indexedDB;
    const outbox = createOutbox();
    await outbox.add([event('a'), event('b')]);
    expect((await outbox.peek()).map((e) => e.messageId)).toEqual(['a', 'b']);
    await outbox.remove(['a']);
    expect(await outbox.count()).toBe(1);
  });

  it('falls back to memory when opening IndexedDB throws', async () => {
    jest.spyOn(indexedDB, 'open').mockImplementation(() => {
      throw new DOMException('denied', 'SecurityError');
    });
    const outbox = createOutbox();
    await outbox.add([event('a')]);
    expect((await outbox.peek()).map((e) => e.messageId)).toEqual(['a']);
  });

  it('keeps the events of a failed write in memory (quota exceeded)', async () => {
    const outbox = createOutbox();
    await outbox.add([event('a')]);
    jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    await expect(outbox.add([event('b')])).resolves.toBeUndefined();
    expect((await outbox.peek()).map((e) => e.messageId)).toEqual(['b']);
  });
});
