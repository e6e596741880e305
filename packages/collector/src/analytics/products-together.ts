// Products bought together (issue 15 point 4): pairs of products in the same order, with the
// figures of association rules.
//
//  - Orders are orders.ts's (once per order_id within a profile) of the scope (bots out by
//    default), with time in [from, to) and their event kept by the filter; an order counts when
//    it holds at least one product line. Each product counts once per order, whatever its lines.
//  - For products A and B: orders = orders holding both; support = orders / all orders counted;
//    confidenceAToB = orders / orders holding A (how often A's buyers took B along); lift =
//    confidenceAToB / (orders holding B / all orders): above 1 they go together more often than
//    chance would have them.
//  - Bounded: pairs bought together in at least `minOrders` orders (default 2: one order is an
//    anecdote), the `limit` with the most orders (default 100, at most 10,000), ties by lift, then
//    product ids. An order of more than 100 distinct products (a wholesale order, a test) adds no
//    pairs: its 4,950+ pairs would say little and cost much; it still counts in the totals.
import { ordersOf } from './orders';
import type { Scope } from './rows';

/** @defaultValue pairs bought together at least twice */
export const DEFAULT_MIN_ORDERS = 2;
export const DEFAULT_PAIR_LIMIT = 100;
export const MAX_PAIR_LIMIT = 10_000;
/** Orders with more distinct products than this add no pairs. */
export const MAX_ORDER_PRODUCTS = 100;

export interface ProductPair {
  productA: string;
  nameA: string | null;
  productB: string;
  nameB: string | null;
  /** Orders holding both. */
  orders: number;
  ordersA: number;
  ordersB: number;
  support: number;
  confidenceAToB: number;
  confidenceBToA: number;
  lift: number;
}

export interface PairOptions {
  asOf: number;
  from?: number;
  to?: number;
  /** The rows a filter keeps (filters.ts); null: every row of the scope. */
  keep?: Uint8Array | null;
  minOrders?: number;
  limit?: number;
}

/** The pairs of products bought together most often (see the top of this file). */
export function productsTogether(scope: Scope, options: PairOptions): ProductPair[] {
  const { view } = scope;
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const keep = options.keep ?? null;
  const minOrders = options.minOrders ?? DEFAULT_MIN_ORDERS;
  const limit = Math.min(options.limit ?? DEFAULT_PAIR_LIMIT, MAX_PAIR_LIMIT);
  const { carts } = view;
  const lines = carts.lines;
  const P = view.products.size;
  const single = new Int32Array(P);
  const names: (string | null)[] = new Array(P).fill(null);
  const pairs = new Map<number, number>();
  let total = 0;
  const inOrder: number[] = [];
  const orders = ordersOf(view, scope.profiles(), { asOf: options.asOf });
  for (let k = 0; k < orders.count; k++) {
    const row = orders.row[k];
    if ((keep !== null && keep[row] === 0) || orders.ts[k] < from || orders.ts[k] >= to) continue;
    const o = view.cart[row] >= 0 ? carts.order[view.cart[row]] : -1;
    if (o < 0) continue;
    inOrder.length = 0;
    for (let l = carts.orders.lineStart[o]; l < carts.orders.lineStart[o] + carts.orders.lineCount[o]; l++) {
      const product = lines.product[l];
      if (product < 0) continue;
      if (lines.name[l] >= 0) names[product] = carts.names.value(lines.name[l]);
      if (!inOrder.includes(product)) inOrder.push(product);
    }
    if (inOrder.length === 0) continue;
    total++;
    for (const product of inOrder) single[product]++;
    if (inOrder.length > MAX_ORDER_PRODUCTS) continue;
    for (let x = 0; x < inOrder.length; x++) {
      for (let y = x + 1; y < inOrder.length; y++) {
        const a = Math.min(inOrder[x], inOrder[y]);
        const b = Math.max(inOrder[x], inOrder[y]);
        const key = a * P + b;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
  }

  const out: ProductPair[] = [];
  for (const [key, both] of pairs) {
    if (both < minOrders) continue;
    let a = Math.floor(key / P);
    let b = key - a * P;
    // A before B by product id, so that a pair reads the same in every export.
    if (view.products.value(b)! < view.products.value(a)!) [a, b] = [b, a];
    out.push({
      productA: view.products.value(a)!,
      nameA: names[a],
      productB: view.products.value(b)!,
      nameB: names[b],
      orders: both,
      ordersA: single[a],
      ordersB: single[b],
      support: round(both / total),
      confidenceAToB: round(both / single[a]),
      confidenceBToA: round(both / single[b]),
      lift: round((both * total) / (single[a] * single[b])),
    });
  }
  return out
    .sort((x, y) => y.orders - x.orders || y.lift - x.lift || compare(x.productA, y.productA) || compare(x.productB, y.productB))
    .slice(0, limit);
}

const round = (x: number) => Math.round(x * 10000) / 10000;
const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
