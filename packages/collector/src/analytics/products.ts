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
  const byId = new Map<string, Acc>();
  const acc = (productId: string): Acc => {
    let a = byId.get(productId);
    if (!a) {
      a = {
        stats: {
          productId,
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
      byId.set(productId, a);
    }
    return a;
  };
  const viewed = view.names.id(PRODUCT_VIEWED);
  const added = view.names.id(PRODUCT_ADDED);
  const removed = view.names.id(PRODUCT_REMOVED);
  const ordered = view.names.id(ORDER_COMPLETED);
  // An order resent under a new messageId is one order.
  const orders = new Set<string>();

  for (let i = 0; i < view.length; i++) {
    const name = view.name[i];
    if (name < 0 || (name !== viewed && name !== added && name !== removed && name !== ordered)) continue;
    const t = view.ts[i];
    if (t < from || t >= to) continue;
    const profile = profiles.ofRow[i];
    const cart = view.cart[i] >= 0 ? view.carts[view.cart[i]] : undefined;
    if (name === ordered) {
      if (cart?.orderId !== undefined) {
        if (orders.has(cart.orderId)) continue;
        orders.add(cart.orderId);
      }
      const seen = new Set<string>();
      for (const line of cart?.products ?? []) {
        const a = acc(line.productId);
        const quantity = line.quantity !== undefined && line.quantity > 0 ? line.quantity : 1;
        if (!seen.has(line.productId)) a.stats.purchases++;
        seen.add(line.productId);
        a.stats.units += quantity;
        a.stats.revenue += (line.price ?? 0) * quantity;
        if (line.name) a.stats.name = line.name;
        a.buyers.add(profile);
      }
      continue;
    }
    const productId = view.products.value(view.product[i]);
    if (productId === null) continue;
    const a = acc(productId);
    if (cart?.name) a.stats.name = cart.name;
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
    for (const productId of new Set(cart.items.map((item) => item.product_id))) acc(productId).stats.timesAbandoned++;
  }

  return [...byId.values()]
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
