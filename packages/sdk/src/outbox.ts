// The outbox: events wait in IndexedDB (database `spur`, store `outbox`) until the collector has
// answered for them, across reloads, closed tabs and browser restarts. One row per parcel: the
// events a page recorded in one tick (at most a request's worth):
//   key    [order, page]    order: about ms × 1000 of the first event, increasing within a page;
//                           page: the id of the page that made it. So rows are oldest first.
//   value  [owner, events]  owner: the id of the page sending it, '' when no page is; events:
//                           their JSON, as sent
// Parcels, not events: each IndexedDB request costs the page's main thread ~20 µs (a message to
// the browser and a success event back), so a burst of 1,000 events is one write, and a batch
// one delete per parcel. A page keeps its own parcels in memory and never reads them back; rows
// are read only to adopt the parcels of pages that are gone (locks.ts). Without IndexedDB (some
// private modes, sandboxed frames) or when a write fails (quota), the events live in the page's
// memory only. No method rejects or throws.

import { createStore, promisifyRequest } from 'idb-keyval';

export type Key = [order: number, page: string];
/** A parcel as the queue holds it: key, events' JSON (the queue's carry more after these). */
export type Row = [key: Key, events: string[], ...rest: unknown[]];

// Every write is committed at once: a transaction left to auto-commit is aborted when its page
// dies before the browser got round to it, and with it every transaction queued behind it, such
// as the one pagehide wrote. (commit(): Chrome 76+, Firefox 74+, Safari 15; without it, auto-commit.)
const commit = (s: IDBObjectStore) => s.transaction.commit?.();

export function createOutbox() {
  // idb-keyval's store: it opens the database `spur` on first use (creating the store `outbox`),
  // opens it again after a failed open or a connection the browser closed, and hands each
  // callback the object store inside a transaction of its own.
  const store = createStore('spur', 'outbox');
  let dead: unknown;

  // One readwrite transaction, filled by `fill`; true when it committed.
  async function run(fill: (s: IDBObjectStore) => void): Promise<boolean> {
    try {
      if (dead) throw 0;
      // Throws where there is no IndexedDB, fails where it is blocked: then memory only.
      await store('readwrite', (s) => (fill(s), promisifyRequest(s.transaction)));
      return true;
    } catch {
      return false;
    }
  }

  return {
    /** Writes rows as `owner`'s and deletes rows, in one transaction. */
    stash(owner: string, rows: Row[], deletes: Key[]): Promise<unknown> {
      const write = (s: IDBObjectStore) => {
        for (const [key, events] of rows) s.put([owner, events], key);
        for (const key of deletes) s.delete(key);
        commit(s);
      };
      // A write over quota aborts its deletes too: those go again on their own, or a later page
      // would send what the collector has already stored.
      return run(write).then((ok) => ok || !deletes.length || ((rows = []), run(write)));
    },

    /** Consent withdrawn: closes the database (client.ts deletes it), and opens it no more. */
    shut(): void {
      // The last transaction: it closes the connection (once the transactions queued before it
      // are done), so that the deletion need not wait for the page to go.
      run((s) => s.transaction.db.close());
      dead = 1;
    },

    /**
     * Makes the rows of pages that are gone `owner`'s, in one transaction (so two pages never adopt
     * the same row), and returns them, oldest first. (A row that is not spur's fails the
     * transaction: then nothing is adopted, and nothing breaks.)
     */
    adopt(owner: string, gone: (owner: string, order: number) => boolean): Promise<Row[]> {
      const rows: Row[] = [];
      return run((s) => {
        s.openCursor().onsuccess = function () {
          const cursor = this.result;
          if (!cursor) return commit(s);
          const key = cursor.key as Key;
          const [from, events] = cursor.value;
          if (from !== owner && gone(from, key[0])) {
            cursor.update([owner, events]);
            rows.push([key, events]);
          }
          cursor.continue();
        };
      }).then((ok) => (ok ? rows : []));
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
