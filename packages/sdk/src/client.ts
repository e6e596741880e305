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

export function createSpur() {
  let identity: Identity | undefined;
  let queue: Queue | undefined;
  // document.referrer, then the previous URL after each SPA navigation.
  let referrer = '';

  // Before init() there is nowhere to send to; past the argument checks, nothing may throw into
  // the host page. Properties JSON cannot carry (cycles, BigInt) skip the event, with a warning.
  function emit(type: EventType, fields: { event?: string; name?: string; properties?: JsonObject; traits?: JsonObject }) {
    if (!queue) return warn('call init() first');
    try {
      const utm = campaign(location.search);
      queue.enqueue(buildEvent(type, uuid(), fields, identity!.ids(fingerprint(utm)), utm, referrer));
    } catch (error) {
      warn(error);
    }
  }

  const track = (event: string, properties?: Properties) => {
    if (typeof event !== 'string' || !event) throw misuse('track(event)', 'an event name');
    emit('track', { event, properties: object(properties) });
  };

  const api = {
    init(config: Config): void {
      if (queue) return warn('init() again');
      const c = config || ({} as Config);
      if (typeof c.writeKey !== 'string' || !c.writeKey) throw misuse('init({ writeKey })', 'the write key');
      setDebug(c.debug);
      referrer = document.referrer;
      // Looked up at send time: a missing window.fetch is then a network error, not a crash.
      const fetchFn = c.fetch || ((url: RequestInfo | URL, init?: RequestInit) => fetch(url, init));
      const endpoint = (c.endpoint || '').replace(/\/+$/, '');
      identity = createIdentity(c.cookieDomain);
      const q = (queue = createQueue(
        createOutbox(),
        (data, keepalive) => send(fetchFn, endpoint + '/v1/batch', data, keepalive),
        c.writeKey,
        c.flushAt || 20,
        c.flushInterval || 2000,
      ));
      // pagehide is the last event a page gets for sure on desktop; on mobile a hidden page may be
      // discarded without one, so hidden sends too. (Not unload: it keeps pages out of the
      // back/forward cache and is not fired on mobile.)
      addEventListener('pagehide', () => q.unload(true));
      document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && q.unload());
      // Back from the back/forward cache: the page gave its events up, and may adopt again.
      addEventListener('pageshow', (e) => e.persisted && q.online());
      addEventListener('online', q.online);
      if (c.autoPage !== false) {
        api.page();
        watchHistory((previous) => {
          referrer = previous;
          api.page();
        });
      }
    },

    page(name?: string, properties?: Properties): void {
      emit('page', { name, properties: { ...pageProperties(referrer), ...object(properties) } });
    },

    track,

    identify(userId: string, traits?: Properties): void {
      if (typeof userId !== 'string' || !userId) throw misuse('identify(userId)', 'a userId string');
      emit('identify', { traits: identity?.identify(userId, object(traits)) });
    },

    // The next person at this browser must not see the previous customer's cart either.
    reset(): void {
      save(CART, undefined);
      if (identity) identity.reset();
      else warn('call init() first');
    },

    async flush(timeout = 5000): Promise<void> {
      await queue?.flush(timeout);
    },

    user(): Partial<Ids> {
      return identity?.peek() || {};
    },

    ...commerce(track),
  };
  return api;
}

export type Spur = ReturnType<typeof createSpur>;
