// Events as they are committed, for GET /v1/live and the dashboard's Live view. One reader per
// collector, running only while someone watches: it asks storage for what was committed after
// each watcher's cursor (eventsAfter: commit order, on every backend, whichever collector stored
// the event), at once when this process commits an event (notify) and every half second for
// what other collectors commit. Watchers at the same cursor (all of them, once caught up) share
// one read. Each batch carries an id, `<generation>:<cursor>`, from which a watcher resumes
// exactly after it (Last-Event-ID). A new watcher starts from where the analytics cache stands:
// it sees what arrives from then on, not the shop's history.
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

/** One watcher: where it stands, what it wants, where its batches go. */
export interface LiveWatcher {
  /** Track event names or event types (page, identify, ...) it wants; empty: everything. */
  filter: ReadonlySet<string>;
  /** Each batch of new events it wants, with the id that resumes after it. */
  send(events: LiveEvent[], id: string): void;
  /** The feed stopped (the collector closes). */
  end?(): void;
}

/** Where a watcher starts, and, when it asked to resume and cannot, why. */
export interface LiveStart {
  cursor: string | null;
  /** The id of the start (sent first, so that a reconnect before any event resumes here). */
  id: string;
  note?: string;
}

export interface LiveFeed {
  /** Where a watcher starts: after `lastEventId` when it is valid and nothing was purged or erased since, else now. */
  start(lastEventId?: string): Promise<LiveStart>;
  /** Adds a watcher at `cursor` until the returned function is called. */
  subscribe(cursor: string | null, watcher: LiveWatcher): () => void;
  /** Something was committed by this process: read now. */
  notify(): void;
  readonly subscribers: number;
  /** Stops reading, ends every watcher. */
  stop(): Promise<void>;
}

/** Events read per watcher and poll at most; more follow at once. */
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

const idOf = (generation: number, cursor: string | null) => `${generation}:${cursor ?? ''}`;

export function createLiveFeed(deps: { storage: Storage; analytics: AnalyticsService; intervalMs?: number }): LiveFeed {
  const watchers = new Map<LiveWatcher, { cursor: string | null }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function poll(): Promise<boolean> {
    // Watchers at one cursor share a read.
    const byCursor = new Map<string | null, LiveWatcher[]>();
    for (const [w, at] of watchers) (byCursor.get(at.cursor) ?? byCursor.set(at.cursor, []).get(at.cursor)!).push(w);
    let full = false;
    let generation: number | undefined;
    for (const [cursor, group] of byCursor) {
      const page = await deps.storage.eventsAfter(cursor, PAGE);
      if (page.rows.length === 0) continue;
      full ||= page.rows.length === PAGE;
      generation ??= await deps.storage.generation();
      const events = page.rows.map(toLiveEvent);
      const id = idOf(generation, page.cursor);
      for (const w of group) {
        const at = watchers.get(w);
        if (!at) continue; // gone meanwhile
        at.cursor = page.cursor;
        const wanted = w.filter.size === 0 ? events : events.filter((e) => w.filter.has(e.type) || (e.name !== null && e.type === 'track' && w.filter.has(e.name)));
        if (wanted.length) w.send(wanted, id);
      }
    }
    return full;
  }

  function run(): void {
    if (stopped || watchers.size === 0) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = poll()
      .catch(() => false) // storage down: try again at the next tick
      .then((full) => {
        running = undefined;
        if (watchers.size === 0 || stopped) return;
        if (full || again) {
          again = false;
          setImmediate(run);
          return;
        }
        timer = setTimeout(run, deps.intervalMs ?? 500);
        timer.unref();
      });
  }

  return {
    async start(lastEventId) {
      const generation = await deps.storage.generation();
      let note: string | undefined;
      if (lastEventId !== undefined && lastEventId !== '') {
        const m = /^(\d{1,16}):(.{0,100})$/.exec(lastEventId);
        if (!m) note = 'Last-Event-ID is not an id of this stream: starting from now';
        else if (Number(m[1]) !== generation) note = 'events were purged or erased since Last-Event-ID: starting from now';
        else {
          const cursor = m[2] === '' ? null : m[2];
          try {
            await deps.storage.eventsAfter(cursor, 1);
            return { cursor, id: lastEventId };
          } catch {
            note = 'Last-Event-ID is not a position in this database: starting from now';
          }
        }
      }
      // Now: where the shop's events stand (the analytics cache's cursor after a refresh).
      await deps.analytics.refresh();
      const cursor = deps.analytics.cursor();
      return { cursor, id: idOf(generation, cursor), ...(note !== undefined && { note }) };
    },
    subscribe(cursor, watcher) {
      watchers.set(watcher, { cursor });
      run();
      return () => void watchers.delete(watcher);
    },
    notify: run,
    get subscribers() {
      return watchers.size;
    },
    async stop() {
      stopped = true;
      const ends = [...watchers.keys()];
      watchers.clear();
      for (const w of ends) w.end?.();
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
