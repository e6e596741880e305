// Customers with the same summary (x, tₓ, T) contribute the same term to the BG/NBD likelihood and
// get the same prediction, so the fit and the predictions run over the distinct summaries, each
// weighted by its number of customers: the 2,357 CDNOW customers are 1,016 groups, a shop's
// 100,000 customers a few tens of thousands. Times are whole days (purchases of one UTC day are
// one purchase), which makes a summary three integers. The summaries' distinct values of x, tₓ
// and T are indexed once, so that an evaluation of the likelihood computes ln Γ and ln(α + T)
// per distinct value, not per group.

/** Customers' recency-frequency summaries as columns, times in whole days. */
export interface SummaryColumns {
  /** Repeat purchase days (purchase days after the first) in the period. */
  x: ArrayLike<number>;
  /** Days from the first purchase to the last repeat purchase (0 when x = 0). */
  txDays: ArrayLike<number>;
  /** Days from the first purchase to the end of the period. */
  TDays: ArrayLike<number>;
}

/** Distinct summaries and how many customers have each, with indexes into their distinct values. */
export interface CustomerGroups {
  readonly length: number;
  readonly x: Int32Array;
  /** tₓ and T in weeks (days / 7). */
  readonly tx: Float64Array;
  readonly T: Float64Array;
  /** Customers in each group (a weight in the likelihood). */
  readonly count: Float64Array;
  /** Distinct x values, and each group's index into them. */
  readonly xValues: Int32Array;
  readonly xIndex: Int32Array;
  /** Distinct T values (weeks), and each group's index into them. */
  readonly TValues: Float64Array;
  readonly TIndex: Int32Array;
  /** Distinct tₓ values (weeks), and each group's index into them. */
  readonly txValues: Float64Array;
  readonly txIndex: Int32Array;
  /** The group of each customer of the input. */
  readonly ofCustomer: Int32Array;
  /** Customers in all groups. */
  readonly customers: number;
}

export const DAYS_PER_WEEK = 7;

function distinct(values: Int32Array): { values: Int32Array; index: Int32Array } {
  const sorted = Int32Array.from(new Set(values)).sort();
  const position = new Map<number, number>();
  sorted.forEach((v, i) => position.set(v, i));
  return { values: sorted, index: values.map((v) => position.get(v)!) };
}

const weeks = (days: Int32Array) => Float64Array.from(days, (d) => d / DAYS_PER_WEEK);

/** Groups customers by equal (x, tₓ, T); throws on a summary the model cannot take. */
export function groupCustomers(columns: SummaryColumns): CustomerGroups {
  const n = columns.x.length;
  const ofCustomer = new Int32Array(n);
  const byKey = new Map<number, number>();
  const gx: number[] = [];
  const gtx: number[] = [];
  const gT: number[] = [];
  const count: number[] = [];
  let maxDay = 0;
  let maxX = 0;
  for (let i = 0; i < n; i++) {
    maxDay = Math.max(maxDay, columns.TDays[i]);
    maxX = Math.max(maxX, columns.x[i]);
  }
  // A number, not a string, keys a group: x, tₓ, T as digits in base (longest T + 1).
  const base = maxDay + 1;
  if (!Number.isSafeInteger((maxX + 1) * base * base)) throw new RangeError('summaries too large to group');
  for (let i = 0; i < n; i++) {
    const x = columns.x[i];
    const tx = columns.txDays[i];
    const T = columns.TDays[i];
    if (!(Number.isInteger(x) && Number.isInteger(tx) && Number.isInteger(T) && x >= 0 && tx >= 0 && T >= tx && (x > 0 || tx === 0))) {
      throw new RangeError(`not a recency-frequency summary in days: x=${x}, tx=${tx}, T=${T}`);
    }
    const key = (x * base + tx) * base + T;
    let g = byKey.get(key);
    if (g === undefined) {
      g = gx.length;
      byKey.set(key, g);
      gx.push(x);
      gtx.push(tx);
      gT.push(T);
      count.push(0);
    }
    count[g]++;
    ofCustomer[i] = g;
  }
  const x = Int32Array.from(gx);
  const txDays = Int32Array.from(gtx);
  const TDays = Int32Array.from(gT);
  const xs = distinct(x);
  const Ts = distinct(TDays);
  const txs = distinct(txDays);
  return {
    length: gx.length,
    x,
    tx: weeks(txDays),
    T: weeks(TDays),
    count: Float64Array.from(count),
    xValues: xs.values,
    xIndex: xs.index,
    TValues: weeks(Ts.values),
    TIndex: Ts.index,
    txValues: weeks(txs.values),
    txIndex: txs.index,
    ofCustomer,
    customers: n,
  };
}
