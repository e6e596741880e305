// Customer statistics (issue 15, point 1), per stitched profile, over the rows of a scope (bots
// left out unless asked for: rows.ts) with a time at or before asOf and in [from, to).
//
// Who is a customer: a profile with a customer id that has an event in range ("identified"), and
// a guest who never identified but ordered in range, keyed by its anonymous id.
// What is counted (decisions where the issue is silent):
//  - firstSeen, lastSeen, events, sessions, devices, channels and device types are over the
//    customer's own events: not the Cart Abandoned events the collector derives (their time is
//    30 minutes after the customer left).
//  - orders and amounts come from orders.ts (once per order_id; revenue, else total, else lines;
//    upper-cased currency). Per currency: orders, revenue and average order value (revenue /
//    orders), rounded to cents; never summed across currencies. `currencies` lists the main
//    currency first: the one of most orders, on a tie the one of the latest order (as RFM's
//    monetary score takes it); then by orders.
//  - meanDaysBetweenOrders = (last order - first order) / (orders - 1), in days to 2 decimals;
//    null below two orders.
//  - channels: every channel the customer's events are in (an event's sales channel, else its
//    session's marketing channel: sessions.ts channelOfRow); deviceTypes: the device types of
//    its events (desktop, mobile, tablet, ...; not `unknown`); devices: distinct anonymous ids (a browser, an
//    app install or cleared cookies each count once); sessions: distinct sessions.
//  - productsBought: distinct product ids over the lines of its orders; unitsBought: their
//    quantities (1 when absent).
//  - cartsAbandoned / cartsRecovered: its abandoned carts (carts.ts) abandoned in range, and how
//    many of those an order recovered.
import type { AbandonedCart } from './carts';
import { DistinctPairs, LabelSets } from './distinct';
import { assertSameRows, CART_ABANDONED, type FactView } from './facts';
import { isoTime as iso } from './iso-time';
import type { OrderRows } from './orders';
import type { ProfileIndex } from './profiles';
import type { SessionIndex } from './sessions';

const DAY = 86_400_000;

/** Orders and amounts of one customer in one currency. */
export interface CurrencyFigures {
  /** Upper-cased currency code; null for orders that named none. */
  currency: string | null;
  orders: number;
  revenue: number;
  averageOrderValue: number;
}

/** One customer's statistics (times are ISO strings). */
export interface CustomerStats {
  /** The profile's id: its customer id, else (a guest) its anonymous id. */
  customerId: string;
  identified: boolean;
  firstSeen: string;
  lastSeen: string;
  events: number;
  sessions: number;
  devices: number;
  orders: number;
  /** Per currency, the main currency first (see the top of this file). */
  currencies: CurrencyFigures[];
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  meanDaysBetweenOrders: number | null;
  channels: readonly string[];
  deviceTypes: readonly string[];
  productsBought: number;
  unitsBought: number;
  cartsAbandoned: number;
  cartsRecovered: number;
}

/** Statistics rows ordered by customerId, with the profile number of each. */
export interface CustomerStatsTable {
  rows: CustomerStats[];
  profiles: Int32Array;
}

export interface CustomerStatsInput {
  view: FactView;
  profiles: ProfileIndex;
  sessions: SessionIndex;
  /** Orders up to asOf (orders.ts), from the same view. */
  orders: OrderRows;
  /** Abandoned carts as of asOf (carts.ts), from the same view. */
  carts: readonly AbandonedCart[];
  from?: number;
  to?: number;
  /** Only this profile (one customer's history): the others are neither listed nor counted. */
  only?: number;
  /**
   * A filter's rows (filters.ts): only customers with a fact in range that it keeps are listed;
   * their figures stay whole (a customer is one person across devices and channels).
   */
  keep?: Uint8Array | null;
}

const cents = (x: number) => Math.round(x * 100) / 100;

