// The replay of every profile's cart (carts.ts has the rules), with what else happened to the cart
// on the way: the furthest checkout step it reached, the Checkout Started events it saw, and its
// life from the first item to empty. Abandoned carts, product statistics (checkouts, abandonment
// rate) and the carts export all read the one replay, so they agree.
//
// Checkout steps (the Segment e-commerce spec's checkout events), furthest first wins:
//   cart              items in the cart, nothing further
//   cart_viewed       Cart Viewed
//   checkout_started  Checkout Started, Checkout Step Viewed, Checkout Step Completed
//   shipping_info     Shipping Info Entered
//   payment_info      Payment Info Entered
// A step counts for a cart from its first item on (a Cart Viewed of an empty cart does not), and
// an abandonment reports the furthest step reached before it. These events are not cart activity:
// they do not move the abandonment time (carts.ts), which issue 5 defined by cart events alone.
import type { StringCodes } from './dictionary';
import { assertSameRows, ORDER_COMPLETED, PRODUCT_ADDED, PRODUCT_REMOVED, type FactView } from './facts';
import { groupRows } from './grouping';
import type { ProfileIndex } from './profiles';
import { scratch } from './scratch';
import type { AbandonedCart, CartItem } from './carts';

/** The checkout steps a cart can reach, in order. */
export const CHECKOUT_STEPS = ['cart', 'cart_viewed', 'checkout_started', 'shipping_info', 'payment_info'] as const;
export type CheckoutStep = (typeof CHECKOUT_STEPS)[number];

export const CHECKOUT_STARTED = 'Checkout Started';
const STEP_EVENTS: readonly [string, number][] = [
  ['Cart Viewed', 1],
  [CHECKOUT_STARTED, 2],
  ['Checkout Step Viewed', 2],
  ['Checkout Step Completed', 2],
  ['Shipping Info Entered', 3],
  ['Payment Info Entered', 4],
];

/** An abandonment, with the row of the cart's last activity and the step it had reached. */
export interface Abandonment {
  cart: AbandonedCart;
  /** abandonedAt, epoch ms. */
  at: number;
  lastRow: number;
  step: CheckoutStep;
  /** When the cart got its first item, and when it was empty again (Infinity: it was not by asOf), epoch ms. */
  openedAt: number;
  closedAt: number;
  /** The cart_id its cart events named over the cart's life (Segment's Product Added property); shared by the life's abandonments. */
  cartIds: ReadonlySet<string>;
}

/** What a caller hears of the carts besides their abandonments (product codes of view.products). */
export interface CartListener {
  /** A Checkout Started (fact row `row`, at `t`) while the cart held `products`. */
  checkout?(row: number, t: number, products: ReadonlySet<number>): void;
  /**
   * A cart's life, from its first item (`openedAt`) until it was empty again (an order, removals)
   * or the replay ended: the products it ever held, those it held when it was abandoned, and the
   * row of its last cart activity (the order or removal that emptied it, if one did).
   */
  cart?(openedAt: number, held: ReadonlySet<number>, abandoned: ReadonlySet<number>, lastRow: number): void;
}

export interface WalkOptions {
  asOf: number;
  abandonAfterMs: number;
  recoveryWindowMs: number;
  /**
   * Only abandonments in [from, to) are wanted: a profile with no cart or checkout row in
   * [from - abandonAfterMs, to - abandonAfterMs) is not replayed (nor heard by the listener).
   */
  from?: number;
  to?: number;
  /**
   * Profiles replayed whatever the range (1): those an exit survey answer needs (survey.ts). With
   * it and no range, only these are replayed.
   */
  alsoProfiles?: Uint8Array;
  /** Keep the abandonments outside [from, to) of the profiles replayed (an answer's cart may lie there). */
  wholeProfiles?: boolean;
}

/** How many carts were abandoned in a range, and how many of them were recovered. */
export interface CartCounts {
  abandoned: number;
  recovered: number;
}

/** An abandonment as the replay records it: `cart` is null when only counts are wanted. */
interface Episode {
  cart: AbandonedCart | null;
  at: number;
  lastRow: number;
  step: CheckoutStep;
  recovered: boolean;
  openedAt: number;
  closedAt: number;
  cartIds: ReadonlySet<string>;
}

/**
 * Replays every profile's cart up to asOf (with a range, those that can have an abandonment in it);
 * the abandonments (in the range, if one is given) in profile, then time order.
 */
export function walkCarts(view: FactView, profiles: ProfileIndex, options: WalkOptions, listener: CartListener = {}): Abandonment[] {
  // With `build`, every episode has its cart (and its recovery is the cart's).
  return walk(view, profiles, options, listener, true).map(({ cart, at, lastRow, step, openedAt, closedAt, cartIds }) => ({ cart: cart!, at, lastRow, step, openedAt, closedAt, cartIds }));
}

