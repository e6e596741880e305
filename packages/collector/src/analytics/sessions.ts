// Sessions, server-side. A session is the client's context.sessionId when the fact has one (the
// SDK's spur_sid cookie already applies the 30-minute and new-campaign rules in the browser);
// otherwise the facts of a visitor are cut wherever 30 minutes (configurable) pass without one.
// A gap of exactly the timeout starts a new session: "30 minutes without events" have passed.
//
// The visitor is the anonymous id; a fact with only a userId (a server-side client) is its own
// visitor keyed by that userId. Derived `Cart Abandoned` facts belong to no session, so the
// collector's own bookkeeping never opens a session or makes a visitor "returning".
// Rows the view's mask leaves out (bots, filters: rows.ts) belong to no session and no visitor.
import { CART_ABANDONED, type FactView } from './facts';
import { groupRows } from './grouping';
import { scratch } from './scratch';
import type { Channel } from './channels';

/** @defaultValue 30 minutes */
export const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60 * 1000;

/** What a funnel can be broken down by: attributes of the session where step 1 happened. */
export type SessionAttribute = 'device' | 'browser' | 'channel' | 'utm_source' | 'returning';

/** Shown for a missing attribute (no user agent, no utm_source). */
export const NONE = '(none)';

/** One session, for exports and tests. Times are ISO strings. */
export interface Session {
  /** The client's sessionId, or `<visitor>@<start ISO>` for sessions cut by inactivity. */
  key: string;
  anonymousId: string | null;
  start: string;
  end: string;
  events: number;
  device: string;
  browser: string;
  os: string;
  channel: Channel;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  /** The visitor had an earlier session (at any time, not only in a queried range). */
  returning: boolean;
}

/** Sessions of a fact view, as columns indexed by session number. */
export interface SessionIndex {
  readonly count: number;
  /** Session number of each row; -1 for rows in no session. */
  readonly ofRow: Int32Array;
  /** The row mask of the view the sessions were built from. */
  readonly keep: Uint8Array | null;
  readonly start: Float64Array;
  readonly end: Float64Array;
  /** The session's first row (event order): its visitor and anonymous id. */
  readonly landing: Int32Array;
  /** The first row that carries a page, referrer or campaign: channel and utm. -1 if none. */
  readonly originRow: Int32Array;
  /** The first row with known user agent families. -1 if none. */
  readonly agentRow: Int32Array;
  readonly returning: Uint8Array;
  /** A session attribute as a breakdown value. */
  attribute(session: number, by: SessionAttribute): string;
  session(session: number): Session;
}

/**
 * The channel of row `i`: the sales channel the event named (a phone order is in `phone`), else
 * its session's channel (the marketing channel of its landing), `direct` for a row in no session.
 */
export function channelOfRow(view: FactView, sessions: SessionIndex, i: number): string {
  const o = view.origin[i];
  const named = o >= 0 ? view.origins[o].salesChannel : null;
  if (named) return named;
  const s = sessions.ofRow[i];
  return s >= 0 ? sessions.attribute(s, 'channel') : 'direct';
}

/**
 * Visitor of each row (anonymous id, else userId), and how many visitors there are. With
 * `scratchKey`, the array is a reused work buffer (scratch.ts).
 */
export function visitorsOf(view: FactView, scratchKey?: string): { ofRow: Int32Array; count: number } {
  const anonymous = view.anonymousIds.size;
  const ofRow = scratchKey ? scratch(scratchKey, view.length) : new Int32Array(view.length);
  const keep = view.keep;
  for (let i = 0; i < view.length; i++) {
    const a = view.anonymousId[i];
    const u = view.userId[i];
    ofRow[i] = keep !== null && keep[i] === 0 ? -1 : a >= 0 ? a : u >= 0 ? anonymous + u : -1;
  }
  return { ofRow, count: anonymous + view.userIds.size };
}