/** Every customer's statistics (see the top of this file). */
export function customerStatistics(input: CustomerStatsInput): CustomerStatsTable {
  const { view, profiles, sessions, orders } = input;
  assertSameRows(view, profiles, 'profiles');
  assertSameRows(view, sessions, 'sessions');
  if (orders.view.length !== view.length) throw new Error('orders were read from another view');
  const from = input.from ?? -Infinity;
  const to = Math.min(input.to ?? Infinity, orders.asOf === Infinity ? Infinity : orders.asOf + 1);
  const n = profiles.count;
  const listed = new Uint8Array(n);
  for (let p = 0; p < n; p++) listed[p] = profiles.customerId(p) !== null ? 1 : 0;
  for (let k = 0; k < orders.count; k++) if (orders.ts[k] >= from && orders.ts[k] < to) listed[orders.profile[k]] = 1;
  if (input.only !== undefined) for (let p = 0; p < n; p++) if (p !== input.only) listed[p] = 0;

  // One pass over the rows: seen, events, sessions, devices, channels, device types.
  const first = new Float64Array(n).fill(Infinity);
  const last = new Float64Array(n).fill(-Infinity);
  const events = new Int32Array(n);
  const keep = input.keep ?? null;
  const kept = new Uint8Array(n);
  const sessionPairs = new DistinctPairs(n, sessions.count);
  const devicePairs = new DistinctPairs(n, view.anonymousIds.size);
  const channels = new LabelSets(n);
  const deviceTypes = new LabelSets(n);
  const sessionChannel = new Int32Array(sessions.count).fill(-1);
  const originChannel = view.origins.map((o) => (o.salesChannel ? channels.label(o.salesChannel) : -1));
  // 'unknown' (no user agent, or one naming no device) is no device type a customer used.
  const derived = view.names.id(CART_ABANDONED);
  const agentType = view.agents.map((a) => (a.device === 'unknown' ? -1 : deviceTypes.label(a.device)));
  for (let i = 0; i < view.length; i++) {
    const p = profiles.ofRow[i];
    if (p < 0 || listed[p] === 0) continue;
    // The collector's own Cart Abandoned events are no activity of the customer's.
    if (derived >= 0 && view.name[i] === derived) continue;
    const t = view.ts[i];
    if (t < from || t >= to) continue;
    events[p]++;
    if (keep === null || keep[i] === 1) kept[p] = 1;
    if (t < first[p]) first[p] = t;
    if (t > last[p]) last[p] = t;
    const s = sessions.ofRow[i];
    if (s >= 0) sessionPairs.add(p, s);
    if (view.anonymousId[i] >= 0) devicePairs.add(p, view.anonymousId[i]);
    const o = view.origin[i];
    let c = o >= 0 ? originChannel[o] : -1;
    if (c < 0) {
      if (s >= 0) c = sessionChannel[s] >= 0 ? sessionChannel[s] : (sessionChannel[s] = channels.label(sessions.attribute(s, 'channel')));
      else c = channels.label('direct');
    }
    channels.add(p, c);
    if (view.agent[i] >= 0 && agentType[view.agent[i]] >= 0) deviceTypes.add(p, agentType[view.agent[i]]);
  }

  const abandoned = new Map<string, { abandoned: number; recovered: number }>();
  for (const cart of input.carts) {
    const at = Date.parse(cart.abandonedAt);
    if (at < from || at >= to) continue;
    const c = abandoned.get(cart.profileId) ?? { abandoned: 0, recovered: 0 };
    c.abandoned++;
    if (cart.recovered) c.recovered++;
    abandoned.set(cart.profileId, c);
  }

  const picked: number[] = [];
  for (let p = 0; p < n; p++) if (listed[p] === 1 && events[p] > 0 && kept[p] === 1) picked.push(p);
  const figures = new OrderFigures(orders, from, to);
  const rows: CustomerStats[] = picked.map((p) => {
    const id = profiles.id(p);
    const f = figures.of(p);
    const carts = abandoned.get(id);
    // One literal with every field in the order of the interface: every row has one shape.
    return {
      customerId: id,
      identified: profiles.customerId(p) !== null,
      firstSeen: iso(first[p]),
      lastSeen: iso(last[p]),
      events: events[p],
      sessions: sessionPairs.count[p],
      devices: devicePairs.count[p],
      orders: f.count,
      currencies: f.currencies,
      firstOrderAt: f.count ? iso(f.firstAt) : null,
      lastOrderAt: f.count ? iso(f.lastAt) : null,
      meanDaysBetweenOrders: f.count >= 2 ? cents((f.lastAt - f.firstAt) / (f.count - 1) / DAY) : null,
      channels: channels.of(p),
      deviceTypes: deviceTypes.of(p),
      productsBought: f.products,
      unitsBought: f.units,
      cartsAbandoned: carts?.abandoned ?? 0,
      cartsRecovered: carts?.recovered ?? 0,
    };
  });
  const order = rows.map((_, i) => i).sort((a, b) => (rows[a].customerId < rows[b].customerId ? -1 : rows[a].customerId > rows[b].customerId ? 1 : 0));
  return { rows: order.map((i) => rows[i]), profiles: Int32Array.from(order, (i) => picked[i]) };
}

