// The abandonment job: carts whose time has passed get their Cart Abandoned event recorded,
// exactly once, on a timer and right after each full catch-up of the analytics cache, never
// because someone reads an export. The timer ticks every 15 s, so that a cart's Cart Abandoned
// event (and its webhook) follows the moment it counts as abandoned within that. The first run on
// an engine (after a full catch-up: at the start, after an erasure) replays every cart; each later
// run replays only what can have changed since the previous successful one: the carts abandoned
// since shortly before it (time passed; the engine's range narrowing replays only the customers
// with cart activity near it), and every cart of the customers with events appended since (the
// rows after the ones it had read: a late event may complete an older cart, an identify may join
// a cart to a customer). A customer without a new event and without cart activity near the window
// has the carts it had at the previous run, which recorded them; so these runs record what a
// replay of every cart would, at a fraction of the cost (README of the collector, and the test
// comparing both). A failed run moves neither mark: the next one covers its ground too. Several collectors on one database may record the same cart:
// its messageId is derived from the cart (analytics/carts.ts), so the second append is a duplicate
// that storage drops. (Any gap a later event can show has passed by the collector's clock too, so
// the timer sees it within a tick; recording after every request instead would re-resolve all
// profiles every few seconds under load.)
import type { SpurEvent, StoredEvent } from '@spur/sdk';
import { cartAbandonedEvents, type AbandonedCart, type Analytics, type ReplayMark } from '../analytics';
import { StorageUnavailableError } from '../errors';
import { errorFields, silentLogger, type Logger } from '../log';
import type { Store } from '../rules/store';
import { DERIVED_WRITE_KEY } from '../storage/types';
import type { AnalyticsService, AnalyticsStatus } from './catch-up';

export interface AbandonmentOptions {
  store: Store;
  /** The cache the carts are read from (its engine is refreshed before each run). */
  analytics: AnalyticsService;
  /** @defaultValue Date.now */
  now?: () => number;
  /** How often the timer looks for carts abandoned since the previous run. @defaultValue 15000 */
  intervalMs?: number;
  /** A failed run at error level (the next run tries again). @defaultValue silentLogger */
  logger?: Logger;
}

export interface AbandonmentJob {
  /**
   * Records the Cart Abandoned events due now; resolves with how many were new to this job.
   * `recentOnly`: replay only what can have changed since the previous run (the timer's runs);
   * otherwise every cart.
   */
  run(recentOnly?: boolean): Promise<number>;
  /**
   * The cache's status, ready only once the carts due when it last became ready are recorded
   * too (or their recording failed: a full disk must not keep a complete cache unready), so that
   * an events export that follows holds them. What /readyz reports.
   */
  status(): AnalyticsStatus;
  /** Stops the timers, and resolves once a run under way is over. */
  stop(): Promise<void>;
}

// A narrowed run looks back this far before the previous run: a run takes well under this.
const RECENT_MARGIN_MS = 5 * 60_000;

// What a Cart Abandoned messageId is derived from (carts.ts): who had the cart, and when it was left.
const cartKey = (c: AbandonedCart) => `${c.anonymousId !== null ? 'a:' + c.anonymousId : 'u:' + (c.customerId ?? c.profileId)}|${c.abandonedAt}`;
const eventKey = (e: SpurEvent) => `${e.anonymousId !== undefined ? 'a:' + e.anonymousId : 'u:' + e.userId}|${e.timestamp}`;

/**
 * Starts the job: it runs after every full catch-up of `analytics` (at its start, after a reset)
 * and every intervalMs. Start the cache after the job, so that the first catch-up is heard.
 */
export function startAbandonment(options: AbandonmentOptions): AbandonmentJob {
  const { store, analytics: cache } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  // Cart Abandoned events known to be stored (cartKey) for the engine they were read from: each
  // is appended once per process; a new engine (the cache started over) forgets them.
  let recorded = new Set<string>();
  let engine: Analytics | undefined;
  // An engine that became ready and whose due carts are not recorded yet.
  let awaiting: Analytics | undefined;
  let running: Promise<number> | undefined;
  let again: Promise<number> | undefined;
  let stopped = false;
  // What the previous successful run on `engine` covered: its asOf, the rows it had read and
  // their profiles.
  let lastAsOf: number | undefined;
  let mark: ReplayMark | undefined;
  let againRecentOnly = true;

  async function record(recentOnly = false): Promise<number> {
    const analytics = await cache.refresh();
    // Exports that waited for the same catch-up answer first: finding and recording the carts
    // holds the thread for about a second per million events (carts, their messageIds, the rows),
    // which would otherwise come between an export's result and its bytes on the wire.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      if (analytics !== engine) {
        engine = analytics;
        recorded = new Set();
        lastAsOf = undefined;
        mark = undefined;
      }
      const at = now();
      // The carts replay the default scope (no bots), whose profiles these are.
      const here: ReplayMark = { rows: analytics.table.length, profiles: analytics.profiles() };
      // Every cart on a new engine or when asked; else what can have changed since the last run.
      const narrowed = recentOnly && lastAsOf !== undefined && mark ? { from: lastAsOf - RECENT_MARGIN_MS, since: mark } : {};
      // Keyed like the messageId (carts.ts) without hashing: thousands of carts per run.
      const due = cartAbandonedEvents(analytics.abandonedCarts({ asOf: at, ...narrowed }).filter((c) => !recorded.has(cartKey(c))));
      const covered = () => {
        lastAsOf = at;
        mark = here;
      };
      if (!due.length) {
        covered();
        return 0;
      }
      const receivedAt = new Date(at).toISOString();
      const events = due.map(
        (e): StoredEvent => ({
          ...e,
          originalTimestamp: e.timestamp!,
          timestamp: e.timestamp!,
          receivedAt,
          context: { library: { name: 'spur-collector', version: '0.1.0' } },
        }),
      );
      await store.append({ writeKey: DERIVED_WRITE_KEY, events, rejected: [] });
      for (const e of due) recorded.add(eventKey(e));
      covered();
      // The cache holds them before the job says it is done.
      await cache.refresh();
      return due.length;
    } finally {
      if (awaiting === analytics) awaiting = undefined;
    }
  }

  function run(recentOnly = false): Promise<number> {
    if (!running) {
      running = record(recentOnly).finally(() => (running = undefined));
      return running;
    }
    // A run under way may have read the cache before what asked for this one: one more after it,
    // a full one if any caller of the meantime asked for that.
    againRecentOnly &&= recentOnly;
    again ??= running
      .catch(() => 0)
      .then(() => {
        again = undefined;
        const recent = againRecentOnly;
        againRecentOnly = true;
        return run(recent);
      });
    return again;
  }

  function tick(recentOnly = false): void {
    if (stopped) return;
    run(recentOnly).catch((err: unknown) => {
      // Closed: the collector is stopping. Anything else is logged; the next run tries again.
      if (err instanceof StorageUnavailableError && err.reason === 'closed') return;
      const stack = !(err instanceof StorageUnavailableError) || logger.isLevelEnabled('debug');
      logger.error(errorFields(err, stack), 'recording abandoned carts failed');
    });
  }

  cache.onCaughtUp((analytics) => {
    if (stopped) return;
    awaiting = analytics;
    tick();
  });
  // The first run comes with the first catch-up (start the cache after the job).
  const timer = setInterval(() => tick(true), options.intervalMs ?? 15_000);
  timer.unref();

  return {
    run,
    status() {
      const status = cache.status();
      return status.ready && awaiting !== undefined ? { ready: false, progress: status.progress } : status;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([running, again]);
    },
  };
}
