// One spur instance: the public API as closures over identity, queue and config. index.ts and
// browser.ts each make one; tests make fresh ones to simulate page loads. Making one touches
// neither the DOM nor storage, so importing the ESM build during server rendering is harmless.
import { CART, commerce, type Properties } from './cart';
import { misuse, setDebug, warn, type Config } from './config';
import { watchHistory } from './history';
import { createIdentity, type Identity, type Ids } from './identity';
import { createOutbox } from './outbox';
import { createQueue, type Queue } from './queue';
import { buildEvent, campaign, fingerprint, pageProperties } from './track';
import { save } from './storage';
import { send } from './transport';
import type { EventType, JsonObject } from './types';
import { uuid } from './uuid';

const object = (value: unknown) => (value && typeof value === 'object' ? value : {}) as JsonObject;

// Past the argument checks nothing may throw into the host page: what fails is skipped, with a
// warning (properties JSON cannot carry, such as cycles or BigInt, skip their event).
const guard = (work: () => void) => {
  try {
    work();
  } catch (error) {
    warn(error);
  }
};

/**
 * With `defer` (the script tag), init() does at once only what must happen while the script runs
 * (config, listeners, and the facts of each call: its time, URL, title, properties) and the rest
 * in a task right after: cookies and session, the timezone, serialising, IndexedDB, Web Locks.
 * Calls made meanwhile wait in order; those that need that state (user(), flush(), leaving the
 * page) start it at once.
 */
export function createSpur(defer?: boolean) {
  let identity: Identity | undefined;
  let queue: Queue | undefined;
  // document.referrer, then the previous URL after each SPA navigation.
  let referrer = '';
  // Set by init(): runs what needs identity and queue, now or, until started, later in order.
  let run: ((work: () => void) => void) | undefined;
  // Runs the deferred part of init() if it has not run yet (nothing before init()).
  let start = () => {};

  // Before init() there is nowhere to send to. What the event says is taken now: its fields
  // (serialised: the caller may change its objects later), page and time; identify's traits are
  // merged with the stored ones in turn.
  function emit(
    type: EventType,
    fields: { event?: string; name?: string; properties?: JsonObject; traits?: JsonObject },
    userId?: string,
    page = pageProperties(referrer),
  ) {
    if (!run) return warn('call init() first');
    const time = Date.now();
    const body = () => JSON.stringify({ type, ...fields });
    guard(() => {
      const json = userId ? '' : body();
      run!(() => {
        if (userId) fields.traits = identity!.identify(userId, fields.traits!);
        const utm = campaign(page.search);
        queue!.enqueue(buildEvent(json || body(), uuid(), identity!.ids(fingerprint(utm)), page, time, utm));
      });
    });
  }

  const track = (event: string, properties?: Properties) => {
    if (typeof event !== 'string' || !event) throw misuse('track(event)', 'an event name');
    emit('track', { event, properties: object(properties) });
  };

  const api = {
    init(config: Config): void {
      if (run) return warn('init() again');
      const c = config || ({} as Config);
      if (typeof c.writeKey !== 'string' || !c.writeKey) throw misuse('init({ writeKey })', 'the write key');
      setDebug(c.debug);
      referrer = document.referrer;
      // Looked up at send time: a missing window.fetch is then a network error, not a crash.
      const fetchFn = c.fetch || ((url: RequestInfo | URL, init?: RequestInit) => fetch(url, init));
      // Trailing slashes off, /v1/batch on.
      const endpoint = (c.endpoint || '').replace(/\/*$/, '/v1/batch');
      const waiting: (() => void)[] = [];
      run = (work) => waiting.push(work);
      start = () => {
        if (queue) return;
        identity = createIdentity(c.cookieDomain);
        queue = createQueue(
          createOutbox(),
          (data, keepalive) => send(fetchFn, endpoint, data, keepalive),
          c.writeKey,
          c.flushAt || 20,
          c.flushInterval || 2000,
        );
        // From now on work runs at once; what waited runs first, in call order.
        waiting.forEach((run = guard));
      };
      // Leaving the page (or coming back) before the deferred start: it runs first.
      const q = () => (start(), queue!);
      // pagehide is the last event a page gets for sure on desktop; on mobile a hidden page may be
      // discarded without one, so hidden sends too. (Not unload: it keeps pages out of the
      // back/forward cache and is not fired on mobile.)
      addEventListener('pagehide', () => q().unload(true));
      document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && q().unload());
      // Back from the back/forward cache: the page gave its events up, and may adopt again.
      addEventListener('pageshow', (e) => e.persisted && q().online());
      addEventListener('online', () => q().online());
      if (c.autoPage !== false) {
        api.page();
        watchHistory((previous) => {
          referrer = previous;
          api.page();
        });
      }
      // A task, not a microtask: the page gets to render and handle input first.
      if (defer) setTimeout(start, 0);
      else start();
    },

    page(name?: string, properties?: Properties): void {
      const page = pageProperties(referrer);
      emit('page', { name, properties: { ...page, ...object(properties) } }, '', page);
    },

    track,

    identify(userId: string, traits?: Properties): void {
      if (typeof userId !== 'string' || !userId) throw misuse('identify(userId)', 'a userId string');
      emit('identify', { traits: object(traits) }, userId);
    },

    // The next person at this browser must not see the previous customer's cart either.
    reset(): void {
      save(CART, undefined);
      if (run) run(() => identity!.reset());
      else warn('call init() first');
    },

    async flush(timeout = 5000): Promise<void> {
      start();
      await queue?.flush(timeout);
    },

    user(): Partial<Ids> {
      start();
      return identity?.peek() || {};
    },

    ...commerce(track),
  };
  return api;
}

export type Spur = ReturnType<typeof createSpur>;
