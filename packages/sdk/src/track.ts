// Building events: the Segment shape with spur's context (page, device, campaign, session).
import { pageUrl } from './history';
import type { Ids } from './identity';
import { uuid } from './uuid';
import type { Campaign } from './types';

/** Kept equal to packages/sdk/package.json by a test. */
export const VERSION = '0.1.0';

// The query string changes only on navigation; parsing it per event cost ~14 µs in Chrome.
let parsed: [search: string, utm: Campaign | undefined, fingerprint: string] | [] = [];

/**
 * `[search, utm, fingerprint]`: the campaign in the query string `search` (utm_campaign is its
 * `name`), or undefined when there is none, and its fingerprint: a short hash kept in the session
 * cookie to notice when a new one arrives ('' without one).
 */
export function campaign(search: string): [search: string, utm: Campaign | undefined, fingerprint: string] {
  if (parsed[0] !== search) {
    const params = new URLSearchParams(search);
    let found: Campaign | undefined;
    let h = 0;
    for (const key of ['source', 'medium', 'name', 'term', 'content'] as const) {
      const value = params.get('utm_' + (key == 'name' ? 'campaign' : key));
      if (value) (found ||= {})[key] = value;
    }
    // (The hash of the JSON, as spur_sid cookies already hold it: |h| < 2³¹, exact, as Math.imul.)
    for (const ch of found ? JSON.stringify(found) : '') h = (h * 31 + ch.charCodeAt(0)) | 0;
    parsed = [search, found, found ? (h >>> 0).toString(36) : ''];
  }
  return parsed as [string, Campaign | undefined, string];
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

// What the context was last made for (the page, the session, the screen, an explicit grant of
// consent) and its JSON, escaped: serialising and escaping it was a third of an event's cost, and
// it changes with a navigation, a new title, a new session or a rotated screen, not between the
// events of a burst. (So does the campaign: it is in the URL.)
//
// No time zone: the IANA name (Intl.DateTimeFormat().resolvedOptions().timeZone) costs a page's
// first use of Intl, which loads ICU data: most of what spur cost a page in a fresh browser
// profile (bench/first-page.js), and nothing in the collector read it. No user agent either: the
// collector takes the request's User-Agent header, the same string, when an event carries none.
let context: unknown[] = [];

/** \u-escapes everything beyond ASCII: then a JSON string's length is its size in bytes. */
const ascii = (json: string) => json.replace(/[^\0-~]/g, (c) => '\\u' + (c.charCodeAt(0) + 65536).toString(16).slice(1));

/**
 * One event, ready for the outbox, as the JSON it is stored and sent as. `body` is the JSON of its
 * type and fields, `page` and `time` say where and when: all three taken when the call was made,
 * which may be a task earlier (client.ts). Serialising once drops undefined fields and functions,
 * turns Dates into strings, and spares IndexedDB and the batch a copy of a nested object. ASCII
 * only, so that batches are cut by length, without encoding anything (TextEncoder) to measure them.
 */
export function buildEvent(body: string, ids: Ids, page: Page, time: number, granted?: boolean): string {
  // The screen is read for every event: it rotates, or the window moves to another display.
  const json = JSON.stringify({
    page,
    locale: navigator.language,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    campaign: campaign(page.search)[1],
    sessionId: ids.sessionId,
    channel: 'web',
    library: { name: 'spur', version: VERSION },
    consent: granted ? 'granted' : undefined,
  });
  if (json != context[0]) context = [json, ascii(json)];
  return (
    ascii(
      `${body.slice(0, -1)},${JSON.stringify({
        messageId: uuid(),
        anonymousId: ids.anonymousId,
        userId: ids.userId,
        timestamp: new Date(time).toISOString(),
        context: 0,
      }).slice(1, -2)}`,
    ) +
    context[1] +
    '}' // (closing the event)
  );
}
