// Delivery: connects the outbox to the transport. Events are written to the outbox before they
// are sent (one write per tick), batches go out at flushAt events or after flushInterval, failed
// batches wait with backoff, and pagehide sends what this page still holds at once.
import type { Outbox } from './outbox';
import { backoff, chunk } from './transport';
import type { SpurEvent } from './types';

export interface QueueOptions {
  outbox: Outbox;
  /** Sends one batch; never rejects. Resolves to a retry delay, or undefined when done (see verdict). */
  send: (events: SpurEvent[]) => Promise<number | undefined>;
  flushAt: number;
  flushInterval: number;
}

export function createQueue({ outbox, send, flushAt, flushInterval }: QueueOptions) {
  // Events of this page that the collector has not answered for yet. pagehide must call fetch
  // synchronously, with no time to read IndexedDB, so it sends from here.
  const unsent = new Map<string, SpurEvent>();
  // Events in a request right now: never put one event in two concurrent requests.
  const inflight = new Set<string>();
  let buffer: SpurEvent[] = [];
  let written: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting = false; // backing off: only the timer, `online` or pagehide send now
  let attempt = 0;
  let pumping: Promise<void> | undefined;
  // flush() calls waiting for the next answer, to check whether the outbox is empty now.
  const wake: (() => unknown)[] = [];
  const notify = () => wake.splice(0).forEach((f) => f());

  function schedule(ms: number) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      waiting = false;
      pump();
    }, ms);
  }

  function write(): Promise<unknown> {
    if (!buffer.length) return written;
    const events = buffer;
    buffer = [];
    return (written = written
      .then(() => outbox.add(events))
      .then(() => {
        // Not returning pump(): a send waits for `written`, which must not wait for the send.
        if (unsent.size < flushAt) timer || schedule(flushInterval);
        else pump();
      }));
  }

  /** Sends one batch and settles its events; false when it must be retried later. */
  async function deliver(batch: SpurEvent[]): Promise<boolean> {
    const ids = batch.map((e) => e.messageId);
    ids.forEach((id) => inflight.add(id));
    try {
      const wait = await send(batch);
      if (wait != null) {
        waiting = true;
        schedule(wait >= 0 ? wait : backoff(attempt++));
        return false;
      }
      attempt = 0;
      ids.forEach((id) => unsent.delete(id));
      // After the write of these events, or a late write would bring them back.
      await written;
      await outbox.remove(ids);
      return true;
    } finally {
      ids.forEach((id) => inflight.delete(id));
      notify();
    }
  }

  async function run() {
    for (;;) {
      const events = (await outbox.peek()).filter((e) => !inflight.has(e.messageId));
      if (!events.length) return;
      for (const batch of chunk(events, flushAt)) if (waiting || !(await deliver(batch))) return;
    }
  }

  /** Sends everything stored, batch by batch, unless backing off. One run at a time. */
  function pump(): Promise<void> {
    if (waiting) return Promise.resolve();
    return (pumping =
      pumping ||
      run().finally(() => {
        pumping = undefined;
        // Events written after the last peek wait for the next interval.
        if (unsent.size && !timer) schedule(flushInterval);
        notify();
      }));
  }

  // Events left by earlier pages go out with the first batch of this one.
  schedule(flushInterval);

  return {
    enqueue(event: SpurEvent): void {
      unsent.set(event.messageId, event);
      // One IndexedDB transaction per tick, not one per call.
      if (buffer.push(event) === 1) Promise.resolve().then(write);
    },

    /** The page is going away (or hidden): send everything this page holds, now, backoff or not. */
    unload(): void {
      write();
      const events = [...unsent.values()].filter((e) => !inflight.has(e.messageId));
      chunk(events, flushAt).forEach(deliver);
    },

    /** Connectivity is back: retry now instead of waiting out the backoff. */
    online(): void {
      waiting = false;
      pump();
    },

    /**
     * Sends what is waiting, through retries, and settles when the outbox is empty or after
     * `timeout` ms, whichever comes first. Respects a running backoff. Never rejects.
     */
    flush(timeout: number): Promise<void> {
      return new Promise((resolve) => {
        let over = false;
        const end = () => {
          over = true;
          clearTimeout(bound);
          resolve();
        };
        const bound = setTimeout(end, timeout);
        // Checks again after each answer (a send, a retry, a pagehide batch) until empty.
        const check = (): Promise<unknown> =>
          write()
            .then(pump)
            .then(outbox.count)
            .then((n) => (n || buffer.length ? over || wake.push(check) : end()), end);
        check();
      });
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
