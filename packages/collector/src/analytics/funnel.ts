// Funnels (issue 5). A unit reaches step k when it does step k at or after the moment it reached
// step k-1, within `window` after step 1; each unit is counted once, at its furthest step.
//
// Decisions where the issue is silent:
//  - "At or after" is in event order: time, then storage order. An event at the same millisecond
//    counts when it was stored after the previous step's event; one event never fills two steps.
//  - The window is half-open like [from, to): step k counts at t1 + window - 1 ms, not at t1 + window.
//  - Only step 1 must fall in [from, to); later steps may fall after `to` (a conversion that
//    completes after the range still belongs to a journey that started in it). A filter (device,
//    channel, UTM source: filters.ts) likewise narrows step 1 only: its session must be on it, as
//    `by` puts a unit in the segment of its step 1, so a filtered funnel of sessions is exactly
//    that segment of the breakdown, and a customer who starts on a phone may buy on a laptop.
//  - A unit with several step-1 events in range is counted from the one that gets furthest; among
//    equals, the earliest. Times (medians) and the breakdown segment come from that one.
//  - Units: `session` (sessions.ts), `visitor` (anonymous id; userId when a fact has none),
//    `customer` (stitched profile, which is the anonymous id for a visitor never identified).
//  - Rates are fractions rounded to 4 decimals; medianSecondsFromPrevious is the median (mean of
//    the middle two for an even count) of per-unit gaps, in seconds rounded to the millisecond.
//    null where undefined: step 1's conversionFromPrevious and median, the last step's dropOff,
//    and any rate over zero units.
import { badRequest } from '../errors';
import { parseDuration } from './duration';
import { assertSameRows, TYPE_PAGE, TYPE_TRACK, type FactView } from './facts';
import { groupRows } from './grouping';
import type { ProfileIndex } from './profiles';
import { scratch } from './scratch';
import { buildSessions, NONE, visitorsOf, type SessionAttribute, type SessionIndex } from './sessions';

export type FunnelUnit = 'session' | 'visitor' | 'customer';

/** @defaultValue window for visitor and customer units: 7 days */
export const DEFAULT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** Steps are bits of a 32-bit mask; 20 is more than any readable funnel. */
export const MAX_STEPS = 20;

/** The units a funnel counts; the first is the default. */
export const FUNNEL_UNITS: readonly FunnelUnit[] = ['session', 'visitor', 'customer'];
/**
 * What a funnel can be broken down by: an attribute of the session of step 1, or `segment`, the
 * RFM segment (rfm.ts) of its customer at the end of the range, as the segment filter has it.
 */
export type FunnelBreakdown = SessionAttribute | 'segment';
export const FUNNEL_BREAKDOWNS: readonly FunnelBreakdown[] = ['device', 'browser', 'channel', 'utm_source', 'returning', 'segment'];

export interface FunnelQuery {
  /** Event names; `page` for any page view; `page:/path` for page views whose path starts so. */
  steps: readonly string[];
  /** @defaultValue 'session' */
  unit?: FunnelUnit;
  /** A duration (`30m`, `2h`, `7d`) or ms. Default: the session for `session`, 7 days otherwise. */
  window?: string | number;
  /** Step 1 must happen in [from, to) (epoch ms). Default: all time. */
  from?: number;
  to?: number;
  by?: FunnelBreakdown;
}

export interface FunnelStepRow {
  /** 1-based. */
  step: number;
  name: string;
  units: number;
  /** units of this step minus units of the next; null for the last step. */
  dropOff: number | null;
  conversionFromPrevious: number | null;
  conversionFromStart: number | null;
  medianSecondsFromPrevious: number | null;
}

export interface FunnelSegment {
  key: FunnelBreakdown;
  value: string;
  steps: FunnelStepRow[];
}

export interface FunnelResult {
  steps: FunnelStepRow[];
  /** With `by`: one per value, most step-1 units first. */
  segments?: FunnelSegment[];
}

/** What a funnel reads. Sessions are built with defaults when not given; customers need profiles. */
export interface FunnelSources {
  facts: FactView;
  sessions?: SessionIndex;
  profiles?: ProfileIndex;
  /** The rows step 1 may be (1), from a filter (filters.ts); null or absent: any row. */
  startRows?: Uint8Array | null;
  /** For `by: 'segment'`: the RFM segment of a row's customer, NONE without one (index.ts). */
  segmentOf?: (row: number) => string;
}

/** A parsed funnel step: an event name, any page view, or page views under a path. */
export type FunnelStep = { kind: 'event'; name: string } | { kind: 'page' } | { kind: 'path'; prefix: string };

/** Parses one step (`Order Completed`, `page`, `page:/checkout`); throws a 400 HttpError when malformed. */
export function parseStep(text: string): FunnelStep {
  const name = typeof text === 'string' ? text.trim() : '';
  if (!name) throw badRequest('steps must be non-empty event names, `page` or `page:/path`', 'invalid_query');
  if (name === 'page') return { kind: 'page' };
  if (name.startsWith('page:')) {
    const prefix = name.slice(5);
    if (!prefix.startsWith('/')) throw badRequest(`step ${JSON.stringify(name)}: a page path starts with /, as in page:/checkout`, 'invalid_query');
    return { kind: 'path', prefix };
  }
  return { kind: 'event', name };
}

