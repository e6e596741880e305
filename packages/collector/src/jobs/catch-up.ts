// The catch-up job: keeps the in-memory analytics engine in step with storage. Facts are read in
// commit order from where the last read ended (storage's opaque cursor: a catch-up costs only the
// new rows), and the identity graph is re-read each time. It only reads: recording Cart Abandoned
// events is the abandonment job's (abandonment.ts), which listens for onCaughtUp.
// Erasures and retention purges delete stored events: storage's generation counter says so, and
// the cache then starts over from the first row, whichever process deleted them.
// Rows are read as their facts (storage.factsAfter: the short text stored with each event at
// ingest, analytics/stored-facts.ts), not their bodies: a row costs a parse of ~225 characters
// instead of ~860; rows stored without facts come as bodies and are read as before.
// A catch-up reads a page ahead while it appends the page before (only after a full page: a
// short one is the last). Where storage reads on this thread (SQLite), reading, parsing and
// appending each take about a third of a row's time: there a large catch-up (a full first page)
// parses the pages after the first on a thread of its own (page-decoder.ts), into FactPages
// (analytics/fact-page.ts: typed arrays and each page's distinct strings) that the table appends
// whole, while this thread reads; the machine has a second core. Where a server reads
// (PostgreSQL), this thread parses and appends while the server reads the next page. Either way
// a page belongs to the run that read it: a reset happens only at a run's start, so no page read
// before it is appended after it. The decoder thread lives as long as the run.
// A full catch-up (at start, and after such a reset) takes seconds for millions of events; it runs
// in the background from start(), and status() says how far it is (/readyz reports it).
import { createAnalytics, releaseScratch, type Analytics, type AnalyticsOptions, type IdentityGraph } from '../analytics';
import type { FactPage } from '../analytics/fact-page';
import { readFactsPage } from '../analytics/fact-page-encoder';
import { FactRecord } from '../analytics/fact-record';
import { FACTS_PREFIX, readCatchUpValue } from '../analytics/stored-facts';
import { silentLogger, type Logger } from '../log';
import { DERIVED_WRITE_KEY, type Storage } from '../storage/types';
import { startPageDecoder, type PageDecoder } from './page-decoder';

export { DERIVED_WRITE_KEY };
/** Rows read per catch-up step: bounded memory, and the event loop breathes between steps. */
const PAGE = 5000;

export interface AnalyticsServiceOptions {
  /** SPUR_SESSION_MINUTES. @defaultValue 30 */
  sessionMinutes?: number;
  /** SPUR_ABANDON_MINUTES. @defaultValue 30 */
  abandonMinutes?: number;
  /** The purchase model's fit (AnalyticsOptions.predict). @defaultValue predictCustomers */
  predict?: AnalyticsOptions['predict'];
  /** How often the cache catches up without an export asking. @defaultValue 60000 */
  intervalMs?: number;
  /** Where a finished full catch-up is logged (`analytics ready`, with events and ms). @defaultValue silentLogger */
  logger?: Logger;
  /** Rows read per step; a catch-up whose first step reads this many parses on a thread of its own. @defaultValue 5000 */
  pageRows?: number;
}

/** How far the cache is: what /readyz reports. */
export interface AnalyticsStatus {
  /**
   * The cache holds every event stored before its latest full catch-up began (at start, or after
   * an erasure or purge made it start over), so an export reads only what is new.
   */
  ready: boolean;
  /** The share of the stored rows read so far, 0 to 1 (1 when ready). */
  progress: number;
}

/** How far the cache is behind storage (the metrics' `spur_analytics_lag_*`). */
export interface AnalyticsLag {
  /**
   * Stored events the cache has not read: 0 exactly when it has read them all, else about how
   * many (the growth of storage's eventCountEstimate since the cache last read everything; at
   * least 1).
   */
  events: number;
  /** Seconds since the cache last held every stored event (since it started over, before that); 0 when it does. */
  seconds: number;
}

