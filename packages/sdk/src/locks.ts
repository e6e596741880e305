// Which pages are alive, so that open tabs share one outbox without sending an event twice. Each
// page sends only the events it owns (outbox.ts); it adopts the rows of pages that are gone (and
// sends again what such a page sent on its way out: its answer came to no page). Web Locks
// tell which those are: a page holds a lock named after its id while it is shown, and the
// browser releases it when the page closes, navigates away or crashes. (Released on pagehide, not
// held through it: Chrome keeps no page that holds a lock in the back/forward cache.)
//
// Why not one tab sending for all, under one lock: a tab that closes must send its last events
// on pagehide, at once, without waiting for a lock, and the sending tab could be sending the same
// events at that moment. Owning them first makes that impossible.

// Without Web Locks (plain http, which is no secure context; browsers before 2022) nothing tells
// a live page from a gone one: a page gives its rows up on pagehide (owner ''), and the rows of a
// page that vanished without pagehide (crash, a discarded background tab) wait an hour.
const LEASE = 3600000;

/** Whether a row (owner, order) belongs to a page that is gone. */
export type Gone = (owner: string, order: number) => boolean;

/** A page: its id (the owner of its rows), and how to release its lock while it holds it. */
export interface PageLock {
  pid: string;
  letGo?: () => void;
}

/**
 * Runs `adopt` with a test for gone owners while no other page adopts or starts, and with this
 * page's lock held: a page's rows never exist before its lock does, so they are never taken for
 * a gone page's.
 */
export function exclusive<T>(page: PageLock, adopt: (gone: Gone) => Promise<T>): Promise<T> {
  const locks = navigator.locks;
  if (!locks) return adopt((owner, order) => !owner || order < (Date.now() - LEASE) * 1000);
  return locks.request('spur', async () => {
    // Resolves, once the lock is held, to the function that releases it.
    page.letGo ||= await new Promise<() => void>((held) => locks.request(page.pid, () => new Promise<void>(held)));
    // Pages take their lock inside this exclusive section too, so no page lock is pending now.
    const { held } = await locks.query();
    return adopt((owner) => !held!.some((lock) => lock.name === owner));
  }) as Promise<T>;
}

/** The page is gone, or goes into the back/forward cache: its rows are up for adoption. */
export function leave(page: PageLock): void {
  // (Releasing returns undefined: no lock to release any more.)
  page.letGo = page.letGo?.() as undefined;
}
