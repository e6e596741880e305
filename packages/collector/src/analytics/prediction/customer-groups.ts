// Customers with the same summary (x, tₓ, T) contribute the same term to the BG/NBD likelihood,
// so the fit runs over the distinct summaries, each weighted by its number of customers: the
// 2,357 CDNOW customers are 1,395 groups (x and times in whole days), and a shop's 100,000
// customers a few tens of thousands. The summaries' distinct values (x, tₓ, T) are indexed once,
// so that an evaluation of the likelihood computes ln Γ and ln(α + T) per distinct value, not
// per group.

/** One customer's recency-frequency summary, in weeks. */
export interface RecencyFrequency {
  /** Repeat purchases (purchase days after the first) in the period. */
  x: number;
  /** Weeks from the first purchase to the last repeat purchase (0 when x = 0). */
  tx: number;
  /** Weeks from the first purchase to the end of the period. */
  T: number;
}

/** Distinct summaries and how many customers have each, with indexes into their distinct values. */
export interface CustomerGroups {
  readonly length: number;
  readonly x: Int32Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  /** Customers in each group (a weight in the likelihood). */
  readonly count: Float64Array;
  /** Distinct x values, and each group's index into them. */
  readonly xValues: Int32Array;
  readonly xIndex: Int32Array;
  /** Distinct T values, and each group's index into them. */
  readonly TValues: Float64Array;
  readonly TIndex: Int32Array;
  /** Distinct tₓ values, and each group's index into them. */
  readonly txValues: Float64Array;
  readonly txIndex: Int32Array;
  /** Customers in all groups. */
  readonly customers: number;
}

function distinct(values: ArrayLike<number>): { values: Float64Array; index: Int32Array } {
  const sorted = [...new Set(Array.from(values))].sort((p, q) => p - q);
  const position = new Map(sorted.map((v, i) => [v, i]));
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) index[i] = position.get(values[i])!;
  return { values: Float64Array.from(sorted), index };
}

/** Groups summaries by equal (x, tₓ, T); throws on a summary the model cannot take. */
export function groupCustomers(summaries: Iterable<RecencyFrequency>): CustomerGroups {
  const byKey = new Map<string, { s: RecencyFrequency; n: number }>();
  let customers = 0;
  for (const s of summaries) {
    if (!(Number.isInteger(s.x) && s.x >= 0 && s.tx >= 0 && s.T >= s.tx && Number.isFinite(s.T)) || (s.x === 0 && s.tx !== 0)) {
      throw new RangeError(`not a recency-frequency summary: ${JSON.stringify(s)}`);
    }
    const key = `${s.x} ${s.tx} ${s.T}`;
    const group = byKey.get(key);
    if (group) group.n++;
    else byKey.set(key, { s, n: 1 });
    customers++;
  }
  const groups = [...byKey.values()];
  const x = Int32Array.from(groups, (g) => g.s.x);
  const tx = Float64Array.from(groups, (g) => g.s.tx);
  const T = Float64Array.from(groups, (g) => g.s.T);
  const xs = distinct(x);
  const Ts = distinct(T);
  const txs = distinct(tx);
  return {
    length: groups.length,
    x,
    tx,
    T,
    count: Float64Array.from(groups, (g) => g.n),
    xValues: Int32Array.from(xs.values),
    xIndex: xs.index,
    TValues: Ts.values,
    TIndex: Ts.index,
    txValues: txs.values,
    txIndex: txs.index,
    customers,
  };
}
