// Building events: the Segment shape with spur's context (page, device, campaign, session).
import { pageUrl } from './history';
import type { Ids } from './identity';
import type { Campaign, EventContext } from './types';

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
  for (const ch of JSON.stringify(c)) h = (h * 31 + ch.charCodeAt(0)) | 0; // |h| < 2³¹: exact, as Math.imul
  return (h >>> 0).toString(36);
}

/** page properties and context.page, as they are now. The fragment is left out, as Segment does. */
export const pageProperties = (referrer: string) => ({
  url: pageUrl(),
  path: location.pathname,
  referrer,
  title: document.title,
  search: location.search,
});

export type Page = ReturnType<typeof pageProperties>;

// Intl.DateTimeFormat() costs more than the rest of an event together (tens of µs in V8, ~10 ms
// as a page's first use of Intl); neither it nor the user agent changes while the page lives.
// (The screen does: it rotates.)
let device: EventContext | undefined;

/**
 * One event, ready for the outbox, as the JSON it is stored and sent as. `body` is the JSON of its
 * type and fields, `page` and `time` say where and when: all three taken when the call was made,
 * which may be a task earlier (client.ts). Serialising once drops undefined fields and functions,
 * turns Dates into strings, and spares IndexedDB and the batch a copy of a nested object.
 * \u-escaped beyond ASCII, so that its length is its size in bytes: batches are cut by length,
 * without encoding anything (TextEncoder) or making Blobs, which cost Chrome ~200 µs.
 */
export function buildEvent(body: string, messageId: string, ids: Ids, page: Page, time: number, utm?: Campaign): string {
  device = device || {
    userAgent: navigator.userAgent,
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  return `${body.slice(0, -1)},${JSON.stringify({
    messageId,
    anonymousId: ids.anonymousId,
    userId: ids.userId,
    timestamp: new Date(time).toISOString(),
    context: {
      page,
      ...device,
      screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
      campaign: utm,
      sessionId: ids.sessionId,
      channel: 'web',
      library: { name: 'spur', version: VERSION },
    },
  }).slice(1)}`.replace(/[^\0-~]/g, (c) => '\\u' + (c.charCodeAt(0) + 65536).toString(16).slice(1));
}
