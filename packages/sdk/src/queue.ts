// Delivery: from track() to the collector, once. The events of one tick make a parcel (up to
// 64 KB), written to the outbox in one IndexedDB transaction and kept in this page's memory until
// the collector answered for it, so nothing is read back to be sent. A batch is whole parcels; it
// leaves when flushAt events wait, or flushInterval ms after the first, in an ordinary request of
// up to 480 KB; failures wait with backoff. When the page is hidden or goes away, what it holds
// leaves at once in a keepalive request (64 KB), which the browser finishes after the page is
// gone. That includes what an ordinary request still carries: the browser cancels those with the
// page. Its rows stay until a 2xx for them reaches this page (hidden, or back from the
// back/forward cache); a page that is gone hears nothing, so the next page of the shop adopts
// them and sends them again, and the collector stores each messageId once. (Deleted when the
// keepalive request was made, they were lost whenever it failed: the collector down, or the
// network gone while navigator.onLine said otherwise, as Chromium says during a reload that fails
// offline, where it fires `online` in the page it is about to replace.)
//
// A page sends only the parcels it owns: its own, and those it adopted from pages that are gone
// (locks.ts). So no event is in two open pages' requests, however many tabs are open.
import type { Key, Outbox } from './outbox';
import { exclusive, leave, type PageLock } from './locks';
import { load, save } from './storage';
import { backoff, batchOf, body, KEEPALIVE_LIMIT, KEEPALIVE_QUOTA, LIMIT } from './transport';
import { uuid } from './uuid';

/** At most this many events wait in a page; beyond, the oldest are dropped (and counted). */
export const MAX_EVENTS = 1000;
/** Events older than this are dropped (and counted) instead of sent. */
export const TTL = 7 * 24 * 3600 * 1000;
/** localStorage: events dropped and not yet reported; sent as `dropped` with the next batch. */
export const DROPPED = 'spur_dropped';

/**
 * A parcel of this page: outbox key ([order, page], outbox.ts), the events' JSON, the batch of the
 * request that carries it now (a keepalive request may take it over from an ordinary one; only
 * the latest answer counts, unless it is a 2xx), and, while that is a keepalive request (which
 * outlives the page, so no other is made for it), its size.
 */
type Parcel = [key: Key, events: string[], request?: Parcel[], kept?: number];

/** Counts `n` more events dropped (none: no write). */
export const addDropped = (n: number) => n && save(DROPPED, (load<number>(DROPPED) || 0) + n);

/** POSTs one batch body; never rejects. Resolves to a retry delay, or undefined when done (see send() in transport.ts). */
export type Send = (data: string, keepalive: boolean) => Promise<number | undefined>;