export interface AnalyticsService {
  /**
   * Reads what storage gained since the last call and resolves with the engine; writes nothing.
   * Calls while one runs wait for a fresh run of their own, so a caller always sees every event
   * committed before it called. After a reset the engine is a new object.
   */
  refresh(): Promise<Analytics>;
  /**
   * Starts catching up at once (in the background: exports wait for it) and runs refresh() every
   * intervalMs. The timers do not keep the process alive.
   */
  start(): void;
  /** Stops the timers, and resolves once a run under way is over. */
  stop(): Promise<void>;
  status(): AnalyticsStatus;
  /** How far the cache is behind what is stored now: two cheap reads of storage. */
  lag(): Promise<AnalyticsLag>;
  /** Calls `listener` with the engine each time a full catch-up (at start, after a reset) is done. */
  onCaughtUp(listener: (analytics: Analytics) => void): void;
  /** Storage's cursor after the rows the cache holds (null before the first): where new events begin. */
  cursor(): string | null;
}

function sameGraph(a: IdentityGraph, b: IdentityGraph): boolean {
  if (a.links.length !== b.links.length || a.aliases.length !== b.aliases.length) return false;
  for (let i = 0; i < a.links.length; i++) {
    const x = a.links[i];
    const y = b.links[i];
    if (x.anonymousId !== y.anonymousId || x.userId !== y.userId || x.firstSeen !== y.firstSeen) return false;
  }
  for (let i = 0; i < a.aliases.length; i++) {
    if (a.aliases[i].previousId !== b.aliases[i].previousId || a.aliases[i].userId !== b.aliases[i].userId) return false;
  }
  return true;
}

