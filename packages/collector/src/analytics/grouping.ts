// Grouping rows by a key (session, visitor, profile) with each group in event order, without a
// global sort: a counting sort by key keeps row order (= storage order) inside each group, and
// rows mostly arrive in time order, so the per-group sort by time usually finds nothing to do.
import { scratch } from './scratch';

/** Rows grouped by key: group k is order[offsets[k] .. offsets[k + 1]). */
export interface Groups {
  order: Int32Array;
  offsets: Int32Array;
}

/**
 * Groups `rows` (row numbers in increasing order, `count` of them) by `keyOf[row]` (0 ..
 * keyCount - 1; rows with a negative key must not be passed). Each group is in event order:
 * time, then row (the storage order, which breaks ties of equal times). With `reuse`, the
 * result lives in scratch buffers (scratch.ts) and is valid until the next reusing call.
 */
export function groupRows(rows: Int32Array, count: number, keyOf: Int32Array, keyCount: number, ts: Float64Array, reuse = false): Groups {
  const offsets = reuse ? scratch('group.offsets', keyCount + 1).fill(0) : new Int32Array(keyCount + 1);
  for (let j = 0; j < count; j++) offsets[keyOf[rows[j]] + 1]++;
  for (let k = 0; k < keyCount; k++) offsets[k + 1] += offsets[k];
  const next = reuse ? scratch('group.next', keyCount) : new Int32Array(keyCount);
  next.set(offsets.subarray(0, keyCount));
  const order = reuse ? scratch('group.order', count) : new Int32Array(count);
  for (let j = 0; j < count; j++) {
    const row = rows[j];
    order[next[keyOf[row]]++] = row;
  }
  for (let k = 0; k < keyCount; k++) sortByTime(order, offsets[k], offsets[k + 1], ts);
  return { order, offsets };
}

/** Sorts order[from..to) by (ts, row). Rows are distinct, so the order is total. */
export function sortByTime(order: Int32Array, from: number, to: number, ts: Float64Array): void {
  let sorted = true;
  for (let i = from + 1; i < to; i++) {
    if (ts[order[i]] < ts[order[i - 1]]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  if (to - from <= 64) {
    // Insertion sort: the group is small, and rows that arrived late are few and near their place.
    for (let i = from + 1; i < to; i++) {
      const row = order[i];
      const t = ts[row];
      let j = i - 1;
      while (j >= from && (ts[order[j]] > t || (ts[order[j]] === t && order[j] > row))) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = row;
    }
    return;
  }
  const part = Array.from(order.subarray(from, to)).sort((a, b) => ts[a] - ts[b] || a - b);
  order.set(part, from);
}
