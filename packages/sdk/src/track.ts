// Building events: the Segment shape with spur's context (page, device, campaign, session).
import { uuid } from './uuid';
import { pageUrl } from './history';
import type { Ids } from './identity';
import type { Campaign, EventContext, EventType, JsonObject, SpurEvent } from './types';

/** Kept equal to packages/sdk/package.json by a test. */
export const VERSION = '0.1.0';

/** The campaign in a query string (utm_campaign is its `name`), or undefined when there is none. */
export function campaign(search: string): Campaign | undefined {
  const params = new URLSearchParams(search);
  let found: Campaign | undefined;
  for (const key of ['source', 'medium', 'name', 'term', 'content'] as const) {
    const value = params.get('utm_' + (key === 'name' ? 'campaign' : key));
    if (value) (found = found || {})[key] = value;
  }
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

/**
 * One event, ready for the outbox. A JSON round trip makes it plain data: it drops undefined
 * fields and functions (which IndexedDB could not store) and turns Dates into strings. Returns
 * undefined when the properties cannot be serialised (cycles, BigInt), so the event is skipped
 * instead of failing every batch it would travel in.
 */
export function buildEvent(
  type: EventType,
  fields: { event?: string; name?: string; properties?: JsonObject; traits?: JsonObject },
  ids: Ids,
  utm: Campaign | undefined,
  referrer: string,
): SpurEvent | undefined {
  const context: EventContext = {
    page: pageProperties(referrer),
    userAgent: navigator.userAgent,
    locale: navigator.language,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    campaign: utm,
    sessionId: ids.sessionId,
    channel: 'web',
    library: { name: 'spur', version: VERSION },
  };
  try {
    return JSON.parse(
      JSON.stringify({
        type,
        messageId: uuid(),
        anonymousId: ids.anonymousId,
        userId: ids.userId,
        timestamp: new Date().toISOString(),
        ...fields,
        context,
      }),
    );
  } catch {
    return undefined;
  }
}
