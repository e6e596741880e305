// Abandoned carts (issue 5 "Carts"), as a pure function of the facts, the identity graph and an
// `asOf` time, so detection is deterministic and can be replayed at any time.
//
// The cart of a stitched profile follows its cart events in event order: Product Added adds
// `quantity` (default 1) to the line of product_id + variant; Product Removed takes `quantity`
// away (default: the whole line, as the SDK's productRemoved does) and drops a line at zero;
// Order Completed empties the cart. A cart event without product_id changes no line.
//
// Decisions where the issue is silent:
//  - Facts at or after asOf are not seen; a cart is abandoned when it holds an item and its last
//    cart activity + 30 min <= asOf, with no cart activity before that moment. An event exactly
//    at last + 30 min comes after the abandonment. So a later asOf never takes an abandonment
//    back (recorded Cart Abandoned events stay true); it can only add recoveries.
//  - Abandonment does not empty the cart: a shopper who returns finds the same cart (the SDK
//    keeps it in localStorage), and leaving it again is a second abandonment with all the items.
//  - Recovery: the first Order Completed of the profile in [abandonedAt, abandonedAt + 7 days)
//    recovers every abandonment of the profile waiting in that window.
//  - value = sum of price x quantity, rounded to cents (a line without a price counts 0);
//    currency = the last currency a Product Added / Removed of the cart carried.
import { v5 as uuidv5 } from 'uuid';
import type { JsonObject, SpurEvent } from '@spur/sdk';
import type { StringCodes } from './dictionary';
import { assertSameRows, CART_ABANDONED, ORDER_COMPLETED, PRODUCT_ADDED, PRODUCT_REMOVED, type FactView } from './facts';
import { groupRows } from './grouping';
import type { ProfileIndex } from './profiles';
import { scratch } from './scratch';

/** @defaultValue 30 minutes */
export const DEFAULT_ABANDON_MS = 30 * 60 * 1000;
/** @defaultValue 7 days */
export const DEFAULT_RECOVERY_MS = 7 * 24 * 60 * 60 * 1000;

export interface CartOptions {
  /** Detection time (epoch ms); facts at or after it are not seen. */
  asOf: number;
  /** @defaultValue DEFAULT_ABANDON_MS */
  abandonAfterMs?: number;
  /** @defaultValue DEFAULT_RECOVERY_MS */
  recoveryWindowMs?: number;
  /** Keep carts abandoned in [from, to) (epoch ms). Default: all. */
  from?: number;
  to?: number;
}

/** A cart line, named like the Segment product properties it came from. */
export interface CartItem {
  product_id: string;
  variant: string | null;
  name: string | null;
  price: number | null;
  quantity: number;
  currency: string | null;
}

/** One abandoned cart (an export row). Times are ISO strings. */
export interface AbandonedCart {
  profileId: string;
  customerId: string | null;
  /** The anonymous id of the last cart activity (null if it had only a userId). */
  anonymousId: string | null;
  items: CartItem[];
  value: number;
  currency: string | null;
  lastActivityAt: string;
  abandonedAt: string;
  recovered: boolean;
  recoveredOrderId: string | null;
}

interface Episode {
  cart: AbandonedCart;
  at: number;
}

