// Orders per stitched profile (issue 15 "Orders"): what customer statistics, RFM segments and the
// purchase model read, worked out once and the same for all of them.
//  - An order is an Order Completed event with its time at or before `asOf` (nothing after it is
//    read: "as if that day were today"), counted once per order_id within a profile: a resent
//    order (another messageId, same order_id) is the first one stored at the earliest time. An
//    order without an order_id counts every time.
//  - Its amount is `revenue`, else `total`, else the sum of its products' price x quantity (a line
//    without a price counts 0, without a quantity 1); its currency is the event's `currency`,
//    upper-cased (`eur` and `EUR` are one currency), null when absent. Amounts are never summed
//    across currencies here or by anyone reading these rows.
//  - Rows the view's mask leaves out (bots' events unless `includeBots`, rows.ts) have no profile
//    and so no order: Analytics.orders() reads through the engine's scope.
// The rows are columns sorted by profile, then time, then storage row, with each profile's range
// in `offsets`: one pass over the fact table's name column and a counting sort, no object per
// order. `row` leads back to the event's fact row (channel, device, product lines).
import { assertSameRows, ORDER_COMPLETED, type FactView } from './facts';
import type { ProfileIndex } from './profiles';
import type { RowOptions } from './rows';

/** Options of ordersOf (includeBots chooses the engine's scope, Analytics.orders). */
export interface OrderOptions extends RowOptions {
  /** Orders with a time at or before this (epoch ms) are read. @defaultValue Infinity */
  asOf?: number;
}

/** Every order up to asOf, as columns sorted by profile, then time. */
export interface OrderRows {
  readonly count: number;
  /** The inclusive time bound the rows were read with (epoch ms). */
  readonly asOf: number;
  /** Profile number (ProfileIndex) of each order. */
  readonly profile: Int32Array;
  /** Order time, epoch ms. */
  readonly ts: Float64Array;
  /** The order's amount in its currency (0 when it names no amount at all). */
  readonly amount: Float64Array;
  /** Index into `currencies`; -1 when the order has no currency. */
  readonly currency: Int32Array;
  /** Upper-cased currency codes, in order of first appearance. */
  readonly currencies: readonly string[];
  /** The fact row of the order's event (its channel, device and product lines). */
  readonly row: Int32Array;
  /** Orders of profile p are [offsets[p], offsets[p + 1]); length profiles.count + 1. */
  readonly offsets: Int32Array;
  /** The profiles the rows refer to (built from `view`). */
  readonly profiles: ProfileIndex;
  /** The fact view the rows were read from. */
  readonly view: FactView;
  /** The order_id of order k, or null. */
  orderId(k: number): string | null;
}

/** The orders of every profile of `view` up to asOf (see the top of this file). */
export function ordersOf(view: FactView, profiles: ProfileIndex, options: OrderOptions = {}): OrderRows {
  assertSameRows(view, profiles, 'profiles');
  const asOf = options.asOf ?? Infinity;
  const ordered = view.names.id(ORDER_COMPLETED);
  const carts = view.carts;

  // Candidate rows, then grouped by profile with a counting sort (stable: storage order).
  let n = 0;
  const candidates: number[] = [];
  if (ordered >= 0) {
    for (let i = 0; i < view.length; i++) {
      if (view.name[i] !== ordered || view.ts[i] > asOf || profiles.ofRow[i] < 0) continue;
      candidates.push(i);
      n++;
    }
  }
  const counts = new Int32Array(profiles.count + 1);
  for (const i of candidates) counts[profiles.ofRow[i] + 1]++;
  for (let p = 0; p < profiles.count; p++) counts[p + 1] += counts[p];
  const next = counts.slice(0, profiles.count);
  const grouped = new Int32Array(n);
  for (const i of candidates) grouped[next[profiles.ofRow[i]]++] = i;
  // Rows mostly arrive in time order; sort only the groups that did not.
  for (let p = 0; p < profiles.count; p++) sortGroup(grouped, counts[p], counts[p + 1], view.ts);

  // Drop resent orders (the same order_id again in the profile), keeping the earliest.
  const profile = new Int32Array(n);
  const ts = new Float64Array(n);
  const amount = new Float64Array(n);
  const currency = new Int32Array(n);
  const row = new Int32Array(n);
  const orderCode = new Int32Array(n);
  const offsets = new Int32Array(profiles.count + 1);
  const currencies: string[] = [];
  const currencyIndex = new Map<number, number>();
  const seen = new Set<number>();
  let k = 0;
  for (let p = 0; p < profiles.count; p++) {
    offsets[p] = k;
    seen.clear();
    for (let j = counts[p]; j < counts[p + 1]; j++) {
      const i = grouped[j];
      const e = view.cart[i];
      const o = e >= 0 ? carts.order[e] : -1;
      const id = o >= 0 ? carts.orders.orderId[o] : -1;
      if (id >= 0) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      profile[k] = p;
      ts[k] = view.ts[i];
      amount[k] = o >= 0 ? orderAmount(view, o) : 0;
      const c = e >= 0 ? carts.currency[e] : -1;
      let ci = -1;
      if (c >= 0) {
        ci = currencyIndex.get(c) ?? -1;
        if (ci < 0) {
          const code = carts.currencies.value(c)!.trim().toUpperCase();
          ci = currencies.indexOf(code);
          if (ci < 0) ci = currencies.push(code) - 1;
          currencyIndex.set(c, ci);
        }
      }
      currency[k] = ci;
      row[k] = i;
      orderCode[k] = id;
      k++;
    }
  }
  offsets[profiles.count] = k;
  return {
    count: k,
    asOf,
    profile: profile.subarray(0, k),
    ts: ts.subarray(0, k),
    amount: amount.subarray(0, k),
    currency: currency.subarray(0, k),
    currencies,
    row: row.subarray(0, k),
    offsets,
    profiles,
    view,
    orderId: (i) => carts.orderIds.value(orderCode[i]),
  };
}

/** An order's amount: its revenue, else its total, else the sum of its lines' price x quantity. */
export function orderAmount(view: FactView, o: number): number {
  const { orders, lines } = view.carts;
  if (!Number.isNaN(orders.revenue[o])) return orders.revenue[o];
  if (!Number.isNaN(orders.total[o])) return orders.total[o];
  let sum = 0;
  for (let l = orders.lineStart[o]; l < orders.lineStart[o] + orders.lineCount[o]; l++) {
    sum += (Number.isNaN(lines.price[l]) ? 0 : lines.price[l]) * (Number.isNaN(lines.quantity[l]) ? 1 : lines.quantity[l]);
  }
  return sum;
}

// Sorts rows[from..to) by (time, row); rows are distinct and start in row order.
function sortGroup(rows: Int32Array, from: number, to: number, ts: Float64Array): void {
  for (let i = from + 1; i < to; i++) {
    if (ts[rows[i]] < ts[rows[i - 1]]) {
      const part = Array.from(rows.subarray(from, to)).sort((a, b) => ts[a] - ts[b] || a - b);
      rows.set(part, from);
      return;
    }
  }
}