/**
 * The carts abandoned in [from, to) whose last activity row `keep` keeps (null: all), and how many
 * of those were recovered: the same replay as walkCarts, without making an object per cart (the
 * overview wants two numbers, and making 30,000 carts with their items was most of its time).
 */
export function countAbandonedCarts(view: FactView, profiles: ProfileIndex, options: WalkOptions, keep: Uint8Array | null): CartCounts {
  const counts: CartCounts = { abandoned: 0, recovered: 0 };
  for (const e of walk(view, profiles, options, {}, false)) {
    if (keep !== null && keep[e.lastRow] !== 1) continue;
    counts.abandoned++;
    if (e.recovered) counts.recovered++;
  }
  return counts;
}

function walk(view: FactView, profiles: ProfileIndex, options: WalkOptions, listener: CartListener, build: boolean): Episode[] {
  const { asOf, abandonAfterMs: abandonMs, recoveryWindowMs: recoveryMs } = options;
  assertSameRows(view, profiles, 'profiles');
  const added = view.names.id(PRODUCT_ADDED);
  const removed = view.names.id(PRODUCT_REMOVED);
  const ordered = view.names.id(ORDER_COMPLETED);
  const checkoutStarted = view.names.id(CHECKOUT_STARTED);
  // The step each event name reaches (0: none), by name code.
  const stepOf = new Uint8Array(view.names.size);
  for (const [name, step] of STEP_EVENTS) if (view.names.id(name) >= 0) stepOf[view.names.id(name)] = step;
  const carts = view.carts;
  // The cart_id of the cart events that name one (kept with the survey fields: facts.ts).
  const cartIdOf = new Map<number, string>();
  for (let k = 0; k < view.surveys.count && view.surveys.rows[k] < view.length; k++) {
    const row = view.surveys.rows[k];
    const id = view.surveys.fields[k].cartId;
    if (id !== undefined && view.cart[row] >= 0) cartIdOf.set(row, id);
  }

  const rows = scratch('carts.rows', view.length);
  let count = 0;
  for (let i = 0; i < view.length; i++) {
    if (view.ts[i] >= asOf || profiles.ofRow[i] < 0) continue;
    const name = view.name[i];
    if (name < 0) continue;
    if (stepOf[name] > 0 || (view.cart[i] >= 0 && (name === added || name === removed || name === ordered))) rows[count++] = i;
  }
  const { order, offsets } = groupRows(rows, count, profiles.ofRow, profiles.count, view.ts, true);
  // A cart line is a product and a variant: one number for both, as the key of the line.
  const variants = carts.variants.size + 1;
  const text = (d: StringCodes, code: number) => (code < 0 ? null : d.value(code));

  // A cart abandoned at `at` had its last activity at `at - abandonMs`, a row of its profile's
  // replay: a profile with no row in [from - abandonMs, to - abandonMs) has no cart abandoned in
  // the range, and is not replayed (a month's carts out of years of history replay a month's).
  // Checkout rows are looked at too: a few more profiles replayed, never one too few.
  const near = options.from !== undefined || options.to !== undefined;
  const nearFrom = (options.from ?? -Infinity) - abandonMs;
  const nearTo = (options.to ?? Infinity) - abandonMs;
  // Abandonments outside the range are not recorded (their callers drop them): no cart is made
  // for the years before a month asked for.
  const rangeFrom = options.wholeProfiles === true ? -Infinity : (options.from ?? -Infinity);
  const rangeTo = options.wholeProfiles === true ? Infinity : (options.to ?? Infinity);
  const also = options.alsoProfiles;
  const out: Episode[] = [];
  // The products a cart held are kept only for a listener of carts (product statistics).
  const tracking = listener.cart !== undefined;
  const held = new Set<number>();
  const abandonedProducts = new Set<number>();
  const inCart = new Set<number>();
  for (let p = 0; p < profiles.count; p++) {
    if (offsets[p] === offsets[p + 1]) continue;
    if ((near || also) && also?.[p] !== 1 && !(near && anyIn(order, offsets[p], offsets[p + 1], view.ts, nearFrom, nearTo))) continue;
    const lines = new Map<number, CartItem>();
    const episodes: Episode[] = [];
    let last = -Infinity;
    let lastRow = -1;
    let currency: string | null = null;
    let openedAt = NaN;
    let step = 0;
    let lifeIds = new Set<string>();
    // Whether the cart was abandoned since its last activity (an abandonment happens once).
    let abandonedSinceLast = false;
    held.clear();
    abandonedProducts.clear();
    const abandon = () => {
      abandonedSinceLast = true;
      if (tracking) for (const key of lines.keys()) abandonedProducts.add(Math.floor(key / variants));
      const at = last + abandonMs;
      if (at < rangeFrom || at >= rangeTo) return;
      if (!build) {
        episodes.push({ cart: null, at, lastRow, step: CHECKOUT_STEPS[step], recovered: false, openedAt, closedAt: Infinity, cartIds: lifeIds });
        return;
      }
      const items: CartItem[] = [];
      for (const line of lines.values()) {
        items.push({ product_id: line.product_id, variant: line.variant, name: line.name, price: line.price, quantity: line.quantity, currency: line.currency });
      }
      const value = Math.round(items.reduce((sum, x) => sum + (x.price ?? 0) * x.quantity, 0) * 100) / 100;
      const cart: AbandonedCart = {
        profileId: profiles.id(p),
        customerId: profiles.customerId(p),
        anonymousId: view.anonymousIds.value(view.anonymousId[lastRow]),
        items,
        value,
        currency,
        lastActivityAt: new Date(last).toISOString(),
        abandonedAt: new Date(at).toISOString(),
        recovered: false,
        recoveredOrderId: null,
      };
      episodes.push({ cart, at, lastRow, step: CHECKOUT_STEPS[step], recovered: false, openedAt, closedAt: Infinity, cartIds: lifeIds });
    };
    // The abandonments of the cart's life so far end when it is emptied (an order, removals).
    let lifeStart = 0;
    const emptied = (t: number) => {
      for (let e = lifeStart; e < episodes.length; e++) episodes[e].closedAt = t;
      lifeStart = episodes.length;
    };
    const close = (endRow: number) => {
      if (held.size > 0) listener.cart?.(openedAt, held, abandonedProducts, endRow);
      held.clear();
      abandonedProducts.clear();
      step = 0;
    };
    for (let j = offsets[p]; j < offsets[p + 1]; j++) {
      const row = order[j];
      const t = view.ts[row];
      const name = view.name[row];
      if (lines.size > 0 && !abandonedSinceLast && t >= last + abandonMs) abandon();
      if (stepOf[name] > 0) {
        if (lines.size === 0) continue;
        step = Math.max(step, stepOf[name]);
        if (name === checkoutStarted && listener.checkout) {
          inCart.clear();
          for (const key of lines.keys()) inCart.add(Math.floor(key / variants));
          listener.checkout(row, t, inCart);
        }
        continue;
      }
      const k = view.cart[row];
      const product = carts.product[k];
      if (name !== ordered && product < 0) continue;
      if (name === ordered) {
        const o = carts.order[k];
        for (const e of episodes) {
          if (!e.recovered && t >= e.at && t < e.at + recoveryMs) {
            e.recovered = true;
            if (e.cart === null) continue;
            e.cart.recovered = true;
            e.cart.recoveredOrderId = o < 0 ? null : text(carts.orderIds, carts.orders.orderId[o]);
          }
        }
        if (lines.size > 0) emptied(t);
        lines.clear();
        currency = null;
        close(row);
      } else {
        if (lines.size === 0) {
          openedAt = t;
          lifeStart = episodes.length;
          lifeIds = new Set();
        }
        const cartId = cartIdOf.size > 0 ? cartIdOf.get(row) : undefined;
        if (cartId !== undefined) lifeIds.add(cartId);
        // No variant and an empty one are the same line.
        const v = carts.variant[k];
        const key = product * variants + (v < 0 || carts.variants.value(v) === '' ? 0 : v + 1);
        const line = lines.get(key);
        const q = carts.quantity[k];
        const quantity = q > 0 ? q : undefined;
        const price = carts.price[k];
        if (name === added) {
          if (tracking) held.add(product);
          if (line) {
            line.quantity += quantity ?? 1;
            if (carts.name[k] >= 0) line.name = text(carts.names, carts.name[k]);
            if (!Number.isNaN(price)) line.price = price;
            if (carts.currency[k] >= 0) line.currency = text(carts.currencies, carts.currency[k]);
          } else {
            lines.set(key, {
              product_id: carts.products.value(product)!,
              variant: text(carts.variants, carts.variant[k]),
              name: text(carts.names, carts.name[k]),
              price: Number.isNaN(price) ? null : price,
              quantity: quantity ?? 1,
              currency: text(carts.currencies, carts.currency[k]),
            });
          }
        } else if (line) {
          line.quantity -= quantity ?? line.quantity;
          if (line.quantity <= 0) lines.delete(key);
          if (lines.size === 0) {
            emptied(t);
            close(row);
          }
        }
        const c = text(carts.currencies, carts.currency[k]);
        if (c) currency = c;
      }
      last = t;
      lastRow = row;
      abandonedSinceLast = false;
    }
    if (lines.size > 0 && !abandonedSinceLast && last + abandonMs <= asOf) abandon();
    close(lastRow);
    out.push(...episodes);
  }
  return out;
}

// Whether one of rows[start..end) has its time in [from, to).
function anyIn(rows: Int32Array, start: number, end: number, ts: Float64Array, from: number, to: number): boolean {
  for (let j = start; j < end; j++) if (ts[rows[j]] >= from && ts[rows[j]] < to) return true;
  return false;
}