export function createAnalyticsService(storage: Storage, options: AnalyticsServiceOptions = {}): AnalyticsService {
  const make = () => createAnalytics({ sessionMinutes: options.sessionMinutes, abandonMinutes: options.abandonMinutes, predict: options.predict });
  let analytics = make();
  // Where storage's catch-up stands (its own opaque cursor), the rows appended since the start, and
  // the rows read (one page more while the next is read ahead).
  let cursor: string | null = null;
  let seq = 0;
  let read = 0;
  const pageRows = options.pageRows ?? PAGE;
  // storage.generation() when the cache was started; undefined before the first run.
  let generation: number | undefined;
  let current: Promise<Analytics> | undefined;
  let queued: Promise<Analytics> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let graph: IdentityGraph | undefined;
  const listeners: ((analytics: Analytics) => void)[] = [];
  const logger = options.logger ?? silentLogger;
  // Whether the cache is caught up since it was (re)started, and the row a full catch-up reads to.
  let ready = false;
  let target = 0;
  // Wall-clock times for the lag: when the cache (re)started, and when the latest catch-up that
  // read to the end began (everything committed before then is in the cache), with storage's
  // estimate of its size once it was done.
  let startedAt = Date.now();
  let caughtUp: { asOf: number; estimate: number } | undefined;

  // A page's rows appended here, each read as readCatchUpRow reads it into one record, refilled
  // for every row: appending makes no object per event.
  const record = new FactRecord();
  const appendHere = (page: Uint8Array | string): void => {
    for (const row of readFactsPage(page)) {
      readCatchUpValue(row, seq + 1, record);
      analytics.table.appendRecord(record);
      seq++;
    }
  };
  const fetch = async (after: string | null) => {
    const page = await storage.factsAfter(after, pageRows, FACTS_PREFIX);
    read += page.rows;
    return page;
  };
  let threadFailed = false;
  // A page on its way that a failed run leaves behind must not be an unhandled rejection.
  const owned = <T>(p: Promise<T>) => (p.catch(() => undefined), p);

  async function catchUp(): Promise<void> {
    const began = Date.now();
    let decoder: PageDecoder | undefined;
    read = seq;
    try {
      let page = await fetch(cursor);
      // The FactPage of `page` on its way from the decoder thread; none: `page` is appended here.
      let decoded: Promise<FactPage> | undefined;
      while (page.rows > 0) {
        const full = page.rows === pageRows;
        // A large catch-up on a storage that reads on this thread: the pages after this one are
        // parsed on a thread of its own, which starts while this one is appended here.
        if (full && !decoder && !threadFailed && storage.readsOnCallingThread()) {
          try {
            decoder = startPageDecoder();
          } catch {
            threadFailed = true;
          }
        }
        // Read ahead only after a full page (a short one was the last), while this page is
        // appended: at once where storage reads on this thread, and the page goes to the decoder
        // thread; else the server reads it meanwhile.
        let following: Promise<FactPage> | undefined;
        const reading = full
          ? owned(
              fetch(page.cursor).then((next) => {
                if (decoder && next.rows > 0) following = owned(decoder.decode(next.page));
                return next;
              }),
            )
          : undefined;
        // Reads are synchronous underneath: let requests in between pages, or a first catch-up
        // of millions of events would hold up ingest for its whole length.
        await new Promise((resolve) => setImmediate(resolve));
        if (decoded) {
          // Numbered here, in the order storage commits them: the engine wants rising numbers.
          const fact = await decoded;
          analytics.table.appendPage(fact, seq + 1);
          seq += fact.count;
        } else appendHere(page.page);
        cursor = page.cursor;
        if (!reading) break;
        page = await reading;
        decoded = following;
      }
    } finally {
      // A thread that failed (it could not start, or ended): later runs parse here instead, so
      // that a machine that cannot run it still catches up. This run fails like a failed read.
      if (decoder?.broken) threadFailed = true;
      await decoder?.stop();
    }
    const next = await storage.identityGraph();
    // A new graph object makes the engine re-resolve every profile; most refreshes find the
    // graph as it was, so only a changed one is handed over.
    if (!graph || !sameGraph(graph, next)) analytics.setIdentity((graph = next));
    caughtUp = { asOf: began, estimate: await storage.eventCountEstimate() };
  }

  async function run(): Promise<Analytics> {
    // Read before the rows: an erasure committed after this read is caught by the next run.
    const latest = await storage.generation();
    if (generation !== undefined && latest !== generation) {
      analytics = make();
      cursor = null;
      seq = 0;
      read = 0;
      graph = undefined;
      ready = false;
      startedAt = Date.now();
      caughtUp = undefined;
    }
    generation = latest;
    const full = !ready;
    const started = Date.now();
    if (full) target = await storage.eventCountEstimate();
    await catchUp();
    if (full) {
      ready = true;
      logger.info({ events: analytics.table.length, ms: Date.now() - started }, 'analytics ready');
      for (const listener of listeners) listener(analytics);
    }
    return analytics;
  }

  function refresh(): Promise<Analytics> {
    if (!current) {
      current = run().finally(() => (current = undefined));
      return current;
    }
    // One run is under way and may have read storage before this call: queue one more, shared by
    // every caller that arrives meanwhile.
    queued ??= current
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return refresh();
      });
    return queued;
  }

  return {
    refresh,
    start() {
      if (timer) return;
      // Not in this turn of the loop: the caller (createCollector) goes on to listen first.
      first = setTimeout(() => refresh().catch(() => undefined), 0);
      first.unref();
      timer = setInterval(() => refresh().catch(() => undefined), options.intervalMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([current, queued]);
      // The queries' work buffers are one pool per process (analytics/scratch.ts), dropped by a
      // timer of their own; a collector that stops drops them now, so that no timer outlives it.
      // Another collector in the process just allocates again at its next query.
      releaseScratch();
    },
    async lag() {
      // The cache's own cursor: one row after it, or none, says whether anything is unread.
      const unread = await storage.eventsAfter(cursor, 1);
      if (unread.rows.length === 0) return { events: 0, seconds: 0 };
      const estimate = await storage.eventCountEstimate();
      const events = Math.max(1, caughtUp ? estimate - caughtUp.estimate : estimate - seq);
      return { events, seconds: Math.max(0, Date.now() - (caughtUp?.asOf ?? startedAt)) / 1000 };
    },
    status: () => ({ ready, progress: ready ? 1 : target > 0 ? Math.min(1, Math.floor((read / target) * 100) / 100) : 0 }),
    onCaughtUp: (listener) => void listeners.push(listener),
    cursor: () => cursor,
  };
}
