// Matching events (as the browser sent them, or as the collector stored them) against the event
// matchers of a spec, and funnel steps in order.

/** The fields of a Segment event that matchers read. */
export interface EventLike {
  type?: string;
  event?: string;
  name?: string;
  timestamp?: string;
  properties?: Record<string, unknown>;
  context?: { page?: { path?: string } };
  [key: string]: unknown;
}

/** `value` contains `part`: objects key by key, arrays when each element of `part` is in `value`. */
export function contains(value: unknown, part: unknown): boolean {
  if (Array.isArray(part)) return Array.isArray(value) && part.every((p) => value.some((v) => contains(v, p)));
  if (part && typeof part === 'object') {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    return Object.entries(part).every(([key, p]) => contains((value as Record<string, unknown>)[key], p));
  }
  return value === part;
}

const pathOf = (event: EventLike): string | undefined =>
  (typeof event.properties?.path === 'string' ? event.properties.path : undefined) ?? event.context?.page?.path;

/**
 * Whether the event is the one a matcher (already resolved) names: `page`, `page:/path` (a page
 * view whose path starts with /path), `identify`, `alias`, an event name, or an object the event
 * must contain.
 */
export function matchesEvent(matcher: unknown, event: EventLike): boolean {
  if (typeof matcher !== 'string') return contains(event, matcher);
  if (matcher === 'page') return event.type === 'page';
  if (matcher.startsWith('page:')) return event.type === 'page' && (pathOf(event) ?? '').startsWith(matcher.slice(5));
  if (matcher === 'identify' || matcher === 'alias') return event.type === matcher;
  return event.type === 'track' && event.event === matcher;
}

/** A matcher for messages: `"Product Added"`, `{"event":"Product Added","properties":{...}}`. */
export function describeMatcher(matcher: unknown): string {
  return typeof matcher === 'string' ? `"${matcher}"` : JSON.stringify(matcher);
}

/** How an event reads in a list: `Product Added`, `page /cart.html`, `identify cus_1`. */
export function eventLabel(event: EventLike): string {
  if (event.type === 'track') return String(event.event);
  if (event.type === 'page') return `page ${pathOf(event) ?? event.name ?? ''}`.trim();
  if (event.type === 'identify') return `identify ${String(event.userId ?? '')}`.trim();
  return String(event.type);
}

/**
 * Walks the events in order and matches the matchers as a subsequence. Returns the index of the
 * first matcher that was not found after the previous one (-1 when all were), and where in the
 * events the search for it began (just after the previous matcher's event).
 */
export function walkMatchers(matchers: readonly unknown[], events: readonly EventLike[]): { missing: number; from: number } {
  let at = 0;
  for (let m = 0; m < matchers.length; m++) {
    const from = at;
    while (at < events.length && !matchesEvent(matchers[m], events[at])) at++;
    if (at === events.length) return { missing: m, from };
    at++;
  }
  return { missing: -1, from: at };
}

/** The index of the first matcher not found in order (see walkMatchers), or -1 when all were. */
export function firstMissing(matchers: readonly unknown[], events: readonly EventLike[]): number {
  return walkMatchers(matchers, events).missing;
}

/**
 * How many funnel steps the events reach: step k at or after step k-1, within `windowMs` after
 * step 1 (issue 5's rule for one unit). The start that gets furthest counts.
 */
export function funnelReached(steps: readonly string[], events: readonly EventLike[], windowMs: number): number {
  const times = events.map((e) => Date.parse(e.timestamp ?? ''));
  let best = 0;
  for (let start = 0; start < events.length && best < steps.length; start++) {
    if (!matchesEvent(steps[0], events[start])) continue;
    let reached = 1;
    for (let i = start + 1; i < events.length && reached < steps.length; i++) {
      if (times[i] - times[start] >= windowMs) break;
      if (matchesEvent(steps[reached], events[i])) reached++;
    }
    best = Math.max(best, reached);
  }
  return best;
}
