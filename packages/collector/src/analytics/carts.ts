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
// The replay itself is cart-walk.ts's (with the checkout step a cart reached).
import { v5 as uuidv5 } from 'uuid';
import type { JsonObject, SpurEvent } from '@spur/sdk';
import { countAbandonedCarts, walkCarts, type Abandonment, type CartCounts, type CartListener, type WalkOptions } from './cart-walk';
import { CART_ABANDONED, type FactView } from './facts';
import type { ProfileIndex } from './profiles';

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

/** What abandonments() takes besides CartOptions: the replay of more profiles (cart-walk.ts). */
export interface ReplayOptions extends CartOptions {
  /** Profiles replayed whatever the range (WalkOptions.alsoProfiles). */
  alsoProfiles?: Uint8Array;
  /** Every abandonment of the profiles replayed, not only those in [from, to). */
  wholeProfiles?: boolean;
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

/** Abandoned carts as of `options.asOf`, ordered by abandonedAt, then profileId. */
export function detectAbandonedCarts(view: FactView, profiles: ProfileIndex, options: CartOptions, listener?: CartListener): AbandonedCart[] {
  return abandonments(view, profiles, options, listener).map((a) => a.cart);
}

/**
 * The abandonments behind detectAbandonedCarts, in its order, each with its cart's last activity
 * row and the checkout step it reached (cart-walk.ts); `listener` hears the rest of the replay.
 */
export function abandonments(view: FactView, profiles: ProfileIndex, options: ReplayOptions, listener?: CartListener): Abandonment[] {
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  return walkCarts(view, profiles, walkOptions(options), listener)
    .filter((e) => options.wholeProfiles === true || (e.at >= from && e.at < to))
    .sort((x, y) => x.at - y.at || (x.cart.profileId < y.cart.profileId ? -1 : x.cart.profileId > y.cart.profileId ? 1 : 0));
}

/** Where a previous replay stood: the rows it had read and the profiles it resolved them to. */
export interface ReplayMark {
  rows: number;
  profiles: ProfileIndex;
}

/**
 * The abandonments of abandonments(options) in [from, to), and every abandonment, whenever, of
 * each profile that may have changed since `since`: it has a row appended after (a late event may
 * complete an older cart), or it gained or lost a row to a change of the identity graph (an
 * identify joins a device's cart to a customer; a second customer on a shared device takes its
 * later rows). Any other profile has the carts it had then. The abandonment job's runs.
 */
export function abandonmentsSince(view: FactView, profiles: ProfileIndex, options: CartOptions, since: ReplayMark): Abandonment[] {
  const touched = changedProfiles(profiles, since);
  const from = options.from ?? -Infinity;
  const to = options.to ?? Infinity;
  // wholeProfiles keeps every abandonment of each profile replayed: those of the range's own
  // profiles outside it are dropped here again.
  return abandonments(view, profiles, { ...options, alsoProfiles: touched, wholeProfiles: true }).filter((a) => (a.at >= from && a.at < to) || touched[profiles.ofRow[a.lastRow]] === 1);
}

/** Whether profile `was` of `before` and profile `is` of `after` are one customer (or one guest). */
function sameProfile(before: ProfileIndex, was: number, after: ProfileIndex, is: number): boolean {
  if (was < 0 || is < 0) return was < 0 && is < 0;
  const customer = before.customerId(was);
  if (customer !== null || after.customerId(is) !== null) return customer === after.customerId(is);
  return before.id(was) === after.id(is);
}

/** The profiles of `profiles` that may hold other rows than at `since` (1: changed). */
function changedProfiles(profiles: ProfileIndex, since: ReplayMark): Uint8Array {
  const touched = new Uint8Array(profiles.count);
  const { ofRow } = profiles;
  for (let i = Math.max(0, since.rows); i < ofRow.length; i++) if (ofRow[i] >= 0) touched[ofRow[i]] = 1;
  // The same graph resolves the rows read before as it did then: only then is this pass skipped.
  if (since.profiles.graph === profiles.graph) return touched;
  const before = since.profiles;
  // Most rows of an old profile go to one new profile: its answer is worked out once per pair.
  const pairedWith = new Int32Array(before.count).fill(-2);
  const same = new Uint8Array(before.count);
  // The profiles rows left, by id (numbers differ from one index to the next, ids do not).
  const leftCustomers = new Set<string>();
  const leftGuests = new Set<string>();
  const n = Math.min(since.rows, before.ofRow.length, ofRow.length);
  for (let i = 0; i < n; i++) {
    const was = before.ofRow[i];
    const is = ofRow[i];
    if (was < 0) {
      if (is >= 0) touched[is] = 1;
      continue;
    }
    if (pairedWith[was] !== is) {
      pairedWith[was] = is;
      same[was] = sameProfile(before, was, profiles, is) ? 1 : 0;
    }
    if (same[was] === 1) continue;
    // The row moved: the profile it joined and the one it left (found by its id) may differ now.
    if (is >= 0) touched[is] = 1;
    const customer = before.customerId(was);
    if (customer !== null) leftCustomers.add(customer);
    else leftGuests.add(before.id(was));
  }
  if (leftCustomers.size + leftGuests.size === 0) return touched;
  for (let p = 0; p < profiles.count; p++) {
    const customer = profiles.customerId(p);
    if (customer !== null ? leftCustomers.has(customer) : leftGuests.has(profiles.id(p))) touched[p] = 1;
  }
  return touched;
}

/**
 * How many carts abandonments() would answer whose last activity row `keep` keeps (null: all),
 * and how many of them were recovered, without making the carts (the overview's figures).
 */
export function countAbandonments(view: FactView, profiles: ProfileIndex, options: CartOptions, keep: Uint8Array | null): CartCounts {
  return countAbandonedCarts(view, profiles, walkOptions(options), keep);
}

function walkOptions(options: ReplayOptions): WalkOptions {
  const asOf = options.asOf;
  const abandonAfterMs = options.abandonAfterMs ?? DEFAULT_ABANDON_MS;
  const recoveryWindowMs = options.recoveryWindowMs ?? DEFAULT_RECOVERY_MS;
  if (!Number.isFinite(asOf)) throw new RangeError('asOf must be a time');
  if (!(abandonAfterMs > 0) || !(recoveryWindowMs > 0)) throw new RangeError('abandonment and recovery windows must be positive');
  return { asOf, abandonAfterMs, recoveryWindowMs, from: options.from, to: options.to, alsoProfiles: options.alsoProfiles, wholeProfiles: options.wholeProfiles };
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
