// RFM segments with their history (issue 15, point 2): each customer's scores and segment at asOf
// (rfm.ts has the rules), the segment before it, and since when it holds, exactly and fast.
//
// What "since" means: segments are evaluated at asOf and at the end of every UTC day before it.
// `segmentSince` is the first UTC day from whose end (or, for asOf's own day, from asOf) the
// customer was in its segment at every evaluation up to asOf; `previousSegment` is its segment at
// the end of the day before that, null when it had not ordered by then (a first order). Resolution:
// a day. A segment held only between two ends of day (a change and back the same day) is not seen.
//
// How it is exact without scoring every customer on every day. Scores are quintiles of three
// values per customer, so between orders nothing moves: recency days all grow by one a day,
// which keeps their order (scores depend on the last order's day alone), and frequency and
// monetary stand still. So going back from asOf day by day, the scores change only where orders
// are taken away. The sweep below does exactly that, once for everyone: it takes each day's orders
// out of three multisets (last-order day, orders, money per main currency), and after each day
// writes down the four cut values per multiset that decide the scores (a value scores above s - 1
// when it exceeds the ceil((s - 1) n / 5)-th smallest value). Then each customer walks back through
// its own history: between two of its own orders its values are fixed, and its scores change only
// where one of its twelve cuts crosses its value, which a segment tree over the days finds in
// O(log days). Each such day (and each day of its own orders) is scored; the first whose segment
// differs ends the walk. Cost: the orders times log days for the sweep, and a few tree searches
// per customer, instead of customers times days.
import { isoTime } from './iso-time';
import { CountTree, Series } from './order-statistics';
import type { OrderRows } from './orders';
import { SEGMENT_GRID, SEGMENTS, fmScore, type Segment } from './rfm';

const DAY = 86_400_000;
const CUTS = 4; // cut values per multiset: scores 2, 3, 4, 5

/** RFM of every profile that ordered by asOf, as columns by profile number (0 / -1 where none). */
export interface RfmTable {
  readonly asOf: number;
  /** Customers who ordered by asOf. */
  readonly customers: number;
  /** Scores 1..5; 0 for a profile without an order. */
  readonly recency: Uint8Array;
  readonly frequency: Uint8Array;
  readonly monetary: Uint8Array;
  /** Index into SEGMENTS; -1 without an order. */
  readonly segment: Int8Array;
  /** Index into SEGMENTS; -1 when none (a customer since its first order). */
  readonly previous: Int8Array;
  /** UTC day number (days since 1970-01-01) of segmentSince. */
  readonly sinceDay: Int32Array;
  /** The main currency: index into orders.currencies, -1 for orders without a currency. */
  readonly currency: Int32Array;
  /** UTC calendar days from the last order to asOf. */
  readonly recencyDays: Int32Array;
  /** Revenue in the main currency, in cents. */
  readonly monetaryCents: Float64Array;
}

/** A UTC day number (days since 1970-01-01) as a YYYY-MM-DD date. */
export const dayDate = (day: number): string => isoTime(day * DAY).slice(0, 10);