interface Plan {
  names: string[];
  steps: FunnelStep[];
  unit: FunnelUnit;
  window: number;
  from: number;
  to: number;
  by?: FunnelBreakdown;
}

function plan(query: FunnelQuery): Plan {
  const raw = query.steps;
  if (!Array.isArray(raw) || raw.length === 0) throw badRequest('a funnel needs at least one step', 'invalid_query');
  if (raw.length > MAX_STEPS) throw badRequest(`a funnel has at most ${MAX_STEPS} steps`, 'invalid_query');
  const unit = query.unit ?? 'session';
  if (!FUNNEL_UNITS.includes(unit)) throw badRequest(`unit must be one of ${FUNNEL_UNITS.join(', ')}`, 'invalid_query');
  if (query.by !== undefined && !FUNNEL_BREAKDOWNS.includes(query.by)) {
    throw badRequest(`by must be one of ${FUNNEL_BREAKDOWNS.join(', ')}`, 'invalid_query');
  }
  let window: number;
  if (query.window === undefined || query.window === '') window = unit === 'session' ? Infinity : DEFAULT_WINDOW_MS;
  else if (typeof query.window === 'number') {
    if (!(query.window > 0)) throw badRequest('window must be longer than zero', 'invalid_duration');
    window = query.window;
  } else window = parseDuration(query.window, 'window');
  const from = query.from ?? -Infinity;
  const to = query.to ?? Infinity;
  if (Number.isNaN(from) || Number.isNaN(to) || !(from < to)) throw badRequest('from must be before to', 'invalid_query');
  const names = raw.map((s) => String(s).trim());
  return { names, steps: raw.map(parseStep), unit, window, from, to, by: query.by };
}

/** Runs a funnel query. Throws a 400 HttpError for a malformed query. */
export function runFunnel(sources: FunnelSources, query: FunnelQuery): FunnelResult {
  const p = plan(query);
  const view = sources.facts;
  const S = p.steps.length;
  const sessions = p.unit === 'session' || (p.by && p.by !== 'segment') ? (sources.sessions ?? buildSessions(view)) : undefined;
  const segmentOf = sources.segmentOf;
  if (p.by === 'segment' && !segmentOf) throw new Error('a funnel by segment needs the segments of the rows (segmentOf)');

  // Which steps each event name and each path satisfy, as bit masks, so a row costs two lookups.
  const trackBits = new Int32Array(view.names.size);
  const pathBits = new Int32Array(view.paths.size);
  let pageBits = 0;
  p.steps.forEach((step, k) => {
    const bit = 1 << k;
    if (step.kind === 'page') pageBits |= bit;
    else if (step.kind === 'event') {
      const id = view.names.id(step.name);
      if (id >= 0) trackBits[id] |= bit;
    } else {
      const paths = view.paths.values;
      for (let i = 0; i < paths.length; i++) if (paths[i].startsWith(step.prefix)) pathBits[i] |= bit;
    }
  });

  if (sessions) assertSameRows(view, sessions, 'sessions');
  if (sources.profiles) assertSameRows(view, sources.profiles, 'profiles');
  let unitOf: Int32Array;
  let unitCount: number;
  if (p.unit === 'session') {
    unitOf = sessions!.ofRow;
    unitCount = sessions!.count;
  } else if (p.unit === 'visitor') {
    ({ ofRow: unitOf, count: unitCount } = visitorsOf(view, 'funnel.visitors'));
  } else {
    if (!sources.profiles) throw new Error('a customer funnel needs profiles (resolveProfiles)');
    unitOf = sources.profiles.ofRow;
    unitCount = sources.profiles.count;
  }

  // Rows that match some step and can matter: at or after `from`, before `to` + window.
  const n = view.length;
  const upper = p.to + p.window;
  const rows = scratch('funnel.rows', n);
  const mask = scratch('funnel.mask', n);
  let count = 0;
  const { ts, type, name, path } = view;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (t < p.from || t >= upper) continue;
    const ty = type[i];
    let m = 0;
    if (ty === TYPE_TRACK) m = name[i] >= 0 ? trackBits[name[i]] : 0;
    else if (ty === TYPE_PAGE) m = pageBits | (path[i] >= 0 ? pathBits[path[i]] : 0);
    if (m === 0 || unitOf[i] < 0) continue;
    mask[i] = m;
    rows[count++] = i;
  }
  const { order, offsets } = groupRows(rows, count, unitOf, unitCount, ts, true);

  const start = sources.startRows ?? null;
  const total = new Tally(S);
  const segments = new Map<string, Tally>();
  const times = new Float64Array(S);
  const best = new Float64Array(S);
  const matcher = new Matcher(S);
  for (let u = 0; u < unitCount; u++) {
    const a = offsets[u];
    const b = offsets[u + 1];
    let level = 0;
    let startRow = -1;
    for (let j = a; j < b; j++) {
      const row = order[j];
      if ((mask[row] & 1) === 0 || ts[row] < p.from || ts[row] >= p.to || (start && start[row] === 0)) continue;
      // Without a window limit, a later start can never get further than an earlier one (each
      // of its steps matches at or after the earlier start's), so the first attempt is the best.
      const reached = b - a > 256 && p.window !== Infinity ? matcher.run(order, a, b, j, mask, ts, p.window, times) : scan(order, j, b, mask, ts, p.window, S, times);
      if (reached > level) {
        level = reached;
        startRow = row;
        best.set(times);
      }
      if (level === S || p.window === Infinity) break;
    }
    if (level === 0) continue;
    total.add(level, best);
    if (p.by) {
      const s = p.by === 'segment' ? -1 : sessions!.ofRow[startRow];
      const value = p.by === 'segment' ? segmentOf!(startRow) : s < 0 ? NONE : sessions!.attribute(s, p.by);
      let tally = segments.get(value);
      if (!tally) segments.set(value, (tally = new Tally(S)));
      tally.add(level, best);
    }
  }

  const result: FunnelResult = { steps: total.rows(p.names) };
  if (p.by) {
    const by = p.by;
    result.segments = [...segments.entries()]
      .sort(([x, a], [y, b]) => b.units[0] - a.units[0] || (x < y ? -1 : x > y ? 1 : 0))
      .map(([value, tally]) => ({ key: by, value, steps: tally.rows(p.names) }));
  }
  return result;
}

