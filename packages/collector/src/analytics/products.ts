// Product statistics (issue 5, products export), over facts with time in [from, to).
//
// Decisions where the issue is silent:
//  - views / adds / removes count events; purchases counts orders whose products[] hold the
//    product (once per order; Order Completed events with the same order_id are one order), units sums their quantities (default 1), revenue sums price x
//    quantity of those lines (one currency per shop is assumed; amounts are not converted).
//  - Rates are per stitched profile, so that they stay within 0..1 and a shopper who views a
//    product ten times counts once: viewToCartRate = profiles that viewed and added / profiles
//    that viewed; cartToPurchaseRate = profiles that added and bought / profiles that added.
//  - timesAbandoned = abandoned carts (from carts.ts, abandoned in [from, to)) holding the product.
import type { AbandonedCart } from './carts';
import { assertSameRows, ORDER_COMPLETED, PRODUCT_ADDED, PRODUCT_REMOVED, PRODUCT_VIEWED, type FactView } from './facts';
import type { ProfileIndex } from './profiles';

export interface ProductStats {
  productId: string;
  /** The last name seen on a product event, if any. */
  name: string | null;
  views: number;
  adds: number;
  removes: number;
  purchases: number;
  units: number;
  revenue: number;
  viewToCartRate: number | null;
  cartToPurchaseRate: number | null;
  timesAbandoned: number;
}

interface Acc {
  stats: ProductStats;
  viewers: Set<number>;
  adders: Set<number>;
  buyers: Set<number>;
}

/** Per-product figures, ordered by productId. */
export function productStats(
  view: FactView,
  profiles: ProfileIndex,
  abandoned: readonly AbandonedCart[],
  range: { from?: number; to?: number } = {},
): ProductStats[] {
  assertSameRows(view, profiles, 'profiles');
  const from = range.from ?? -Infinity;
  const to = range.to ?? Infinity;
  const carts = view.carts;
  // By product code (the same dictionary for product events, cart entries and order lines).
  const byCode = new Map<number, Acc>();
  const acc = (code: number): Acc => {
    let a = byCode.get(code);
    if (!a) {
      a = {
        stats: {
          productId: view.products.value(code)!,
          name: null,
          views: 0,
          adds: 0,
          removes: 0,
          purchases: 0,
          units: 0,
          revenue: 0,
          viewToCartRate: null,
          cartToPurchaseRate: null,
          timesAbandoned: 0,
        },
        viewers: new Set(),
        adders: new Set(),
        buyers: new Set(),
      };
      byCode.set(code, a);
    }
    return a;
  };
  const viewed = view.names.id(PRODUCT_VIEWED);
  const added = view.names.id(PRODUCT_ADDED);
  const removed = view.names.id(PRODUCT_REMOVED);
  const ordered = view.names.id(ORDER_COMPLETED);
  // An order resent under a new messageId is one order: order ids seen, by code.
  const orders = new Uint8Array(carts.orderIds.size);
  const lines = carts.lines;
  const nameOf = (code: number) => (code < 0 ? null : carts.names.value(code));

  for (let i = 0; i < view.length; i++) {
    const name = view.name[i];
    if (name < 0 || (name !== viewed && name !== added && name !== removed && name !== ordered)) continue;
    const t = view.ts[i];
    if (t < from || t >= to) continue;
    const profile = profiles.ofRow[i];
    const k = view.cart[i];
    if (name === ordered) {
      const o = k >= 0 ? carts.order[k] : -1;
      if (o < 0) continue;
      const orderId = carts.orders.orderId[o];
      if (orderId >= 0) {
        if (orders[orderId]) continue;
        orders[orderId] = 1;
      }
      const seen = new Set<number>();
      const first = carts.orders.lineStart[o];
      for (let l = first; l < first + carts.orders.lineCount[o]; l++) {
        const product = lines.product[l];
        if (product < 0) continue;
        const a = acc(product);
        const q = lines.quantity[l];
        const quantity = q > 0 ? q : 1;
        if (!seen.has(product)) a.stats.purchases++;
        seen.add(product);
        a.stats.units += quantity;
        a.stats.revenue += (Number.isNaN(lines.price[l]) ? 0 : lines.price[l]) * quantity;
        const lineName = nameOf(lines.name[l]);
        if (lineName) a.stats.name = lineName;
        a.buyers.add(profile);
      }
      continue;
    }
    const product = view.product[i];
    if (product < 0) continue;
    const a = acc(product);
    const cartName = k >= 0 ? nameOf(carts.name[k]) : null;
    if (cartName) a.stats.name = cartName;
    if (name === viewed) {
      a.stats.views++;
      a.viewers.add(profile);
    } else if (name === added) {
      a.stats.adds++;
      a.adders.add(profile);
    } else a.stats.removes++;
  }

  for (const cart of abandoned) {
    const at = Date.parse(cart.abandonedAt);
    if (at < from || at >= to) continue;
    for (const productId of new Set(cart.items.map((item) => item.product_id))) acc(view.products.id(productId)).stats.timesAbandoned++;
  }

  return [...byCode.values()]
    .map(({ stats, viewers, adders, buyers }) => {
      stats.revenue = Math.round(stats.revenue * 100) / 100;
      stats.viewToCartRate = rate(overlap(viewers, adders), viewers.size);
      stats.cartToPurchaseRate = rate(overlap(adders, buyers), adders.size);
      return stats;
    })
    .sort((x, y) => (x.productId < y.productId ? -1 : x.productId > y.productId ? 1 : 0));
}

function overlap(a: Set<number>, b: Set<number>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

const rate = (x: number, of: number): number | null => (of > 0 ? Math.round((x / of) * 10000) / 10000 : null);
