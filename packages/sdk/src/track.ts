// Building events: the Segment shape with spur's context (page, device, campaign, session).
import { pageUrl } from './history';
import type { Ids } from './identity';
import type { Campaign } from './types';

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

// What the context was last made for (the page, the session, the screen) and its JSON, escaped:
// serialising and escaping it was a third of an event's cost, and it changes with a navigation, a
// new title, a new session or a rotated screen, not between the events of a burst. (So does the
// campaign: it is in the URL.) Intl.DateTimeFormat() costs more than the rest of an event together
// (tens of µs in V8, ~10 ms as a page's first use of Intl): it runs only when the context changes.
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
export function buildEvent(body: string, messageId: string, ids: Ids, page: Page, time: number, utm?: Campaign): string {
  // The screen is read for every event: it rotates, or the window moves to another display.
  const key = [...Object.values(page), ids.sessionId, screen.width, screen.height, devicePixelRatio];
  if (key.some((v, i) => v !== context[i]))
    (context = key)[9] = `${ascii(
      JSON.stringify({
        page,
        userAgent: navigator.userAgent,
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: { width: key[6], height: key[7], density: key[8] },
        campaign: utm,
        sessionId: key[5],
        channel: 'web',
        library: { name: 'spur', version: VERSION },
      }),
    )}}`;
  return (
    ascii(
      `${body.slice(0, -1)},${JSON.stringify({
        messageId,
        anonymousId: ids.anonymousId,
        userId: ids.userId,
        timestamp: new Date(time).toISOString(),
        context: 0,
      }).slice(1, -2)}`,
    ) + context[9]
  );
}
