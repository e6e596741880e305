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
//
// Who viewed, added and bought what is kept as one integer per event or order line (the profile
// and what it did), grouped by product afterwards, not as a set of profiles per product: at 5M
// events those sets held millions of entries on the heap for the length of the export.
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

const VIEWED = 1;
const ADDED = 2;
const BOUGHT = 3;

/** (product, profile and what it did) pairs in row order, packed in two growing arrays. */
class Touches {
  length = 0;
  product = new Int32Array(1024);
  // (profile + 1) << 2 | VIEWED, ADDED or BOUGHT.
  who = new Int32Array(1024);

  add(product: number, profile: number, kind: number): void {
    if (this.length === this.product.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.product = grow(this.product);
      this.who = grow(this.who);
    }
    this.product[this.length] = product;
    this.who[this.length++] = ((profile + 1) << 2) | kind;
  }
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
  const byCode: (ProductStats | undefined)[] = [];
  const acc = (code: number): ProductStats =>
    (byCode[code] ??= {
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
    });
  const touches = new Touches();
  const viewed = view.names.id(PRODUCT_VIEWED);
  const added = view.names.id(PRODUCT_ADDED);
  const removed = view.names.id(PRODUCT_REMOVED);
  const ordered = view.names.id(ORDER_COMPLETED);
  // An order resent under a new messageId is one order: order ids seen, by code.
  const orders = new Uint8Array(carts.orderIds.size);
  const lines = carts.lines;
  const nameOf = (code: number) => (code < 0 ? null : carts.names.value(code));
  const inOrder = new Set<number>();

  for (let i = 0; i < view.length; i++) {
    const name = view.name[i];
    if (name < 0 || (name !== viewed && name !== added && name !== removed && name !== ordered)) continue;
    const t = view.ts[i];
    if (t < from || t >= to) continue;
    const profile = profiles.ofRow[i];
    // No profile: a row the view's mask leaves out (a bot's; rows.ts), or one without any id.
    if (profile < 0) continue;
    const k = view.cart[i];
    if (name === ordered) {
      const o = k >= 0 ? carts.order[k] : -1;
      if (o < 0) continue;
      const orderId = carts.orders.orderId[o];
      if (orderId >= 0) {
        if (orders[orderId]) continue;
        orders[orderId] = 1;
      }
      const first = carts.orders.lineStart[o];
      const end = first + carts.orders.lineCount[o];
      inOrder.clear();
      for (let l = first; l < end; l++) {
        const product = lines.product[l];
        if (product < 0) continue;
        const a = acc(product);
        const q = lines.quantity[l];
        const quantity = q > 0 ? q : 1;
        // Once per order, however many lines of it hold the product.
        if (!inOrder.has(product)) a.purchases++;
        inOrder.add(product);
        a.units += quantity;
        a.revenue += (Number.isNaN(lines.price[l]) ? 0 : lines.price[l]) * quantity;
        const lineName = nameOf(lines.name[l]);
        if (lineName) a.name = lineName;
        touches.add(product, profile, BOUGHT);
      }
      continue;
    }
    const product = view.product[i];
    if (product < 0) continue;
    const a = acc(product);
    const cartName = k >= 0 ? nameOf(carts.name[k]) : null;
    if (cartName) a.name = cartName;
    if (name === viewed) {
      a.views++;
      touches.add(product, profile, VIEWED);
    } else if (name === added) {
      a.adds++;
      touches.add(product, profile, ADDED);
    } else a.removes++;
  }

  for (const cart of abandoned) {
    const at = Date.parse(cart.abandonedAt);
    if (at < from || at >= to) continue;
    for (const productId of new Set(cart.items.map((item) => item.product_id))) {
      const code = view.products.id(productId);
      if (code >= 0) acc(code).timesAbandoned++;
    }
  }

  rates(touches, byCode, profiles.count);
  return byCode
    .filter((stats): stats is ProductStats => stats !== undefined)
    .map((stats) => {
      stats.revenue = Math.round(stats.revenue * 100) / 100;
      return stats;
    })
    .sort((x, y) => (x.productId < y.productId ? -1 : x.productId > y.productId ? 1 : 0));
}

// viewToCartRate and cartToPurchaseRate of every product, from its touches grouped by product.
function rates(touches: Touches, byCode: (ProductStats | undefined)[], profileCount: number): void {
  const offsets = new Int32Array(byCode.length + 1);
  for (let j = 0; j < touches.length; j++) offsets[touches.product[j] + 1]++;
  for (let c = 0; c < byCode.length; c++) offsets[c + 1] += offsets[c];
  const grouped = new Int32Array(touches.length);
  const next = offsets.slice(0, byCode.length);
  for (let j = 0; j < touches.length; j++) grouped[next[touches.product[j]]++] = touches.who[j];
  // What each profile did with the product at hand: bits 1 viewed, 2 added, 4 bought.
  const did = new Uint8Array(profileCount + 1);
  for (let c = 0; c < byCode.length; c++) {
    const stats = byCode[c];
    if (!stats) continue;
    for (let j = offsets[c]; j < offsets[c + 1]; j++) did[grouped[j] >> 2] |= 1 << ((grouped[j] & 3) - 1);
    let viewers = 0;
    let adders = 0;
    let viewedAndAdded = 0;
    let addedAndBought = 0;
    for (let j = offsets[c]; j < offsets[c + 1]; j++) {
      const p = grouped[j] >> 2;
      const bits = did[p];
      if (bits === 0) continue; // counted already
      if (bits & 1) viewers++;
      if (bits & 2) adders++;
      if ((bits & 3) === 3) viewedAndAdded++;
      if ((bits & 6) === 6) addedAndBought++;
      did[p] = 0;
    }
    stats.viewToCartRate = rate(viewedAndAdded, viewers);
    stats.cartToPurchaseRate = rate(addedAndBought, adders);
  }
}

const rate = (x: number, of: number): number | null => (of > 0 ? Math.round((x / of) * 10000) / 10000 : null);
