// One spur instance: the public API as closures over identity, queue and config. index.ts and
// browser.ts each make one; tests make fresh ones to simulate page loads. Making one touches
// neither the DOM nor storage, so importing the ESM build during server rendering is harmless.
import { CART, commerce, type Properties } from './cart';
import { check, setDebug, warn, type Config } from './config';
import { CONSENT, CONSENT_MAX_AGE, type Choice } from './consent';
import { getCookie, setCookie } from './cookies';
import { watchHistory } from './history';
import { AID, createIdentity, SID, type Identity, type Ids } from './identity';
import { createOutbox, type Outbox } from './outbox';
import { addDropped, createQueue, MAX_EVENTS, type Queue } from './queue';
import { buildEvent, pageProperties } from './track';
import { keep, save } from './storage';
import { send } from './transport';
import type { EventType, JsonObject } from './types';

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
 * dropped. `after` runs after each event is stored, and after `survey()` once spur may store
 * (spur.js: whether to load the exit survey's chunk now).
 */
export function createSpur(defer?: boolean, after: () => unknown = () => {}) {
  let identity: Identity | undefined;
  let queue: Queue | undefined;
  let outbox: Outbox | undefined;
  // document.referrer, then the previous URL after each SPA navigation.
  let referrer = '';
  // Set by init() (and so, whether it ran): where batches go.
  let endpoint = '';
  // Runs what needs identity and queue: once init() ran, now or, until started, later in order.
  let run = (_work: () => void) => warn('call init() first');
  // Runs the deferred part of init() if it has not run yet and consent is granted; drops what
  // waits once consent is denied.
  let start = () => {};
  // The visitor's choice: 'granted' (an explicit grant: this page's or the spur_consent cookie's),
  // 'denied', 'implied' (consent is not needed, and was not asked), '' while not asked (and until
  // the start reads it); and a choice made before init().
  let consented = '';
  let chosen: Choice | undefined;
  let domain: string | undefined;
  // Calls waiting for the start, and how many of them were dropped (beyond 1,000).
  let waiting: (() => void)[] = [];
  let dropped = 0;

  // Consent denied: what waits goes, and what this page stores (`wipe`: spur's localStorage keys too).
  const drop = (wipe: boolean) => {
    waiting = [];
    dropped = 0;
    keep(false, wipe);
  };

  // What the event says is taken now: its fields (serialised: the caller may change its objects
  // later), page and time; identify's traits are merged with the stored ones in turn.
  function emit(
    type: EventType,
    fields: { event?: string; name?: string; properties?: JsonObject; traits?: JsonObject },
    userId?: string,
    page = pageProperties(referrer),
  ) {
    const time = Date.now();
    const body = () => JSON.stringify({ type, ...fields });
    guard(() => {
      const json = userId ? '' : body();
      run(() => {
        // First: it throws once consent was withdrawn in another tab (identity.ts).
        const ids = identity!.ids(page.search);
        if (userId) (fields.traits = identity!.remember(userId, fields.traits!)), (ids.userId = userId);
        // An explicit grant travels with every event: the collector takes a request with
        // `Sec-GPC: 1` as denied unless its events show one.
        queue!.enqueue(buildEvent(json || body(), ids, page, time, consented == 'granted'));
        after();
      });
    });
  }

  const track = (event: string, properties?: Properties) => {
    check(typeof event == 'string' && event, 'track', 'an event name');
    emit('track', { event, properties: object(properties) });
  };

  const api = {
    init(config: Config): void {
      // A second init() is ignored, silently (its debug warning's 7 B gzip went to the 401/403 hints).
      if (endpoint) return;
      check(typeof config?.writeKey == 'string' && config.writeKey, 'init', 'a writeKey');
      setDebug(config.debug);
      referrer = document.referrer;
      domain = config.cookieDomain;
      // spur.js: data-survey (the exit survey, spur.V[1]; survey() sets it too).
      api.V[1] = config.survey;
      // Trailing slashes off, /v1/batch on.
      endpoint = (config.endpoint || '').replace(/\/*$/, '/v1/batch');
      run = (work) => {
        if (queue) guard(work);
        else if (consented != 'denied' && waiting.push(work) > MAX_EVENTS) waiting.shift(), dropped++;
      };
      const gpc = (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl && config.gpc != 'ignore';
      // Whether consent may be missing: then nothing goes to localStorage until it is granted.
      const ask = gpc || config.consent == 'required';
      keep(!ask);
      start = () => {
        // The visitor's choice from an earlier page (another value counts as not asked yet), else
        // GPC's, else none yet or, if consent is not required, 'implied'. Read here, not while the
        // script runs: a page's first cookie read costs Chrome ~1 ms. (While not asked, again on
        // each start: a choice made meanwhile on another page counts.)
        consented ||= (/^(granted|denied)$/.exec(getCookie(CONSENT)!) || [gpc ? 'denied' : ask ? '' : 'implied'])[0];
        // Without `ask`, cart calls before this could have written to localStorage.
        if (consented == 'denied') drop(!ask);
        else if (consented && !queue) {
          keep(true);
          identity = createIdentity(domain);
          const q: Queue = (queue = createQueue(
            (outbox = createOutbox()),
            // A queue from before a withdrawal sends nothing any more: its events are done with.
            async (data, keepalive) => (q == queue ? send(config.fetch, endpoint, data, keepalive) : undefined),
            config.writeKey,
            config.flushAt || 20,
            config.flushInterval || 2000,
          ));
          addDropped(dropped);
          // From now on work runs at once; what waited runs first, in call order.
          waiting.splice(0).forEach(guard);
        }
      };
      // Leaving the page (or coming back) before the deferred start: it runs first.
      const q = () => (start(), queue);
      // pagehide is the last event a page gets for sure on desktop; on mobile a hidden page may be
      // discarded without one, so hidden sends too. (Not unload: it keeps pages out of the
      // back/forward cache and is not fired on mobile.)
      addEventListener('pagehide', () => q()?.unload(true));
      document.addEventListener('visibilitychange', () => document.hidden && q()?.unload());
      // Back from the back/forward cache: the page gave its events up, and may adopt again.
      addEventListener('pageshow', (e) => e.persisted && q()?.online());
      addEventListener('online', () => q()?.online());
      if (chosen) api.consent(chosen);
      if (config.autoPage !== false) {
        api.page();
        watchHistory((previous) => {
          referrer = previous;
          api.page();
        });
      }
      // A task, not a microtask: the page gets to render and handle input first.
      if (defer) setTimeout(start);
      else start();
    },

    page(name?: string, properties?: Properties): void {
      const page = pageProperties(referrer);
      emit('page', { name, properties: { ...page, ...object(properties) } }, '', page);
    },

    track,

    identify(userId: string, traits?: Properties): void {
      check(typeof userId == 'string' && userId, 'identify', 'a userId');
      emit('identify', { traits: object(traits) }, userId);
    },

    // The next person at this browser must not see the previous customer's cart either.
    reset(): void {
      save(CART, undefined);
      run(() => identity!.renew());
    },

    /**
     * The visitor's choice. 'granted' starts spur with what waited, in order; 'denied' drops it,
     * and withdraws an earlier grant: nothing is sent any more, the outbox is emptied, spur's
     * cookies (but this choice), localStorage keys and IndexedDB database are deleted.
     */
    consent(choice: Choice): void {
      check(choice == 'granted' || choice == 'denied', 'consent', "'granted' or 'denied'");
      if (!endpoint) return void (chosen = choice);
      setCookie(CONSENT, (consented = choice), CONSENT_MAX_AGE, domain);
      if (choice == 'granted') {
        // In a task, as after init(): not in the script that granted it.
        setTimeout(start);
      } else {
        queue = identity = undefined;
        for (const name of [AID, SID]) setCookie(name, '', 0, domain);
        outbox?.shut();
        // Waits for the connections of other tabs to close. (Throws in sandboxed frames.)
        guard(() => indexedDB.deleteDatabase('spur'));
        drop(true);
      }
    },

    async flush(timeout = 5000): Promise<void> {
      start();
      await queue?.drain(timeout);
    },

    user(): Partial<Ids> {
      start();
      return identity?.peek() || {};
    },

    /** The exit survey: its chunk loads once the visitor could be asked (spur.js). */
    survey(config: unknown): void {
      api.V[1] = config;
      run(after);
    },

    ...commerce(track),
  };
  return api;
}

export type Spur = ReturnType<typeof createSpur>;
