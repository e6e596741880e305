// The outbox: events wait here, keyed by messageId, until the collector has answered for them.
// IndexedDB (one idb-keyval store) keeps them across page loads; when IndexedDB is missing or
// fails (private mode, quota, a blocked open), the outbox moves to memory for the rest of the page.
//
// This narrow interface is the seam for what comes later: a Web Lock around peek/remove so that
// tabs sharing the store take turns, and a bound enforced in add().
import { createStore, delMany, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import { warn } from './config';
import type { SpurEvent } from './types';

export interface Outbox {
  /** Stores events, in one transaction. */
  add(events: SpurEvent[]): Promise<void>;
  /** Up to `max` stored events, oldest first. */
  peek(max?: number): Promise<SpurEvent[]>;
  /** Forgets events by messageId. */
  remove(messageIds: string[]): Promise<void>;
  /** How many events are stored. */
  count(): Promise<number>;
}

// Stored as [order, event]: messageIds are random, and events recorded in the same millisecond
// must still leave in the order they happened.
type Row = [number, SpurEvent];
let seq = 0;
const row = (e: SpurEvent): Row => [Date.now() * 1000 + (seq++ % 1000), e];

/** The IndexedDB outbox, with its memory fallback. No method rejects. */
export function createOutbox(): Outbox {
  const memory = new Map<string, Row>();
  let store: UseStore | undefined;
  try {
    store = createStore('spur', 'outbox');
  } catch {
    // No IndexedDB at all: memory from the start.
  }

  // Runs `op` on IndexedDB; on its first failure the outbox stays in memory for good and runs
  // `fallback` instead, so the caller's events are kept either way.
  async function use<T>(op: (s: UseStore) => Promise<T>, fallback: () => T): Promise<T> {
    if (store)
      try {
        return await op(store);
      } catch (error) {
        warn('outbox in memory', error);
        store = undefined;
      }
    return fallback();
  }

  return {
    // One transaction for the whole batch: the queue calls this once per tick, not per event.
    add: (events) =>
      use(
        (s) => setMany(events.map((e) => [e.messageId, row(e)]), s),
        () => events.forEach((e) => memory.set(e.messageId, row(e))),
      ),
    peek: async (max) =>
      (await use((s) => s('readonly', (o) => promisifyRequest<Row[]>(o.getAll())), () => [...memory.values()]))
        .sort((a, b) => a[0] - b[0])
        .slice(0, max)
        .map((r) => r[1]),
    remove: (ids) =>
      use(
        (s) => delMany(ids, s),
        () => ids.forEach((id) => memory.delete(id)),
      ),
    count: () => use((s) => s('readonly', (o) => promisifyRequest(o.count())), () => memory.size),
  };
}