/** Abandoned carts as of `options.asOf`, ordered by abandonedAt, then profileId. */
export function detectAbandonedCarts(view: FactView, profiles: ProfileIndex, options: CartOptions): AbandonedCart[] {
  const asOf = options.asOf;
  const abandonMs = options.abandonAfterMs ?? DEFAULT_ABANDON_MS;
  const recoveryMs = options.recoveryWindowMs ?? DEFAULT_RECOVERY_MS;
  if (!Number.isFinite(asOf)) throw new RangeError('asOf must be a time');
  if (!(abandonMs > 0) || !(recoveryMs > 0)) throw new RangeError('abandonment and recovery windows must be positive');
  assertSameRows(view, profiles, 'profiles');
  const added = view.names.id(PRODUCT_ADDED);
  const removed = view.names.id(PRODUCT_REMOVED);
  const ordered = view.names.id(ORDER_COMPLETED);
  const carts = view.carts;

  const rows = scratch('carts.rows', carts.length);
  let count = 0;
  for (let i = 0; i < view.length; i++) {
    if (view.cart[i] < 0 || view.ts[i] >= asOf || profiles.ofRow[i] < 0) continue;
    const name = view.name[i];
    if (name >= 0 && (name === added || name === removed || name === ordered)) rows[count++] = i;
  }
  const { order, offsets } = groupRows(rows, count, profiles.ofRow, profiles.count, view.ts, true);
  // A cart line is a product and a variant: one number for both, as the key of the line.
  const variants = carts.variants.size + 1;
  const text = (d: StringCodes, code: number) => (code < 0 ? null : d.value(code));

  // A cart abandoned at `at` had its last activity at `at - abandonMs`, a cart row of its profile:
  // a profile with no cart row in [from - abandonMs, to - abandonMs) has no cart abandoned in the
  // range, and is not replayed at all (a month's carts out of years of history read a month's).
  const near = options.from !== undefined || options.to !== undefined;
  const nearFrom = (options.from ?? -Infinity) - abandonMs;
  const nearTo = (options.to ?? Infinity) - abandonMs;
  const out: Episode[] = [];
  for (let p = 0; p < profiles.count; p++) {
    if (offsets[p] === offsets[p + 1]) continue;
    if (near) {
      let found = false;
      for (let j = offsets[p]; j < offsets[p + 1] && !found; j++) {
        const t = view.ts[order[j]];
        found = t >= nearFrom && t < nearTo;
      }
      if (!found) continue;
    }
    const lines = new Map<number, CartItem>();
    const episodes: Episode[] = [];
    let last = -Infinity;
    let lastRow = -1;
    let currency: string | null = null;
    const abandon = () => {
      const items = [...lines.values()].map((item) => ({ ...item }));
      const value = Math.round(items.reduce((sum, x) => sum + (x.price ?? 0) * x.quantity, 0) * 100) / 100;
      const at = last + abandonMs;
      episodes.push({
        at,
        cart: {
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
        },
      });
    };
    for (let j = offsets[p]; j < offsets[p + 1]; j++) {
      const row = order[j];
      const t = view.ts[row];
      const k = view.cart[row];
      const product = carts.product[k];
      const name = view.name[row];
      if (name !== ordered && product < 0) continue;
      if (lines.size > 0 && t >= last + abandonMs) abandon();
      if (name === ordered) {
        const o = carts.order[k];
        for (const e of episodes) {
          if (!e.cart.recovered && t >= e.at && t < e.at + recoveryMs) {
            e.cart.recovered = true;
            e.cart.recoveredOrderId = o < 0 ? null : text(carts.orderIds, carts.orders.orderId[o]);
          }
        }
        lines.clear();
        currency = null;
      } else {
        // No variant and an empty one are the same line.
        const v = carts.variant[k];
        const key = product * variants + (v < 0 || carts.variants.value(v) === '' ? 0 : v + 1);
        const line = lines.get(key);
        const q = carts.quantity[k];
        const quantity = q > 0 ? q : undefined;
        const price = carts.price[k];
        if (name === added) {
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
        }
        const c = text(carts.currencies, carts.currency[k]);
        if (c) currency = c;
      }
      last = t;
      lastRow = row;
    }
    if (lines.size > 0 && last + abandonMs <= asOf) abandon();
    out.push(...episodes);
  }

  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  return out
    .filter((e) => e.at >= from && e.at < to)
    .sort((x, y) => x.at - y.at || (x.cart.profileId < y.cart.profileId ? -1 : x.cart.profileId > y.cart.profileId ? 1 : 0))
    .map((e) => e.cart);
}

// A fixed namespace for the messageIds of derived events (a random UUID, chosen once).
const NAMESPACE = '6f0b6c1e-2f4d-4a53-9a3e-6a1b8f1c9d27';

/**
 * The messageId of a cart's Cart Abandoned event: a UUIDv5 of the last cart activity's anonymous
 * id (else the customer id) and abandonedAt. Those facts of the event do not change when a later
 * identify moves the cart to another profile, so a re-run after stitching dedupes too.
 */
export function cartAbandonedMessageId(cart: AbandonedCart): string {
  const who = cart.anonymousId !== null ? `a:${cart.anonymousId}` : `u:${cart.customerId ?? cart.profileId}`;
  return uuidv5(`${CART_ABANDONED}|${who}|${cart.abandonedAt}`, NAMESPACE);
}

/**
 * The Cart Abandoned events to record for `carts`. Each has a deterministic messageId, so
 * recording them again is a duplicate that storage drops. The event carries the anonymous id of
 * the last cart activity (and a userId only when there is none), so it is stitched by the same
 * rules as that activity and adds no identity link of its own.
 */
export function cartAbandonedEvents(carts: readonly AbandonedCart[]): SpurEvent[] {
  return carts.map((cart) => {
    const products = cart.items.map((item) => {
      const p: JsonObject = { product_id: item.product_id, quantity: item.quantity };
      if (item.variant !== null) p.variant = item.variant;
      if (item.name !== null) p.name = item.name;
      if (item.price !== null) p.price = item.price;
      if (item.currency !== null) p.currency = item.currency;
      return p;
    });
    const properties: JsonObject = {
      products,
      value: cart.value,
      currency: cart.currency,
      profile_id: cart.profileId,
      customer_id: cart.customerId,
      last_activity_at: cart.lastActivityAt,
    };
    const event: SpurEvent = {
      type: 'track',
      event: CART_ABANDONED,
      messageId: cartAbandonedMessageId(cart),
      timestamp: cart.abandonedAt,
      properties,
    };
    if (cart.anonymousId !== null) event.anonymousId = cart.anonymousId;
    else event.userId = cart.customerId ?? cart.profileId;
    return event;
  });
}
