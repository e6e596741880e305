// Product statistics (issue 15 point 4), over the rows of a scope (bots out by default) that a
// filter keeps, with time in [from, to).
//
// Decisions where the issue is silent:
//  - views, adds and removes count events (Product Viewed / Added / Removed).
//  - checkouts: Checkout Started events, each counting the products the profile's cart held at
//    that moment (the cart as carts.ts replays it). The SDK sends the cart's products with the
//    event, other clients often send none; the replayed cart is there either way.
//  - orders: orders holding the product (orders.ts: once per order_id within a profile), units the
//    quantities of its lines (default 1), revenue price x quantity of those lines per currency
//    (the line's currency, else the order's, upper-cased; never summed across currencies; rounded
//    to cents).
//  - Rates are per stitched profile, so that they stay within 0..1 and a shopper who views a
//    product ten times counts once: viewToCartRate = profiles that viewed and added / profiles
//    that viewed; viewToOrderRate = viewed and ordered / viewed; cartToOrderRate = added and
//    ordered / added.
//  - carts: carts (from the first item to empty again, carts.ts) that held the product, opened in
//    the range; cartsAbandoned: those of them abandoned while holding it; abandonmentRate their
//    quotient. A cart and a checkout count where their last activity is kept by the filter (the
//    device of a cart is where it was left), every other figure where its event is.
// Who viewed, added and bought what is kept as one integer per event or order line (the profile
// and what it did), grouped by product afterwards: sets of profiles per product held millions of
// entries on the heap at 5M events.
import { abandonments, type CartOptions } from './carts';
import { PRODUCT_ADDED, PRODUCT_REMOVED, PRODUCT_VIEWED } from './facts';
import { ordersOf } from './orders';
import type { Scope } from './rows';

/** An amount in one currency (null: the events named none). */
export interface CurrencyAmount {
  currency: string | null;
  amount: number;
}

export interface ProductStats {
  productId: string;
  /** The last name seen on a product event, if any. */
  name: string | null;
  views: number;
  adds: number;
  removes: number;
  checkouts: number;
  orders: number;
  units: number;
  /** Per currency, sorted by currency (no currency last). */
  revenue: CurrencyAmount[];
  viewToCartRate: number | null;
  viewToOrderRate: number | null;
  cartToOrderRate: number | null;
  carts: number;
  cartsAbandoned: number;
  abandonmentRate: number | null;
}

export interface ProductOptions extends CartOptions {
  /** The rows a filter keeps (filters.ts); null: every row of the scope. */
  keep?: Uint8Array | null;
}

const VIEWED = 1;
const ADDED = 2;
const BOUGHT = 3;

/** (product, profile and what it did) pairs, packed in two growing arrays. */
class Touches {
  length = 0;
  product = new Int32Array(1024);
  // profile << 2 | VIEWED, ADDED or BOUGHT.
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
    this.who[this.length++] = (profile << 2) | kind;
  }
}

