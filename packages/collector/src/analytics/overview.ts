// The overview (the dashboard's first view, and the `overview` export): visitors, sessions,
// orders, revenue per currency, conversion, abandoned and recovered carts over [from, to), and the
// same per day (or hour) of the shop's time zone.
//
// Definitions:
//  - visitors: distinct visitors (anonymous id, else customer id: sessions.ts visitorsOf) with an
//    event in the range (in the bucket, for a point: a visitor counts in each day it came, and
//    once in the total);
//  - sessions: sessions (sessions.ts) that started in the range;
//  - orders: Order Completed events in the range, once per order_id within a stitched profile (a
//    resent order counts once, where it was first stored); revenue per currency: their amounts
//    (profile-stats.ts orderAmount: revenue, else total, else the lines), never summed across
//    currencies; an order without a currency is under `null`;
//  - conversionRate: sessions started in the range in which an order counted above happened, over
//    those sessions (4 decimals; null without sessions);
//  - abandonedCarts / recoveredCarts: carts abandoned in the range (carts.ts), as of `asOf`, and
//    those of them recovered.
// Bots (device type `bot`) are left out of every figure, by the rule every figure follows.
import type { AbandonedCart } from './carts';
import { assertSameRows, CART_ABANDONED, ORDER_COMPLETED, type FactView } from './facts';
import { orderAmount } from './profile-stats';
import type { ProfileIndex } from './profiles';
import { visitorsOf, type SessionIndex } from './sessions';
import { bucketStarts, localDate, localHour } from './time-zone';

export type OverviewInterval = 'day' | 'hour';
export const OVERVIEW_INTERVALS: readonly OverviewInterval[] = ['day', 'hour'];
/** Points of a series at most (a year of days; a month of hours). */
export const MAX_POINTS = 1000;

export interface CurrencyRevenue {
  currency: string | null;
  orders: number;
  revenue: number;
}

export interface OverviewTotals {
  visitors: number;
  sessions: number;
  orders: number;
  /** One entry per currency, most revenue first. */
  revenue: CurrencyRevenue[];
  conversionRate: number | null;
  abandonedCarts: number;
  recoveredCarts: number;
}

export interface OverviewPoint {
  /** The bucket's first instant (ISO, UTC). */
  start: string;
  /** The bucket in the shop's time zone: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:00` for hours. */
  label: string;
  visitors: number;
  sessions: number;
  orders: number;
  /** Revenue by currency (the key `null` for orders without one). */
  revenue: Record<string, number>;
}

export interface Overview {
  from: string;
  to: string;
  timeZone: string;
  interval: OverviewInterval;
  totals: OverviewTotals;
  series: OverviewPoint[];
}

export interface OverviewQuery {
  from: number;
  to: number;
  timeZone: string;
  interval: OverviewInterval;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The overview of [from, to); `carts` are the carts abandoned in that range (carts.ts). */
export function overview(view: FactView, sessions: SessionIndex, profiles: ProfileIndex, carts: readonly AbandonedCart[], query: OverviewQuery): Overview {
  assertSameRows(view, sessions, 'sessions');
  assertSameRows(view, profiles, 'profiles');
  const { from, to, timeZone, interval } = query;
  const starts = bucketStarts(from, to, timeZone, interval);
  if (starts.length > MAX_POINTS) throw new RangeError(`${starts.length} ${interval}s are more than ${MAX_POINTS} points`);
  const bucketOf = (t: number) => {
    // Binary search: the last start at or before t.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const bot = view.agents.map((a) => a.device === 'bot');
  const isBot = (row: number) => view.agent[row] >= 0 && bot[view.agent[row]];
  const derived = view.names.id(CART_ABANDONED);
  const ordered = view.names.id(ORDER_COMPLETED);

  const points = starts.map((s) => ({
    start: new Date(s).toISOString(),
    label: interval === 'day' ? localDate(s, timeZone) : localHour(s, timeZone),
    visitors: new Set<number>(),
    sessions: 0,
    orders: 0,
    revenue: {} as Record<string, number>,
  }));
  // A reused work buffer (scratch.ts): the visitor of each of possibly millions of rows.
  const visitors = visitorsOf(view, 'overview.visitors');
  const seenVisitor = new Uint8Array(visitors.count);
  let visitorCount = 0;
  const revenue = new Map<string | null, CurrencyRevenue>();
  const converted = new Set<number>();
  let totalOrders = 0;

  // Orders are counted once per (profile, order id), where first stored: seen before the range too.
  const seenOrders = new Map<number, Set<number>>();
  const { orders, currency: currencies } = view.carts;
  for (let i = 0; i < view.length; i++) {
    const name = view.name[i];
    if (derived >= 0 && name === derived) continue;
    const t = view.ts[i];
    if (ordered >= 0 && name === ordered) {
      const k = view.cart[i];
      const o = k >= 0 ? view.carts.order[k] : -1;
      const orderId = o >= 0 ? orders.orderId[o] : -1;
      const profile = profiles.ofRow[i];
      if (orderId >= 0 && profile >= 0) {
        const seen = seenOrders.get(profile) ?? seenOrders.set(profile, new Set()).get(profile)!;
        if (seen.has(orderId)) continue;
        seen.add(orderId);
      }
      if (t < from || t >= to || isBot(i)) continue;
      const amount = o >= 0 ? orderAmount(view, o) : 0;
      const currency = k >= 0 && currencies[k] >= 0 ? view.carts.currencies.value(currencies[k])!.toUpperCase() : null;
      const entry = revenue.get(currency) ?? revenue.set(currency, { currency, orders: 0, revenue: 0 }).get(currency)!;
      entry.orders++;
      entry.revenue += amount;
      totalOrders++;
      const point = points[bucketOf(t)];
      point.orders++;
      const key = String(currency);
      point.revenue[key] = (point.revenue[key] ?? 0) + amount;
      if (sessions.ofRow[i] >= 0) converted.add(sessions.ofRow[i]);
    }
    if (t < from || t >= to || isBot(i)) continue;
    const v = visitors.ofRow[i];
    if (v < 0) continue;
    if (seenVisitor[v] === 0) {
      seenVisitor[v] = 1;
      visitorCount++;
    }
    points[bucketOf(t)].visitors.add(v);
  }

  let sessionCount = 0;
  let convertedCount = 0;
  for (let s = 0; s < sessions.count; s++) {
    const start = sessions.start[s];
    if (start < from || start >= to) continue;
    if (sessions.agentRow[s] >= 0 && isBot(sessions.agentRow[s])) continue;
    sessionCount++;
    if (converted.has(s)) convertedCount++;
    points[bucketOf(start)].sessions++;
  }

  const totals: OverviewTotals = {
    visitors: visitorCount,
    sessions: sessionCount,
    orders: totalOrders,
    revenue: [...revenue.values()].map((r) => ({ ...r, revenue: round2(r.revenue) })).sort((a, b) => b.revenue - a.revenue || String(a.currency).localeCompare(String(b.currency))),
    conversionRate: sessionCount > 0 ? Math.round((convertedCount / sessionCount) * 10000) / 10000 : null,
    abandonedCarts: carts.length,
    recoveredCarts: carts.filter((c) => c.recovered).length,
  };
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    timeZone,
    interval,
    totals,
    series: points.map((p) => ({
      start: p.start,
      label: p.label,
      visitors: p.visitors.size,
      sessions: p.sessions,
      orders: p.orders,
      revenue: Object.fromEntries(Object.entries(p.revenue).map(([c, v]) => [c, round2(v)])),
    })),
  };
}
