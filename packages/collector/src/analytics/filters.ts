// The filters of the analytics exports, as rows: which rows of a scope are on a device type, in a
// channel, from a UTM source, of a customer in a segment. Each export decides what the rows mean
// for it (its step 1, its events, its cart's last activity, a customer having one: exports.ts and
// the README's table of filters); the rows themselves are decided here, once.
//
// A row's device type, channel and UTM source are its session's (what a funnel's `by` breakdown
// shows), so that a filter and a breakdown by the same attribute agree: the device of the
// session's first event with a user agent, the marketing channel and UTM source of its landing.
// A row whose event named a sales channel (`context.channel` = phone, store …) is in that channel
// whatever its session's (sales-channel.ts). A row in no session (the collector's own Cart
// Abandoned) has its own event's device and origin, else `unknown`, `direct` and `(none)`.
// The segment filter keeps the rows of customers whose RFM segment (rfm.ts) is one of those asked,
// as of the moment the export says (its asOf, else the end of its range, else now).
import type { FactView } from './facts';
import { ordersOf } from './orders';
import { rfmSegments } from './rfm-history';
import { SEGMENTS, type Segment } from './rfm';
import type { Scope } from './rows';
import { NONE } from './sessions';

/** What the rows of an analytics export can be narrowed to; each list means "any of these". */
export interface RowFilter {
  /** Device types (desktop, mobile, tablet, bot, unknown). */
  device?: readonly string[];
  /** Marketing channel groups (channels.ts) or sales channels (phone, store …). */
  channel?: readonly string[];
  /** UTM sources as the session carries them; `(none)` for sessions without one. */
  utmSource?: readonly string[];
  /** RFM segments (rfm.ts): rows of customers in one of them (segmentProfiles works them out). */
  segment?: readonly Segment[];
}

/** Whether `filter` narrows anything. */
export function filters(filter: RowFilter): boolean {
  return filter.device !== undefined || filter.channel !== undefined || filter.utmSource !== undefined || filter.segment !== undefined;
}

/**
 * The profiles (1) of the scope whose RFM segment as of `asOf` (inclusive) is one of `segments`:
 * the segment filter's customers. RFM is over the scope's orders, as the customers export has it.
 */
export function segmentProfiles(scope: Scope, segments: readonly Segment[], asOf: number): Uint8Array {
  const profiles = scope.profiles();
  const rfm = rfmSegments(ordersOf(scope.view, profiles, { asOf }));
  const wanted = new Uint8Array(SEGMENTS.length);
  for (const segment of segments) wanted[SEGMENTS.indexOf(segment)] = 1;
  const out = new Uint8Array(profiles.count);
  for (let p = 0; p < profiles.count; p++) out[p] = rfm.segment[p] >= 0 && wanted[rfm.segment[p]] === 1 ? 1 : 0;
  return out;
}

/**
 * 1 for each row of the scope that the filter keeps (and the scope counts), 0 for the others;
 * null when the filter narrows nothing. Costs one pass over the rows, with each session's
 * attributes compared once. The segment filter's customers are `segmentAsOf`'s (segmentProfiles).
 */
export function filterRows(scope: Scope, filter: RowFilter, segmentAsOf = Infinity): Uint8Array | null {
  if (!filters(filter)) return null;
  const view = scope.view;
  const sessions = scope.sessions();
  const profiles = filter.segment ? scope.profiles() : undefined;
  const inSegment = filter.segment ? segmentProfiles(scope, filter.segment, segmentAsOf) : undefined;
  const { device, channel, utmSource } = filter;
  const on = (list: readonly string[] | undefined, value: string) => list === undefined || list.includes(value);
  // Per session: device and UTM source match (bit 1), channel matches (bit 2).
  const bySession = new Uint8Array(sessions.count);
  for (let s = 0; s < sessions.count; s++) {
    bySession[s] =
      (on(device, sessions.attribute(s, 'device')) && on(utmSource, sessions.attribute(s, 'utm_source')) ? 1 : 0) |
      (on(channel, sessions.attribute(s, 'channel')) ? 2 : 0);
  }
  // Per origin: the sales channel it names matches (1), does not (0), or it names none (2).
  const byOrigin = new Uint8Array(view.origins.length);
  for (let o = 0; o < byOrigin.length; o++) {
    const named = view.origins[o].salesChannel;
    byOrigin[o] = named ? (on(channel, named) ? 1 : 0) : 2;
  }
  const keep = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i++) {
    if (view.keep !== null && view.keep[i] === 0) continue;
    if (profiles && inSegment) {
      const p = profiles.ofRow[i];
      if (p < 0 || inSegment[p] !== 1) continue;
    }
    const s = sessions.ofRow[i];
    const o = view.origin[i];
    let sessionBits: number;
    if (s >= 0) sessionBits = bySession[s];
    else sessionBits = rowAlone(view, i, device, channel, utmSource, on);
    const named = o >= 0 ? byOrigin[o] : 2;
    const channelOk = named === 2 ? (sessionBits & 2) !== 0 : named === 1;
    keep[i] = (sessionBits & 1) !== 0 && channelOk ? 1 : 0;
  }
  return keep;
}

// The bits of filterRows for a row in no session, from its own agent and origin.
function rowAlone(
  view: FactView,
  i: number,
  device: readonly string[] | undefined,
  channel: readonly string[] | undefined,
  utmSource: readonly string[] | undefined,
  on: (list: readonly string[] | undefined, value: string) => boolean,
): number {
  const agent = view.agent[i] >= 0 ? view.agents[view.agent[i]] : null;
  const origin = view.origin[i] >= 0 ? view.origins[view.origin[i]] : null;
  const first = on(device, agent?.device ?? 'unknown') && on(utmSource, origin?.source ?? NONE);
  return (first ? 1 : 0) | (on(channel, origin?.channel ?? 'direct') ? 2 : 0);
}

/**
 * The profiles (1) of the scope with at least one row in [from, to) that `keep` keeps (null: any
 * row of the scope): the customers a filter selects, for the exports of customers.
 */
export function profilesWithRows(scope: Scope, keep: Uint8Array | null, from = -Infinity, to = Infinity): Uint8Array {
  const { view } = scope;
  const profiles = scope.profiles();
  const out = new Uint8Array(profiles.count);
  for (let i = 0; i < view.length; i++) {
    const p = profiles.ofRow[i];
    if (p < 0 || out[p] === 1 || (keep !== null && keep[i] === 0)) continue;
    if (view.ts[i] >= from && view.ts[i] < to) out[p] = 1;
  }
  return out;
}
