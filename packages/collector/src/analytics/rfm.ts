// RFM scores and segments (issue 15, point 2), at one moment: what every customer who ordered up
// to asOf scores, by quintiles over those customers.
//
//  - Recency: UTC calendar days from the day of the last order to asOf's day (0 = ordered that
//    day); more recent scores higher. Frequency: orders (orders.ts: once per order_id).
//    Monetary: revenue in the customer's main currency (the currency of most of its orders; on a
//    tie, of the latest of them; orders without a currency are a currency of their own), in
//    cents, ranked only among customers with the same main currency: amounts in different
//    currencies are not comparable.
//  - Score of a value among n values: 1 + floor(5 x below / n), where below is how many of the n
//    values are worse (strictly). Equal values always get the same score (ties are never broken
//    by anything else, so the score does not depend on ids or order), and the best fifth scores 5
//    when values differ. With many ties (most customers ordered once) a score may be skipped:
//    every one-order customer scores F = 1, and the next frequency scores where its rank puts it.
//  - Segment: the (R, FM) cell of the grid below, FM = ceil((F + M) / 2), so every (R, F, M) has
//    exactly one segment.
//
//            FM = 1            2                     3                     4                 5
//   R = 5    New               Potential loyalists   Potential loyalists   Champions         Champions
//   R = 4    Promising         Potential loyalists   Potential loyalists   Loyal             Champions
//   R = 3    About to sleep    Need attention        Need attention        Loyal             Loyal
//   R = 2    Hibernating       About to sleep        At risk               At risk           Can't lose them
//   R = 1    Hibernating       Hibernating           At risk               Can't lose them   Can't lose them

/** The named segments, best first. */
export const SEGMENTS = [
  'Champions',
  'Loyal',
  'Potential loyalists',
  'New',
  'Promising',
  'Need attention',
  'About to sleep',
  'At risk',
  "Can't lose them",
  'Hibernating',
] as const;
export type Segment = (typeof SEGMENTS)[number];

const [CHAMPIONS, LOYAL, POTENTIAL, NEW, PROMISING, ATTENTION, SLEEP, RISK, CANT_LOSE, HIBERNATING] = SEGMENTS;

/** The segment of each (R, FM) cell: SEGMENT_GRID[R - 1][FM - 1]. */
export const SEGMENT_GRID: readonly (readonly Segment[])[] = [
  [HIBERNATING, HIBERNATING, RISK, CANT_LOSE, CANT_LOSE],
  [HIBERNATING, SLEEP, RISK, RISK, CANT_LOSE],
  [SLEEP, ATTENTION, ATTENTION, LOYAL, LOYAL],
  [PROMISING, POTENTIAL, POTENTIAL, LOYAL, CHAMPIONS],
  [NEW, POTENTIAL, POTENTIAL, CHAMPIONS, CHAMPIONS],
];

/** The FM axis of the grid: the mean of F and M, rounded up. */
export const fmScore = (f: number, m: number): number => Math.ceil((f + m) / 2);

/** The segment of scores R, F, M (each 1 to 5). */
export function segmentOf(r: number, f: number, m: number): Segment {
  const row = SEGMENT_GRID[r - 1];
  const segment = row?.[fmScore(f, m) - 1];
  if (!segment) throw new RangeError(`RFM scores must be 1 to 5 (got ${r}, ${f}, ${m})`);
  return segment;
}

/** The segment's index in SEGMENTS (a small integer to store per customer). */
export const segmentIndex = (segment: Segment): number => SEGMENTS.indexOf(segment);

/**
 * Quintile score (1 to 5) of each value, higher values scoring higher, within each group (values
 * of different groups are not compared): 1 + floor(5 x below / n), below = values of the group
 * strictly lower, n = values in the group.
 */
export function quintileScores(values: ArrayLike<number>, groups?: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (groups ? groups[a] - groups[b] : 0) || values[a] - values[b]);
  const scores = new Uint8Array(n);
  for (let start = 0; start < n; ) {
    let end = start;
    while (end < n && (!groups || groups[order[end]] === groups[order[start]])) end++;
    const size = end - start;
    for (let i = start; i < end; ) {
      let j = i;
      while (j < end && values[order[j]] === values[order[i]]) j++;
      const score = 1 + Math.floor((5 * (i - start)) / size);
      for (let k = i; k < j; k++) scores[order[k]] = score;
      i = j;
    }
    start = end;
  }
  return scores;
}