/** Scores, segments, previous segments and since when, for every profile of `orders` (see above). */
export function rfmSegments(orders: OrderRows): RfmTable {
  const asOf = orders.asOf;
  if (!Number.isFinite(asOf)) throw new RangeError('RFM needs an asOf time');
  const P = orders.profiles.count;
  const n = orders.count;
  const d0 = Math.floor(asOf / DAY);
  const out: RfmTable & { customers: number } = {
    asOf,
    customers: 0,
    recency: new Uint8Array(P),
    frequency: new Uint8Array(P),
    monetary: new Uint8Array(P),
    segment: new Int8Array(P).fill(-1),
    previous: new Int8Array(P).fill(-1),
    sinceDay: new Int32Array(P),
    currency: new Int32Array(P),
    recencyDays: new Int32Array(P),
    monetaryCents: new Float64Array(P),
  };
  if (n === 0) return out;

  // What each order prefix of a customer scores on: its last day, and its main currency with the
  // money in it (cents of the running sum, as customer-stats.ts rounds it). Currency groups are
  // the currency index + 1, 0 for no currency.
  const day = new Int32Array(n);
  const group = new Int32Array(n);
  const money = new Float64Array(n);
  let minDay = d0;
  let maxLength = 1;
  for (let p = 0; p < P; p++) {
    const counts = new Map<number, number>();
    const sums = new Map<number, number>();
    let main = -1;
    for (let k = orders.offsets[p]; k < orders.offsets[p + 1]; k++) {
      day[k] = Math.floor(orders.ts[k] / DAY);
      minDay = Math.min(minDay, day[k]);
      const g = orders.currency[k] + 1;
      counts.set(g, (counts.get(g) ?? 0) + 1);
      sums.set(g, (sums.get(g) ?? 0) + orders.amount[k]);
      // The currency of most orders; on a tie the latest one's, which this order is.
      if (main < 0 || counts.get(g)! >= counts.get(main)!) main = g;
      group[k] = main;
      money[k] = Math.round(sums.get(main)! * 100);
    }
    maxLength = Math.max(maxLength, orders.offsets[p + 1] - orders.offsets[p]);
  }
  const groups = orders.currencies.length + 1;
  const moneyValues: Float64Array[] = [];
  for (let g = 0; g < groups; g++) moneyValues.push(Float64Array.from(new Set(money.filter((_, k) => group[k] === g))).sort());
  const moneyIndex = (g: number, v: number) => binarySearch(moneyValues[g], v) + 1;

  // The sweep back from asOf: step 0 is asOf, step j >= 1 the end of day d0 - j; an order of day d
  // leaves at step d0 - d + 1. Steps run until the earliest day's orders leave.
  const steps = d0 - minDay + 1;
  const recencyTree = new CountTree(d0 - minDay + 1);
  const frequencyTree = new CountTree(maxLength);
  const moneyTrees = moneyValues.map((v) => new CountTree(Math.max(1, v.length)));
  const series = (count: number) => Array.from({ length: count * CUTS }, () => new Series(steps));
  const rCuts = series(1);
  const fCuts = series(1);
  const mCuts = series(groups);
  const length = new Int32Array(P);
  const put = (p: number, sign: number) => {
    const k = orders.offsets[p] + length[p] - 1;
    recencyTree.add(day[k] - minDay + 1, sign);
    frequencyTree.add(length[p], sign);
    moneyTrees[group[k]].add(moneyIndex(group[k], money[k]), sign);
  };
  const record = (j: number) => {
    const cut = (tree: CountTree, s: number) => tree.kth(Math.ceil((s * tree.total) / 5));
    for (let s = 1; s <= CUTS; s++) {
      rCuts[s - 1].values[j] = cut(recencyTree, s) - 1 + minDay;
      fCuts[s - 1].values[j] = cut(frequencyTree, s);
      for (let g = 0; g < groups; g++) {
        if (moneyTrees[g].total > 0) mCuts[g * CUTS + s - 1].values[j] = moneyValues[g][cut(moneyTrees[g], s) - 1];
      }
    }
  };
  for (let p = 0; p < P; p++) {
    length[p] = orders.offsets[p + 1] - orders.offsets[p];
    if (length[p] > 0) put(p, 1);
  }
  record(0);
  const byStep = bucketByStep(day, d0, steps);
  const touched = new Int32Array(P).fill(-1);
  const changed: number[] = [];
  for (let j = 1; j < steps; j++) {
    changed.length = 0;
    for (let x = byStep.offsets[j]; x < byStep.offsets[j + 1]; x++) {
      const p = orders.profile[byStep.order[x]];
      if (touched[p] !== j) {
        put(p, -1);
        touched[p] = j;
        changed.push(p);
      }
      length[p]--;
    }
    for (const p of changed) if (length[p] > 0) put(p, 1);
    record(j);
  }
  for (const s of [...rCuts, ...fCuts, ...mCuts]) s.seal();

  // Scores of order prefix k (length len) at step j.
  const score = (cuts: Series[], base: number, v: number, j: number) => {
    let s = 1;
    for (let c = 0; c < CUTS; c++) if (v > cuts[base + c].values[j]) s++;
    return s;
  };
  const scores = (k: number, len: number, j: number) => {
    const g = group[k];
    return [score(rCuts, 0, day[k], j), score(fCuts, 0, len, j), score(mCuts, g * CUTS, money[k], j)];
  };
  const segmentAt = (k: number, len: number, j: number) => {
    const [r, f, m] = scores(k, len, j);
    return SEGMENT_GRID[r - 1][fmScore(f, m) - 1];
  };
  // The first step in [lo, hi] where one of prefix k's scores differs from what it is at step j.
  const firstChange = (k: number, len: number, j: number, lo: number, hi: number) => {
    let first = -1;
    const look = (cuts: Series[], base: number, v: number) => {
      for (let c = 0; c < CUTS; c++) {
        const s = cuts[base + c];
        const end = first < 0 ? hi : first - 1;
        if (lo > end) return;
        const at = v > s.values[j] ? s.firstAtLeast(lo, end, v) : s.firstBelow(lo, end, v);
        if (at >= 0) first = at;
      }
    };
    look(rCuts, 0, day[k]);
    look(fCuts, 0, len);
    look(mCuts, group[k] * CUTS, money[k]);
    return first;
  };

  for (let p = 0; p < P; p++) {
    const start = orders.offsets[p];
    let len = orders.offsets[p + 1] - start;
    if (len === 0) continue;
    out.customers++;
    let k = start + len - 1;
    const [r, f, m] = scores(k, len, 0);
    const now: Segment = SEGMENT_GRID[r - 1][fmScore(f, m) - 1];
    out.recency[p] = r;
    out.frequency[p] = f;
    out.monetary[p] = m;
    out.segment[p] = SEGMENTS.indexOf(now);
    out.currency[p] = group[k] - 1;
    out.recencyDays[p] = d0 - day[k];
    out.monetaryCents[p] = money[k];
    // Walk back: `j` is the last step known to be in `now`.
    let j = 0;
    let since = -1;
    let previous: Segment | null = null;
    while (since < 0) {
      const own = d0 - day[k] + 1; // the step at which this prefix's last order leaves
      for (let lo = j + 1; lo < own && since < 0; ) {
        const at = firstChange(k, len, j, lo, own - 1);
        if (at < 0) break;
        const seg = segmentAt(k, len, at);
        if (seg !== now) {
          since = at - 1;
          previous = seg;
        }
        j = at;
        lo = at + 1;
      }
      if (since >= 0) break;
      const leaving = day[k];
      while (len > 0 && day[start + len - 1] === leaving) len--;
      if (len === 0) {
        since = own - 1;
        break;
      }
      k = start + len - 1;
      const seg = segmentAt(k, len, own);
      if (seg !== now) {
        since = own - 1;
        previous = seg;
      }
      j = own;
    }
    out.sinceDay[p] = d0 - since;
    out.previous[p] = previous === null ? -1 : SEGMENTS.indexOf(previous);
  }
  return out;
}

// Orders grouped by the step at which they leave (d0 - day + 1), as offsets into `order`.
function bucketByStep(day: Int32Array, d0: number, steps: number): { order: Int32Array; offsets: Int32Array } {
  const offsets = new Int32Array(steps + 2);
  for (let k = 0; k < day.length; k++) offsets[d0 - day[k] + 2]++;
  for (let s = 0; s <= steps; s++) offsets[s + 1] += offsets[s];
  const next = offsets.slice();
  const order = new Int32Array(day.length);
  for (let k = 0; k < day.length; k++) order[next[d0 - day[k] + 1]++] = k;
  return { order, offsets };
}

// The index of v in the sorted array a (v is in it).
function binarySearch(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
