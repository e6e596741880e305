// Who is browsing: the anonymous visitor id (cookie spur_aid), the session (cookie spur_sid) and
// the customer after identify() (localStorage spur_user). Cookies and storage are read again at
// most once a second, so that a reset or a new session in another tab is seen here within a
// second: reading document.cookie on every event costs Chrome ~15 µs, and ~100 µs right after a
// write (a round trip to its network service). When cookies are blocked, the last values in
// memory carry on for this page.
import { uuid } from './uuid';
import { CONSENT } from './consent';
import { AID_MAX_AGE, SID_MAX_AGE, getCookie, setCookie } from './cookies';
import { load, save } from './storage';
import { campaign } from './track';
import type { JsonObject } from './types';

export const AID = 'spur_aid';
export const SID = 'spur_sid';
export const USER = 'spur_user';

export interface Ids {
  anonymousId: string;
  userId?: string;
  sessionId?: string;
}

interface User {
  userId?: string;
  traits?: JsonObject;
}

export function createIdentity(domain?: string) {
  let aid = getCookie(AID) || uuid();
  // `<uuid>.<campaign fingerprint>`, as this page last wrote it; only the uuid is sent.
  let sid = '';
  // spur_sid as last read (or written) here.
  let cookie = getCookie(SID);
  let user: User = load<User>(USER) || {};
  let read = Date.now();
  let lastEvent = 0;
  let lastWrite = 0;

  const writeAid = () => setCookie(AID, aid, AID_MAX_AGE, domain);
  const writeSid = (value: string) => setCookie(SID, (cookie = sid = value), SID_MAX_AGE, domain);
  const newSid = (fingerprint: string) => `${uuid()}.${fingerprint}`;

  /** The ids as of the last event, without touching the session. */
  const peek = (): Ids => ({ anonymousId: aid, userId: user.userId, sessionId: sid.split('.')[0] || undefined });

  // Rewritten on each load to slide the 400-day expiry.
  writeAid();

  return {
    /**
     * Ids for an event now, which keeps the session alive; `search` is the page's query string, for
     * its campaign. Throws once consent was withdrawn in another tab: no event, no cookie from here.
     */
    ids(search: string): Ids {
      const now = Date.now();
      const fingerprint = campaign(search)[2];
      if (now - read > 1000) {
        if (getCookie(CONSENT) == 'denied') throw CONSENT;
        read = now;
        aid = getCookie(AID) || aid;
        cookie = getCookie(SID);
        user = load<User>(USER) || {};
      }
      // A missing cookie has lapsed after 30 idle minutes; so has the memory copy by then,
      // unless cookies are blocked and it is all there is.
      let value = cookie || (now - lastEvent < SID_MAX_AGE * 1000 ? sid : '');
      // A campaign that differs from the session's starts a new session; a page without utm_*
      // parameters (the next click inside the shop) continues the current one.
      if (!value || (fingerprint && value.split('.')[1] !== fingerprint)) value = newSid(fingerprint);
      // Written when it changes, else once a minute: the 30 idle minutes slide by the minute.
      if (value !== sid || now - lastWrite > 60000) {
        writeSid(value);
        lastWrite = now;
      }
      lastEvent = now;
      // (sid is `value` now.)
      return peek();
    },

    peek,

    /** Remembers the customer: traits of the same customer are merged, a new customer's start afresh. */
    remember(userId: string, traits: JsonObject): JsonObject {
      user = { userId, traits: { ...(user.userId === userId && user.traits), ...traits } };
      save(USER, user);
      return user.traits!;
    },

    /** Log out: forget the customer, start a new visitor and a new session. */
    renew(): void {
      user = {};
      save(USER);
      aid = uuid();
      writeAid();
      writeSid(newSid(sid.split('.')[1] || ''));
      lastEvent = Date.now();
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