// The order figures of one profile at a time, from its orders in [from, to), with work arrays
// shared by every profile (a Map and a Set per customer were most of the garbage at 100,000).
class OrderFigures {
  count = 0;
  firstAt = Infinity;
  lastAt = -Infinity;
  units = 0;
  products = 0;
  currencies: CurrencyFigures[] = [];
  // By currency index + 1 (0: none): orders, revenue, latest order; and which were touched.
  private readonly ordersOf: Int32Array;
  private readonly revenueOf: Float64Array;
  private readonly latestOf: Int32Array;
  private readonly touched: number[] = [];
  // The last profile (+ 1) that bought each product: distinct products without a Set.
  private readonly boughtBy: Int32Array;

  constructor(
    private readonly orders: OrderRows,
    private readonly from: number,
    private readonly to: number,
  ) {
    const groups = orders.currencies.length + 1;
    this.ordersOf = new Int32Array(groups);
    this.revenueOf = new Float64Array(groups);
    this.latestOf = new Int32Array(groups);
    this.boughtBy = new Int32Array(orders.view.products.size);
  }

  of(p: number): this {
    const { orders, from, to, ordersOf, revenueOf, latestOf, touched, boughtBy } = this;
    const { carts } = orders.view;
    this.count = this.units = this.products = 0;
    this.firstAt = Infinity;
    this.lastAt = -Infinity;
    touched.length = 0;
    for (let k = orders.offsets[p]; k < orders.offsets[p + 1]; k++) {
      const t = orders.ts[k];
      if (t < from || t >= to) continue;
      this.count++;
      if (t < this.firstAt) this.firstAt = t;
      if (t > this.lastAt) this.lastAt = t;
      const g = orders.currency[k] + 1;
      if (ordersOf[g] === 0) touched.push(g);
      ordersOf[g]++;
      revenueOf[g] += orders.amount[k];
      latestOf[g] = k; // orders are in time order: the latest order of the currency so far
      const e = orders.view.cart[orders.row[k]];
      const o = e >= 0 ? carts.order[e] : -1;
      if (o < 0) continue;
      for (let l = carts.orders.lineStart[o]; l < carts.orders.lineStart[o] + carts.orders.lineCount[o]; l++) {
        const product = carts.lines.product[l];
        if (product < 0) continue;
        if (boughtBy[product] !== p + 1) {
          boughtBy[product] = p + 1;
          this.products++;
        }
        const q = carts.lines.quantity[l];
        this.units += q > 0 ? q : 1;
      }
    }
    touched.sort((x, y) => ordersOf[y] - ordersOf[x] || latestOf[y] - latestOf[x]);
    this.currencies = touched.map((g) => {
      const figures = { currency: g === 0 ? null : orders.currencies[g - 1], orders: ordersOf[g], revenue: cents(revenueOf[g]), averageOrderValue: cents(revenueOf[g] / ordersOf[g]) };
      ordersOf[g] = 0;
      revenueOf[g] = 0;
      return figures;
    });
    return this;
  }
}
