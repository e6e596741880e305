// One spur instance: the public API as closures over identity, queue and config. index.ts and
// browser.ts each make one; tests make fresh ones to simulate page loads. Making one touches
// neither the DOM nor storage, so importing the ESM build during server rendering is harmless.
import { CART, commerce, type Properties } from './cart';
import { misuse, setDebug, warn, type Config } from './config';
import { CONSENT, CONSENT_MAX_AGE, type Choice } from './consent';
import { getCookie, setCookie } from './cookies';
import { watchHistory } from './history';
import { AID, createIdentity, SID, type Identity, type Ids } from './identity';
import { createOutbox, type Outbox } from './outbox';
import { addDropped, createQueue, MAX_EVENTS, type Queue } from './queue';
import { buildEvent, campaign, fingerprint, pageProperties } from './track';
import { keep, save } from './storage';
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
 * page) start it at once. Without consent (consent.ts) the rest waits for it, and so do the calls,
 * in memory, at most 1,000 (the oldest go first, counted as dropped); once it is denied, calls are
 * dropped.
 */
export function createSpur(defer?: boolean) {
  let identity: Identity | undefined;
  let queue: Queue | undefined;
  let outbox: Outbox | undefined;
  // document.referrer, then the previous URL after each SPA navigation.
  let referrer = '';
  // Set by init(): runs what needs identity and queue, now or, until started, later in order.
  let run: ((work: () => void) => void) | undefined;
  // Runs the deferred part of init() if it has not run yet and consent is granted; drops what
  // waits once consent is denied.
  let start = () => {};
  // The visitor's choice: 'granted', 'denied', '' while not asked (and until the start reads it);
  // and a choice made before init().
  let consented = '';
  let chosen: Choice | undefined;
  let domain: string | undefined;
  // Calls waiting for the start, and how many of them were dropped (beyond 1,000).
  let waiting: (() => void)[] = [];
  let dropped = 0;

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
        const utm = campaign(page.search);
        // First: it throws once consent was withdrawn in another tab (identity.ts).
        const ids = identity!.ids(fingerprint(utm));
        if (userId) (fields.traits = identity!.identify(userId, fields.traits!)), (ids.userId = userId);
        queue!.enqueue(buildEvent(json || body(), uuid(), ids, page, time, utm));
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
      domain = c.cookieDomain;
      // Looked up at send time: a missing window.fetch is then a network error, not a crash.
      const fetchFn = c.fetch || ((url: RequestInfo | URL, init?: RequestInit) => fetch(url, init));
      // Trailing slashes off, /v1/batch on.
      const endpoint = (c.endpoint || '').replace(/\/*$/, '/v1/batch');
      run = (work) => {
        if (queue) guard(work);
        else if (consented != 'denied' && waiting.push(work) > MAX_EVENTS) waiting.shift(), dropped++;
      };
      const gpc = (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl && c.gpc != 'ignore';
      // Whether consent may be missing: then nothing goes to localStorage until it is granted.
      const ask = gpc || c.consent == 'required';
      keep(!ask);
      start = () => {
        // The visitor's choice from an earlier page (another value counts as not asked yet), else
        // GPC's, else none yet or, if consent is not required, 'granted'. Read here, not while the
        // script runs: a page's first cookie read costs Chrome ~1 ms. (While not asked, again on
        // each start: a choice made meanwhile on another page counts.)
        consented ||= (/^(granted|denied)$/.exec(getCookie(CONSENT)!) || [gpc ? 'denied' : ask ? '' : 'granted'])[0];
        if (consented == 'denied') {
          waiting = [];
          dropped = 0;
          // Without `ask`, cart calls before this could have written to localStorage.
          keep(false, !ask);
        }
        if (queue || consented != 'granted') return;
        keep(true);
        identity = createIdentity(domain);
        const q: Queue = (queue = createQueue(
          (outbox = createOutbox()),
          // A queue from before a withdrawal sends nothing any more: its events are done with.
          async (data, keepalive) => (q == queue ? send(fetchFn, endpoint, data, keepalive) : undefined),
          c.writeKey,
          c.flushAt || 20,
          c.flushInterval || 2000,
        ));
        addDropped(dropped);
        // From now on work runs at once; what waited runs first, in call order.
        waiting.forEach(guard);
        waiting = [];
        dropped = 0;
      };
      // Leaving the page (or coming back) before the deferred start: it runs first.
      const q = () => (start(), queue);
      // pagehide is the last event a page gets for sure on desktop; on mobile a hidden page may be
      // discarded without one, so hidden sends too. (Not unload: it keeps pages out of the
      // back/forward cache and is not fired on mobile.)
      addEventListener('pagehide', () => q()?.unload(true));
      document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && q()?.unload());
      // Back from the back/forward cache: the page gave its events up, and may adopt again.
      addEventListener('pageshow', (e) => e.persisted && q()?.online());
      addEventListener('online', () => q()?.online());
      if (chosen) api.consent(chosen);
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

    /**
     * The visitor's choice. 'granted' starts spur with what waited, in order; 'denied' drops it,
     * and withdraws an earlier grant: nothing is sent any more, the outbox is emptied, spur's
     * cookies (but this choice), localStorage keys and IndexedDB database are deleted.
     */
    consent(choice: Choice): void {
      if (choice != 'granted' && choice != 'denied') throw misuse('consent(choice)', "'granted' or 'denied'");
      if (!run) return void (chosen = choice);
      setCookie(CONSENT, (consented = choice), CONSENT_MAX_AGE, domain);
      if (choice == 'granted') {
        // In a task, as after init(): not in the script that granted it.
        setTimeout(start);
      } else {
        queue = identity = undefined;
        for (const name of [AID, SID]) setCookie(name, '', 0, domain);
        outbox?.close();
        // Waits for the connections of other tabs to close. (Throws in sandboxed frames.)
        guard(() => indexedDB.deleteDatabase('spur'));
        waiting = [];
        dropped = 0;
        keep(false, true);
      }
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
