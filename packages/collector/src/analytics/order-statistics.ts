// Two small structures for the RFM history (rfm-history.ts): a Fenwick tree of counts that answers
// "the k-th smallest value" of a multiset while values come and go, and a series of numbers (one
// per day) with a segment tree of minima and maxima that answers "the first day in a range whose
// value is at least / below v" in O(log days).

/** A multiset of the integers 1..size: add, remove, k-th smallest. */
export class CountTree {
  private readonly tree: Int32Array;
  private readonly top: number;
  total = 0;

  constructor(readonly size: number) {
    this.tree = new Int32Array(size + 1);
    let top = 1;
    while (top * 2 <= size) top *= 2;
    this.top = top;
  }

  add(index: number, delta: number): void {
    this.total += delta;
    for (let i = index; i <= this.size; i += i & -i) this.tree[i] += delta;
  }

  /** The k-th smallest index (1-based k, 1 <= k <= total). */
  kth(k: number): number {
    let at = 0;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = at + step;
      if (next <= this.size && this.tree[next] < k) {
        at = next;
        k -= this.tree[next];
      }
    }
    return at + 1;
  }
}

/** Numbers by position 0..length-1 (NaN: none) with range searches. */
export class Series {
  readonly values: Float64Array;
  private readonly size: number;
  private max!: Float64Array;
  private min!: Float64Array;

  constructor(readonly length: number) {
    this.values = new Float64Array(length).fill(NaN);
    let size = 1;
    while (size < length) size *= 2;
    this.size = size;
  }

  /** Builds the search tree; call once every value is set. NaN never matches a search. */
  seal(): void {
    const size = this.size;
    this.max = new Float64Array(2 * size).fill(-Infinity);
    this.min = new Float64Array(2 * size).fill(Infinity);
    for (let i = 0; i < this.length; i++) {
      const v = this.values[i];
      if (Number.isNaN(v)) continue;
      this.max[size + i] = v;
      this.min[size + i] = v;
    }
    for (let i = size - 1; i > 0; i--) {
      this.max[i] = Math.max(this.max[2 * i], this.max[2 * i + 1]);
      this.min[i] = Math.min(this.min[2 * i], this.min[2 * i + 1]);
    }
  }

  /** The first position in [lo, hi] whose value is >= v; -1 if none. */
  firstAtLeast(lo: number, hi: number, v: number): number {
    return this.find(1, 0, this.size - 1, lo, hi, v, true);
  }

  /** The first position in [lo, hi] whose value is < v; -1 if none. */
  firstBelow(lo: number, hi: number, v: number): number {
    return this.find(1, 0, this.size - 1, lo, hi, v, false);
  }

  private find(node: number, nl: number, nr: number, lo: number, hi: number, v: number, atLeast: boolean): number {
    if (nr < lo || nl > hi) return -1;
    if (atLeast ? !(this.max[node] >= v) : !(this.min[node] < v)) return -1;
    if (nl === nr) return nl;
    const mid = (nl + nr) >> 1;
    const left = this.find(2 * node, nl, mid, lo, hi, v, atLeast);
    return left >= 0 ? left : this.find(2 * node + 1, mid + 1, nr, lo, hi, v, atLeast);
  }
}
