// Building events: the Segment shape with spur's context (page, device, campaign, session).
import { pageUrl } from './history';
import type { Ids } from './identity';
import type { Campaign, EventContext, EventType, JsonObject } from './types';

/** Kept equal to packages/sdk/package.json by a test. */
export const VERSION = '0.1.0';

/** The campaign in a query string (utm_campaign is its `name`), or undefined when there is none. */
// The query string changes only on navigation; parsing it per event cost ~14 µs in Chrome.
let parsed: [string, Campaign | undefined] | undefined;

export function campaign(search: string): Campaign | undefined {
  if (parsed && parsed[0] === search) return parsed[1];
  const params = new URLSearchParams(search);
  let found: Campaign | undefined;
  for (const key of ['source', 'medium', 'name', 'term', 'content'] as const) {
    const value = params.get('utm_' + (key === 'name' ? 'campaign' : key));
    if (value) (found = found || {})[key] = value;
  }
  parsed = [search, found];
  return found;
}

/** A short hash of a campaign, kept in the session cookie to notice when a new one arrives. */
export function fingerprint(c: Campaign | undefined): string {
  if (!c) return '';
  let h = 0;
  for (const ch of JSON.stringify(c)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return (h >>> 0).toString(36);
}

/** page properties and context.page. The fragment is left out, as Segment does. */
export function pageProperties(referrer: string) {
  return {
    url: pageUrl(),
    path: location.pathname,
    referrer,
    title: document.title,
    search: location.search,
  };
}

// Intl.DateTimeFormat() costs more than the rest of an event together (tens of µs in V8), and
// neither it nor the user agent changes while the page lives. (The screen does: it rotates.)
let device: EventContext | undefined;

/**
 * One event, ready for the outbox, as the JSON it is stored and sent as: serialising once here
 * drops undefined fields and functions, turns Dates into strings, and spares IndexedDB and the
 * batch a copy of a nested object. Throws when the properties cannot be serialised (cycles,
 * BigInt): the caller skips that event instead of failing every batch it would travel in.
 */
export function buildEvent(
  type: EventType,
  messageId: string,
  fields: { event?: string; name?: string; properties?: JsonObject; traits?: JsonObject },
  ids: Ids,
  utm: Campaign | undefined,
  referrer: string,
): string {
  device = device || {
    userAgent: navigator.userAgent,
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  const context: EventContext = {
    page: pageProperties(referrer),
    ...device,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    campaign: utm,
    sessionId: ids.sessionId,
    channel: 'web',
    library: { name: 'spur', version: VERSION },
  };
  // \u-escaped beyond ASCII, so that its length is its size in bytes: batches are cut by
  // length, without encoding anything (TextEncoder) or making Blobs, which cost Chrome ~200 µs.
  return JSON.stringify({
    type,
    messageId,
    anonymousId: ids.anonymousId,
    userId: ids.userId,
    timestamp: new Date().toISOString(),
    ...fields,
    context,
  }).replace(/[^\0-~]/g, (c) => '\\u' + ('000' + c.charCodeAt(0).toString(16)).slice(-4));
}