// Greedy match from the step-1 event at order[j]: each step takes the first matching event after
// the previous step's. Earliest is optimal: it leaves every later event available. O(group).
function scan(order: Int32Array, j: number, b: number, mask: Int32Array, ts: Float64Array, window: number, S: number, times: Float64Array): number {
  const t1 = ts[order[j]];
  const limit = t1 + window;
  times[0] = t1;
  let k = 1;
  for (let i = j + 1; i < b && k < S; i++) {
    const row = order[i];
    const t = ts[row];
    if (t >= limit) break;
    if (mask[row] & (1 << k)) times[k++] = t;
  }
  return k;
}

// The same greedy match for large groups (a customer with thousands of events and many step-1
// events): a table of "next event of step k at or after position i" makes each attempt O(steps)
// instead of O(group), so a group costs O(group x steps) however many attempts it has.
class Matcher {
  private next = new Int32Array(0);
  private group = -1;
  constructor(private readonly S: number) {}

  run(order: Int32Array, a: number, b: number, j: number, mask: Int32Array, ts: Float64Array, window: number, times: Float64Array): number {
    const L = b - a;
    const width = L + 1;
    if (this.group !== a) {
      if (this.next.length < this.S * width) this.next = new Int32Array(this.S * width * 2);
      for (let k = 1; k < this.S; k++) {
        const base = k * width;
        this.next[base + L] = L;
        for (let i = L - 1; i >= 0; i--) this.next[base + i] = mask[order[a + i]] & (1 << k) ? i : this.next[base + i + 1];
      }
      this.group = a;
    }
    const t1 = ts[order[j]];
    const limit = t1 + window;
    times[0] = t1;
    let pos = j - a;
    let k = 1;
    for (; k < this.S; k++) {
      const q = this.next[k * width + pos + 1];
      if (q === L) break;
      const t = ts[order[a + q]];
      if (t >= limit) break;
      times[k] = t;
      pos = q;
    }
    return k;
  }
}

/** Units per step and the gaps between steps, for the whole funnel or one segment. */
class Tally {
  readonly units: number[];
  // Gaps per step in typed arrays rather than JS arrays: hundreds of thousands of numbers that
  // live through the query would otherwise be promoted to the old space and cost a full GC.
  private readonly gaps: Float64Array[];
  constructor(S: number) {
    this.units = new Array<number>(S).fill(0);
    this.gaps = Array.from({ length: S }, () => new Float64Array(16));
  }

  add(level: number, times: Float64Array): void {
    for (let k = 0; k < level; k++) {
      const n = this.units[k]++;
      if (k === 0) continue;
      let g = this.gaps[k];
      if (n === g.length) {
        const bigger = new Float64Array(g.length * 2);
        bigger.set(g);
        this.gaps[k] = g = bigger;
      }
      g[n] = times[k] - times[k - 1];
    }
  }

  rows(names: string[]): FunnelStepRow[] {
    const u = this.units;
    return names.map((name, k) => ({
      step: k + 1,
      name,
      units: u[k],
      dropOff: k + 1 < u.length ? u[k] - u[k + 1] : null,
      conversionFromPrevious: k === 0 ? null : ratio(u[k], u[k - 1]),
      conversionFromStart: ratio(u[k], u[0]),
      medianSecondsFromPrevious: k === 0 ? null : medianSeconds(this.gaps[k].subarray(0, u[k])),
    }));
  }
}

const ratio = (x: number, of: number): number | null => (of > 0 ? Math.round((x / of) * 10000) / 10000 : null);

function medianSeconds(gaps: Float64Array): number | null {
  if (gaps.length === 0) return null;
  const xs = gaps.sort();
  const mid = xs.length >> 1;
  const ms = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return Math.round(ms) / 1000;
}