/** Positional, not an options object: its property names would be in spur.js for nothing. */
export function createQueue(outbox: Outbox, send: Send, writeKey: string, flushAt: number, flushInterval: number) {
  // (letGo declared here so that the minifier mangles its name in spur.js.)
  const page: PageLock = { pid: uuid(), letGo: undefined };
  // This page's parcels, oldest first, until the collector has answered for them.
  let mine = new Set<Parcel>();
  // The parcel this tick's events go into, and what the next transaction writes and deletes.
  let open: Parcel | undefined;
  let size = 0; // of the open parcel's JSON
  let rows: Parcel[] = [];
  let deletes: Key[] = [];
  let written: Promise<unknown>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting = false; // backing off: only the timer, `online` or leaving the page send now
  let pumping = false;
  let attempt = 0;
  let keepalive = 0; // bytes of this page's keepalive requests in flight
  let last = 0;
  let count = 0; // events this page holds, as of the last write, plus those recorded since
  // The bound of write(): 0 once the collector refused the write key or the origin (401, 403).
  let max = MAX_EVENTS;
  // flush() calls waiting for the next answer, to check whether the page holds nothing now.
  const wake: (() => unknown)[] = [];
  const notify = () => wake.splice(0).map((f) => f());

  /** This page's parcels without field i: not in a request (2), not in a keepalive request (3). */
  const without = (i: 2 | 3) => [...mine].filter((p) => !p[i]);

  // One transaction per tick, once this page holds its lock (locks.ts). The bounds are kept here,
  // before every send too: events past the TTL go, and beyond 1,000 the oldest go (so 1,000 calls
  // in one tick never store more either); never one in a request, which may arrive. Once refused,
  // the bound is 0: every event goes, counted, before a request could carry it.
  function write(owner = page.pid): Promise<unknown> {
    open = undefined;
    const expired = (Date.now() - TTL) * 1000;
    count = 0;
    for (const p of mine) count += p[1].length;
    for (const p of without(2)) {
      const n = p[0][0] < expired ? p[1].length : Math.min(count - max, p[1].length);
      if (n < 1) break; // parcels are oldest first
      addDropped(n);
      count -= n;
      p[1].splice(0, n);
      if (p[1].length) rows.push(p);
      else mine.delete(p), deletes.push(p[0]);
    }
    if (rows[0] || deletes[0]) {
      written = ready.then(outbox.stash.bind(0, owner, rows, deletes));
      rows = [];
      deletes = [];
    }
    return written;
  }

  function schedule(ms: number) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      waiting = false;
      pump();
    }, ms);
  }

  /** Takes over the rows of pages that are gone (and of earlier visits). Never rejects. */
  function adopt(): Promise<void> {
    return exclusive(page, (gone) => outbox.adopt(page.pid, gone)).then((found) => {
      // Older than this page's own, as a rule: first. The bounds hold for them at once: a batch
      // that waited for the adoption (pump() awaits it) is made right after, without a write().
      mine = new Set([...(found as Parcel[]), ...mine]);
      write();
      // Sent at once (with what this page recorded so far), not after flushInterval: the page that
      // is gone may have sent them on its way out, and heard nothing; a page a visitor leaves
      // before its first batch would carry them again, and the next one again, until one lives
      // long enough to hear back. (Adoption never runs while backing off.)
      if (found.length) schedule(0);
    }, () => undefined);
  }

  /**
   * Sends the next batch: parcels not in a request yet, up to a request's size; or, when leaving
   * the page, parcels not in a keepalive request, with keepalive, within its 64 KiB quota (else
   * nothing is sent). What does not fit waits for the next batch, or page. Rows go only after a
   * 2xx. Resolves to true when the events are done with; undefined: nothing sent.
   */
  function deliver(leaving?: boolean): Promise<boolean> | undefined {
    const batch = batchOf(without(leaving ? 3 : 2), leaving ? KEEPALIVE_LIMIT : LIMIT);
    if (!batch[0]) return;
    const dropped = load<number>(DROPPED) || 0;
    const data = body(
      batch.map((p) => p[1]),
      writeKey,
      dropped,
    );
    // What it adds to the keepalive bytes in flight.
    const kept = leaving ? data.length : 0;
    if (keepalive + kept > KEEPALIVE_QUOTA) return;
    if (dropped) save(DROPPED, 0);
    keepalive += kept;
    for (const p of batch) (p[2] = batch), (p[3] = kept);
    return send(data, !!kept).then((wait) => {
      keepalive -= kept;
      const done = wait == null;
      // Refused: every request of this page would be (a wrong write key, an origin the key does
      // not allow). Nothing more is sent; what the page holds and records is dropped and counted
      // (write()), since this key cannot deliver it from here. (REFUSED is -1; undefined < 0 is false.)
      if (wait! < 0) max = 0;
      // Done: the rows go, whoever holds them now (after a 2xx that is always safe; a page back
      // from the back/forward cache may have given them up meanwhile). Else, unless a later
      // request carries them, they wait in this page for the next batch; or, once it is gone,
      // in their rows for another page.
      for (const p of batch)
        if (done || p[2] == batch) {
          if (done) mine.delete(p), deletes.push(p[0]);
          p[2] = p[3] = undefined;
        }
      write();
      if (done) {
        // Back after trouble: tabs closed meanwhile may have left events behind.
        if (attempt) adopt();
        attempt = 0;
      } else {
        if (dropped) addDropped(dropped);
        waiting = true;
        if (max) schedule(wait >= 0 ? wait : backoff(attempt++));
      }
      notify();
      return done;
    });
  }

  /** Sends what waits, batch by batch, unless backing off. One run at a time. */
  async function pump(): Promise<void> {
    if (waiting || pumping) return;
    pumping = true;
    // Stored before sent: an event whose request dies with the page is still in the outbox.
    await write();
    while (!waiting && (await deliver()));
    pumping = false;
    if (!mine.size) notify();
  }

  // Events of earlier pages and visits go out with the first batch of this one.
  const ready = (written = adopt());

  return {
    enqueue(json: string): void {
      // A parcel per tick, written at its end: one IndexedDB transaction, not one per call.
      if (!open || (size += json.length + 1) > KEEPALIVE_LIMIT) {
        // Later than every parcel before it, even several in one millisecond.
        open = [[(last = Math.max(last + 1, Date.now() * 1000)), page.pid], []];
        size = json.length + 1;
        mine.add(open);
        rows.push(open);
        // At the end of the tick: one transaction for its events and, once flushAt events wait,
        // one batch as large as a request may be (not flushAt events, then the rest).
        // (Counting those in a request too: while one is, pump() returns at once, and the batch
        // after it takes what waits.)
        Promise.resolve().then(() => {
          write();
          if (count >= flushAt) pump();
        });
      }
      open[1].push(json);
      if (++count < flushAt && !timer) schedule(flushInterval);
    },

    /**
     * The page is hidden, or going away (`gone`: pagehide): what it holds leaves now in a keepalive
     * request, as much as the keepalive quota allows, unless offline or backing off (a request
     * would fail). That includes parcels in an ordinary request still in flight, which the browser
     * cancels with the page (the collector stores an event sent twice once). Their rows stay until
     * a 2xx reaches this page. On pagehide the page gives up every row, those in a keepalive
     * request too: another tab or the next page adopts them, and sends them unless this page,
     * still alive, deleted them after a 2xx first.
     */
    unload(gone?: true): void {
      if (!waiting && navigator.onLine !== false) deliver(true);
      if (gone) {
        leave(page);
        rows = [...mine];
        mine = new Set();
      }
      write(gone && '');
    },

    /** Connectivity is back (or the page, from the back/forward cache): adopt, and retry now instead of waiting out the backoff. */
    online(): void {
      waiting = false;
      adopt().then(pump);
    },

    /**
     * Sends what is waiting, through retries, and settles when this page holds no event or after
     * `timeout` ms, whichever comes first. Respects a running backoff. Never rejects.
     */
    drain(timeout: number): Promise<unknown> {
      return new Promise<unknown>((resolve) => {
        setTimeout(resolve, timeout);
        // Checks again after each answer (a send, a retry, a pagehide batch) until empty.
        const check = (): unknown => (mine.size ? (wake.push(check), pump()) : write().then(resolve));
        ready.then(check);
      });
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
