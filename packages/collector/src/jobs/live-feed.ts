// Events as they are committed, for the dashboard's Live view (GET /v1/live): one reader per
// collector, running only while someone watches, asks storage every second for what was committed
// after its cursor (eventsAfter: commit order, on every backend, whichever collector stored the
// event) and hands each new event to every subscriber. It starts from where the analytics cache
// stands, so a watcher sees what arrives from then on, not the shop's history.
import type { StoredEvent } from '@spur/sdk';
import type { AnalyticsService } from './catch-up';
import type { Storage } from '../storage/types';

/** What the Live view shows of an event: its kind, name, page, device and whose it is. */
export interface LiveEvent {
  messageId: string;
  timestamp: string;
  receivedAt: string;
  type: string;
  /** The track event's name, or the page's (or screen's) name. */
  name: string | null;
  path: string | null;
  device: string | null;
  anonymousId: string | null;
  userId: string | null;
}

export interface LiveFeed {
  /**
   * Calls `listener` with each batch of new events until the returned function is called, or
   * `end` when the feed stops (the collector closes).
   */
  subscribe(listener: (events: LiveEvent[]) => void, end?: () => void): () => void;
  readonly subscribers: number;
  /** Stops reading, ends every subscriber. */
  stop(): Promise<void>;
}

/** Events read per poll at most; more wait for the next poll. */
const PAGE = 500;

export function toLiveEvent(e: StoredEvent): LiveEvent {
  const context = (e.context ?? {}) as { page?: { path?: unknown }; device?: { type?: unknown } };
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    messageId: e.messageId,
    timestamp: e.timestamp,
    receivedAt: e.receivedAt,
    type: e.type,
    name: text(e.type === 'track' ? e.event : e.name),
    path: text(context.page?.path),
    device: text(context.device?.type),
    anonymousId: text(e.anonymousId),
    userId: text(e.userId),
  };
}

export function createLiveFeed(deps: { storage: Storage; analytics: AnalyticsService; intervalMs?: number }): LiveFeed {
  const listeners = new Map<(events: LiveEvent[]) => void, (() => void) | undefined>();
  let cursor: string | null | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function poll(): Promise<void> {
    // First: where the shop's events stand now (the analytics cache's cursor after a refresh).
    if (cursor === undefined) cursor = (await deps.analytics.refresh(), deps.analytics.cursor());
    const page = await deps.storage.eventsAfter(cursor, PAGE);
    cursor = page.cursor;
    if (page.rows.length === 0) return;
    const events = page.rows.map(toLiveEvent);
    for (const listener of listeners.keys()) listener(events);
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = poll()
        .catch(() => undefined) // storage down: try again at the next tick
        .finally(() => {
          running = undefined;
          if (listeners.size > 0) schedule();
          else timer = undefined;
        });
    }, deps.intervalMs ?? 1000);
    timer.unref();
  }

  return {
    subscribe(listener, end) {
      listeners.set(listener, end);
      // Nobody watched: start from now, not from where the last watcher left.
      if (listeners.size === 1 && !timer && !running) {
        cursor = undefined;
        running = poll()
          .catch(() => undefined)
          .finally(() => {
            running = undefined;
            if (listeners.size > 0 && !timer) schedule();
          });
      }
      return () => void listeners.delete(listener);
    },
    get subscribers() {
      return listeners.size;
    },
    async stop() {
      const ends = [...listeners.values()];
      listeners.clear();
      for (const end of ends) end?.();
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