/** Builds the sessions of a view. Cost: linear in rows, plus sorting rows without a sessionId. */
export function buildSessions(view: FactView, options: { timeoutMs?: number } = {}): SessionIndex {
  const timeout = options.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  if (!(timeout > 0)) throw new RangeError('the session timeout must be positive');
  const n = view.length;
  const derived = view.names.id(CART_ABANDONED);
  const anonymous = view.anonymousIds.size;
  const visitorCount = anonymous + view.userIds.size;
  const keep = view.keep;
  // -1 also for a row the mask leaves out: it opens no session and joins none.
  const visitorOf = (row: number) =>
    keep !== null && keep[row] === 0 ? -1 : view.anonymousId[row] >= 0 ? view.anonymousId[row] : view.userId[row] >= 0 ? anonymous + view.userId[row] : -1;
  const ofRow = new Int32Array(n).fill(-1);
  const bySessionId = scratch('sessions.bySessionId', view.sessionIds.size).fill(-1);
  let count = 0;
  // Sessions keyed by the client's id, numbered as first seen; rows without one wait for step 2.
  let looseCount = 0;
  for (let i = 0; i < n; i++) {
    if ((view.name[i] === derived && derived >= 0) || (keep !== null && keep[i] === 0)) continue;
    const sid = view.sessionId[i];
    if (sid >= 0) {
      let s = bySessionId[sid];
      if (s < 0) s = bySessionId[sid] = count++;
      ofRow[i] = s;
    } else if (visitorOf(i) >= 0) looseCount++;
  }
  // Sessions cut by inactivity, per visitor in event order. The SDK sends a sessionId with every
  // event, so these rows are usually few: their buffers are sized by them, and the visitor of
  // every row is worked out only when there are some.
  const cutKeys: string[] = [];
  const sessionIdCount = count;
  if (looseCount > 0) {
    const loose = scratch('sessions.loose', looseCount);
    let j = 0;
    for (let i = 0; i < n && j < looseCount; i++) {
      if (ofRow[i] < 0 && !(view.name[i] === derived && derived >= 0) && visitorOf(i) >= 0) loose[j++] = i;
    }
    const visitors = visitorsOf(view, 'sessions.visitors');
    const groups = groupRows(loose, looseCount, visitors.ofRow, visitorCount, view.ts, true);
    for (let v = 0; v < visitorCount; v++) {
      let previous = -Infinity;
      for (let k = groups.offsets[v]; k < groups.offsets[v + 1]; k++) {
        const row = groups.order[k];
        const t = view.ts[row];
        if (t - previous >= timeout) count++;
        ofRow[row] = count - 1;
        previous = t;
      }
    }
  }

  const start = new Float64Array(count).fill(Infinity);
  const end = new Float64Array(count).fill(-Infinity);
  const landing = new Int32Array(count).fill(-1);
  const originRow = new Int32Array(count).fill(-1);
  const agentRow = new Int32Array(count).fill(-1);
  const events = new Int32Array(count);
  // Rows are in storage order, so "strictly earlier" keeps the first stored of equal times.
  const earlier = (row: number, than: number) => than < 0 || view.ts[row] < view.ts[than];
  for (let i = 0; i < n; i++) {
    const s = ofRow[i];
    if (s < 0) continue;
    const t = view.ts[i];
    events[s]++;
    if (t < start[s]) {
      start[s] = t;
      landing[s] = i;
    }
    if (t > end[s]) end[s] = t;
    if (view.origin[i] >= 0 && earlier(i, originRow[s])) originRow[s] = i;
    if (view.agent[i] >= 0 && earlier(i, agentRow[s])) agentRow[s] = i;
  }

  // Returning: not the visitor's first session. First = earliest start, then earliest landing row.
  const first = scratch('sessions.first', visitorCount).fill(-1);
  for (let s = 0; s < count; s++) {
    const v = visitorOf(landing[s]);
    if (v < 0) continue;
    const f = first[v];
    if (f < 0 || start[s] < start[f] || (start[s] === start[f] && landing[s] < landing[f])) first[v] = s;
  }
  const returning = new Uint8Array(count);
  for (let s = 0; s < count; s++) {
    const v = visitorOf(landing[s]);
    returning[s] = v >= 0 && first[v] !== s ? 1 : 0;
  }

  const keyOf = (s: number): string => {
    if (s < sessionIdCount) return view.sessionIds.value(view.sessionId[landing[s]])!;
    let key = cutKeys[s - sessionIdCount];
    if (key === undefined) {
      const row = landing[s];
      const a = view.anonymousIds.value(view.anonymousId[row]);
      const visitor = a ?? `user:${view.userIds.value(view.userId[row])}`;
      key = cutKeys[s - sessionIdCount] = `${visitor}@${new Date(start[s]).toISOString()}`;
    }
    return key;
  };

  const agentOf = (s: number) => (agentRow[s] < 0 ? null : view.agents[view.agent[agentRow[s]]]);
  const originOf = (s: number) => (originRow[s] < 0 ? null : view.origins[view.origin[originRow[s]]]);

  return {
    count,
    ofRow,
    keep,
    start,
    end,
    landing,
    originRow,
    agentRow,
    returning,
    attribute(s, by) {
      switch (by) {
        case 'device':
          return agentOf(s)?.device ?? 'unknown';
        case 'browser':
          return agentOf(s)?.browser ?? 'Other';
        case 'channel':
          return originOf(s)?.channel ?? 'direct';
        case 'utm_source':
          return originOf(s)?.source ?? NONE;
        case 'returning':
          return returning[s] ? 'returning' : 'new';
      }
    },
    session(s) {
      const agent = agentOf(s);
      const origin = originOf(s);
      return {
        key: keyOf(s),
        anonymousId: view.anonymousIds.value(view.anonymousId[landing[s]]),
        start: new Date(start[s]).toISOString(),
        end: new Date(end[s]).toISOString(),
        events: events[s],
        device: agent?.device ?? 'unknown',
        browser: agent?.browser ?? 'Other',
        os: agent?.os ?? 'Other',
        channel: origin?.channel ?? 'direct',
        source: origin?.source ?? null,
        medium: origin?.medium ?? null,
        campaign: origin?.campaign ?? null,
        returning: returning[s] === 1,
      };
    },
  };
}
