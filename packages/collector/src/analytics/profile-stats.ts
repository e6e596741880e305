// Per-customer figures (issue 5, profiles export): the history CX teams ask for.
//
// Decisions where the issue is silent:
//  - Customers only: profiles with a customer id (anonymous visitors are in the sessions).
//  - Every figure is over the customer's facts with time in [from, to); a customer without any
//    there is left out. Without a range, that is the whole history.
//  - devices = distinct anonymous ids among those facts (a browser, app install or cleared
//    cookie each count once); sessions = distinct sessions (sessions.ts).
//  - orders = Order Completed events, once per order_id (a resent order counts once); an order's
//    amount is its `revenue`, else `total`, else the sum of its products' price x quantity.
//  - averageOrderValue = revenue / orders, rounded to cents; null without orders.
import { assertSameRows, ORDER_COMPLETED, type FactView } from './facts';
import type { ProfileIndex } from './profiles';
import type { SessionIndex } from './sessions';

export interface CustomerStats {
  customerId: string;
  firstSeen: string;
  lastSeen: string;
  events: number;
  sessions: number;
  devices: number;
  orders: number;
  revenue: number;
  averageOrderValue: number | null;
  lastPurchaseAt: string | null;
}

interface Acc {
  first: number;
  last: number;
  events: number;
  sessions: Set<number>;
  devices: Set<number>;
  orderIds: Set<number>;
  orders: number;
  revenue: number;
  lastPurchase: number;
}

/** Per-customer figures, ordered by customerId. */
export function customerStats(
  view: FactView,
  profiles: ProfileIndex,
  sessions: SessionIndex,
  range: { from?: number; to?: number } = {},
): CustomerStats[] {
  assertSameRows(view, profiles, 'profiles');
  assertSameRows(view, sessions, 'sessions');
  const from = range.from ?? -Infinity;
  const to = range.to ?? Infinity;
  const ordered = view.names.id(ORDER_COMPLETED);
  const accs = new Map<number, Acc>();
  const carts = view.carts;
  const orders = carts.orders;
  for (let i = 0; i < view.length; i++) {
    const p = profiles.ofRow[i];
    if (p < 0 || profiles.customerId(p) === null) continue;
    const t = view.ts[i];
    if (t < from || t >= to) continue;
    let a = accs.get(p);
    if (!a) {
      a = { first: t, last: t, events: 0, sessions: new Set(), devices: new Set(), orderIds: new Set(), orders: 0, revenue: 0, lastPurchase: -Infinity };
      accs.set(p, a);
    }
    a.events++;
    if (t < a.first) a.first = t;
    if (t > a.last) a.last = t;
    if (sessions.ofRow[i] >= 0) a.sessions.add(sessions.ofRow[i]);
    if (view.anonymousId[i] >= 0) a.devices.add(view.anonymousId[i]);
    if (ordered < 0 || view.name[i] !== ordered) continue;
    const k = view.cart[i];
    const o = k >= 0 ? carts.order[k] : -1;
    const orderId = o >= 0 ? orders.orderId[o] : -1;
    if (orderId >= 0) {
      if (a.orderIds.has(orderId)) continue;
      a.orderIds.add(orderId);
    }
    a.orders++;
    a.revenue += o >= 0 ? orderAmount(view, o) : 0;
    if (t > a.lastPurchase) a.lastPurchase = t;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return [...accs.entries()]
    .map(([p, a]) => {
      const revenue = Math.round(a.revenue * 100) / 100;
      return {
        customerId: profiles.customerId(p)!,
        firstSeen: iso(a.first),
        lastSeen: iso(a.last),
        events: a.events,
        sessions: a.sessions.size,
        devices: a.devices.size,
        orders: a.orders,
        revenue,
        averageOrderValue: a.orders ? Math.round((a.revenue / a.orders) * 100) / 100 : null,
        lastPurchaseAt: a.orders ? iso(a.lastPurchase) : null,
      };
    })
    .sort((x, y) => (x.customerId < y.customerId ? -1 : x.customerId > y.customerId ? 1 : 0));
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
