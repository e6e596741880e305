// The overview (the dashboard's first view, and the `overview` export): visitors, sessions,
// orders, revenue per currency, conversion, abandoned and recovered carts over [from, to), and the
// same per day (or hour) of the shop's time zone.
//
// Definitions:
//  - visitors: distinct visitors (anonymous id, else customer id: sessions.ts visitorsOf) with an
//    event in the range (in the bucket, for a point: a visitor counts in each day it came, and
//    once in the total);
//  - sessions: sessions (sessions.ts) that started in the range;
//  - orders: the orders of orders.ts (once per order_id within a stitched profile, where first
//    stored) placed in the range; revenue per currency: their amounts (revenue, else total, else
//    the lines), never summed across currencies; an order without a currency is under `null`;
//  - conversionRate: sessions started in the range in which an order counted above happened, over
//    those sessions (4 decimals; null without sessions);
//  - abandonedCarts / recoveredCarts: carts abandoned in the range (carts.ts), as of `asOf`, and
//    those of them recovered.
// The figures count the scope's rows (rows.ts: bots left out unless includeBots). A filter
// (filters.ts: device, channel, UTM source) counts visitors with an event on it, sessions that
// started on it (their landing), orders placed on it and carts last touched on it.
import type { CartCounts } from './cart-walk';
import { assertSameRows, CART_ABANDONED } from './facts';
import { ordersOf } from './orders';
import type { Scope } from './rows';
import { visitorsOf } from './sessions';
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

/**
 * The overview of [from, to) over the scope's rows; `carts` counts the carts abandoned in that
 * range and those of them recovered (carts.ts countAbandonments), `keep` the rows a filter keeps
 * (null: all).
 */
export function overview(scope: Scope, carts: CartCounts, query: OverviewQuery, keep: Uint8Array | null = null): Overview {
  const { view } = scope;
  const sessions = scope.sessions();
  assertSameRows(view, sessions, 'sessions');
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
  const kept = (row: number) => keep === null || keep[row] === 1;

  const points = starts.map((s) => ({
    start: new Date(s).toISOString(),
    label: interval === 'day' ? localDate(s, timeZone) : localHour(s, timeZone),
    visitors: new Set<number>(),
    sessions: 0,
    orders: 0,
    revenue: {} as Record<string, number>,
  }));
  // A reused work buffer (scratch.ts): the visitor of each of possibly millions of rows (-1 for a
  // row the scope leaves out). A visitor counts once in the total and once in each bucket it came.
  const visitors = visitorsOf(view, 'overview.visitors');
  const seenVisitor = new Uint8Array(visitors.count);
  const lastBucket = new Int32Array(visitors.count).fill(-1);
  // The collector's own Cart Abandoned events are no visit.
  const derived = view.names.id(CART_ABANDONED);
  let visitorCount = 0;
  for (let i = 0; i < view.length; i++) {
    const v = visitors.ofRow[i];
    const t = view.ts[i];
    if (v < 0 || t < from || t >= to || !kept(i) || (derived >= 0 && view.name[i] === derived)) continue;
    if (seenVisitor[v] === 0) {
      seenVisitor[v] = 1;
      visitorCount++;
    }
    const b = bucketOf(t);
    // Rows mostly come in time order: a visitor's next row is mostly in the bucket of its last.
    if (lastBucket[v] === b) continue;
    lastBucket[v] = b;
    points[b].visitors.add(v);
  }

  const orders = ordersOf(view, scope.profiles(), { asOf: to - 1 });
  const revenue = new Map<string | null, CurrencyRevenue>();
  const converted = new Set<number>();
  let totalOrders = 0;
  for (let k = 0; k < orders.count; k++) {
    const t = orders.ts[k];
    const row = orders.row[k];
    if (t < from || !kept(row)) continue;
    const amount = orders.amount[k];
    const currency = orders.currency[k] >= 0 ? orders.currencies[orders.currency[k]] : null;
    const entry = revenue.get(currency) ?? revenue.set(currency, { currency, orders: 0, revenue: 0 }).get(currency)!;
    entry.orders++;
    entry.revenue += amount;
    totalOrders++;
    const point = points[bucketOf(t)];
    point.orders++;
    const key = String(currency);
    point.revenue[key] = (point.revenue[key] ?? 0) + amount;
    if (sessions.ofRow[row] >= 0) converted.add(sessions.ofRow[row]);
  }

  let sessionCount = 0;
  let convertedCount = 0;
  for (let s = 0; s < sessions.count; s++) {
    const start = sessions.start[s];
    if (start < from || start >= to) continue;
    if (!kept(sessions.landing[s])) continue;
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
    abandonedCarts: carts.abandoned,
    recoveredCarts: carts.recovered,
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