/** Per-product figures, ordered by productId. */
export function productStats(scope: Scope, options: ProductOptions): ProductStats[] {
  const { view } = scope;
  const profiles = scope.profiles();
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  const keep = options.keep ?? null;
  const kept = (row: number) => keep === null || keep[row] === 1;
  const inRange = (t: number) => t >= from && t < to;
  const carts = view.carts;
  // By product code (the same dictionary for product events, cart entries and order lines).
  const byCode: (ProductStats | undefined)[] = [];
  const revenue: Map<string | null, number>[] = [];
  const acc = (code: number): ProductStats =>
    (byCode[code] ??= {
      productId: view.products.value(code)!,
      name: null,
      views: 0,
      adds: 0,
      removes: 0,
      checkouts: 0,
      orders: 0,
      units: 0,
      revenue: [],
      viewToCartRate: null,
      viewToOrderRate: null,
      cartToOrderRate: null,
      carts: 0,
      cartsAbandoned: 0,
      abandonmentRate: null,
    });
  const touches = new Touches();
  const viewed = view.names.id(PRODUCT_VIEWED);
  const added = view.names.id(PRODUCT_ADDED);
  const removed = view.names.id(PRODUCT_REMOVED);
  const nameOf = (code: number) => (code < 0 ? null : carts.names.value(code));

  for (let i = 0; i < view.length; i++) {
    const name = view.name[i];
    if (name < 0 || (name !== viewed && name !== added && name !== removed)) continue;
    const profile = profiles.ofRow[i];
    // No profile: a row the scope leaves out (a bot's; rows.ts), or one without any id.
    if (profile < 0 || !kept(i) || !inRange(view.ts[i])) continue;
    const product = view.product[i];
    if (product < 0) continue;
    const a = acc(product);
    const k = view.cart[i];
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

  const orders = ordersOf(view, profiles, { asOf: options.asOf });
  const lines = carts.lines;
  const inOrder = new Set<number>();
  for (let k = 0; k < orders.count; k++) {
    const row = orders.row[k];
    if (!kept(row) || !inRange(orders.ts[k])) continue;
    const o = view.cart[row] >= 0 ? carts.order[view.cart[row]] : -1;
    if (o < 0) continue;
    const orderCurrency = orders.currency[k] < 0 ? null : orders.currencies[orders.currency[k]];
    inOrder.clear();
    for (let l = carts.orders.lineStart[o]; l < carts.orders.lineStart[o] + carts.orders.lineCount[o]; l++) {
      const product = lines.product[l];
      if (product < 0) continue;
      const a = acc(product);
      const quantity = lines.quantity[l] > 0 ? lines.quantity[l] : 1;
      // Once per order, however many lines of it hold the product.
      if (!inOrder.has(product)) a.orders++;
      inOrder.add(product);
      a.units += quantity;
      const currency = lines.currency[l] >= 0 ? carts.currencies.value(lines.currency[l])!.trim().toUpperCase() : orderCurrency;
      const byCurrency = (revenue[product] ??= new Map());
      byCurrency.set(currency, (byCurrency.get(currency) ?? 0) + (Number.isNaN(lines.price[l]) ? 0 : lines.price[l]) * quantity);
      const lineName = nameOf(lines.name[l]);
      if (lineName) a.name = lineName;
      touches.add(product, orders.profile[k], BOUGHT);
    }
  }

  abandonments(view, profiles, { ...options, from: undefined, to: undefined }, {
    checkout(row, t, products) {
      if (!kept(row) || !inRange(t)) return;
      for (const product of products) acc(product).checkouts++;
    },
    cart(openedAt, held, abandoned, lastRow) {
      if (!kept(lastRow) || !inRange(openedAt)) return;
      for (const product of held) acc(product).carts++;
      for (const product of abandoned) acc(product).cartsAbandoned++;
    },
  });

  rates(touches, byCode, profiles.count);
  return byCode
    .filter((stats): stats is ProductStats => stats !== undefined)
    .map((stats) => {
      const code = view.products.id(stats.productId);
      stats.revenue = [...(revenue[code] ?? new Map<string | null, number>())]
        .map(([currency, amount]) => ({ currency, amount: Math.round(amount * 100) / 100 }))
        .sort((x, y) => byCurrency(x.currency, y.currency));
      stats.abandonmentRate = rate(stats.cartsAbandoned, stats.carts);
      return stats;
    })
    .sort((x, y) => (x.productId < y.productId ? -1 : x.productId > y.productId ? 1 : 0));
}

/** Orders currencies by code, the missing currency (null) last. */
export function byCurrency(x: string | null, y: string | null): number {
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return x < y ? -1 : 1;
}

// The per-profile rates of every product, from its touches grouped by product.
function rates(touches: Touches, byCode: (ProductStats | undefined)[], profileCount: number): void {
  const offsets = new Int32Array(byCode.length + 1);
  for (let j = 0; j < touches.length; j++) offsets[touches.product[j] + 1]++;
  for (let c = 0; c < byCode.length; c++) offsets[c + 1] += offsets[c];
  const grouped = new Int32Array(touches.length);
  const next = offsets.slice(0, byCode.length);
  for (let j = 0; j < touches.length; j++) grouped[next[touches.product[j]]++] = touches.who[j];
  // What each profile did with the product at hand: bits 1 viewed, 2 added, 4 bought.
  const did = new Uint8Array(profileCount);
  for (let c = 0; c < byCode.length; c++) {
    const stats = byCode[c];
    if (!stats) continue;
    for (let j = offsets[c]; j < offsets[c + 1]; j++) did[grouped[j] >> 2] |= 1 << ((grouped[j] & 3) - 1);
    let viewers = 0;
    let adders = 0;
    let viewedAndAdded = 0;
    let viewedAndBought = 0;
    let addedAndBought = 0;
    for (let j = offsets[c]; j < offsets[c + 1]; j++) {
      const p = grouped[j] >> 2;
      const bits = did[p];
      if (bits === 0) continue; // counted already
      if (bits & 1) viewers++;
      if (bits & 2) adders++;
      if ((bits & 3) === 3) viewedAndAdded++;
      if ((bits & 5) === 5) viewedAndBought++;
      if ((bits & 6) === 6) addedAndBought++;
      did[p] = 0;
    }
    stats.viewToCartRate = rate(viewedAndAdded, viewers);
    stats.viewToOrderRate = rate(viewedAndBought, viewers);
    stats.cartToOrderRate = rate(addedAndBought, adders);
  }
}

const rate = (x: number, of: number): number | null => (of > 0 ? Math.round((x / of) * 10000) / 10000 : null);
