// The customers of a shop as of a moment: statistics (customer-stats.ts) joined with RFM scores,
// segments and their history (rfm-history.ts) and the purchase prediction (prediction/: BG/NBD
// and Gamma-Gamma fitted on every order up to asOf), one row per customer, and the summary per
// segment that the segments insight and the dashboard's grid read.
import type { AbandonedCart } from './carts';
import { customerStatistics, type CustomerStats } from './customer-stats';
import type { FactView } from './facts';
import type { OrderRows } from './orders';
import { predictCustomers, type CustomerPrediction } from './prediction';
import type { ProfileIndex } from './profiles';
import { SEGMENT_GRID, SEGMENTS, fmScore, type Segment } from './rfm';
import { dayDate, rfmSegments, type RfmTable } from './rfm-history';
import type { SessionIndex } from './sessions';

/** A customer's RFM fields; null for a customer without an order by asOf. */
export interface CustomerRfm {
  /** Scores 1 to 5 (rfm.ts). */
  recency: number | null;
  frequency: number | null;
  monetary: number | null;
  /** The currency the monetary score ranks in (the main currency); null also for orders without one. */
  monetaryCurrency: string | null;
  daysSinceLastOrder: number | null;
  segment: Segment | null;
  previousSegment: Segment | null;
  /** YYYY-MM-DD: the day from which the customer has been in `segment` (rfm-history.ts). */
  segmentSince: string | null;
}

/** A customer's purchase prediction; null for a customer without an order by asOf, or when the model could not be fitted. */
export interface CustomerForecast {
  /** Probability that the customer is still a customer (BG/NBD), to 4 decimals. */
  pAlive: number | null;
  /** Expected orders in the next 30, 90, 365 days, to 4 decimals. */
  expectedOrders30d: number | null;
  expectedOrders90d: number | null;
  expectedOrders365d: number | null;
  /** expectedOrders365d x the expected spend per order (Gamma-Gamma), in expectedValueCurrency, to cents. */
  expectedValue365d: number | null;
  expectedValueCurrency: string | null;
}

export type CustomerRow = CustomerStats & CustomerRfm & CustomerForecast;

const round4 = (x: number) => Math.round(x * 10000) / 10000;

/** The forecast fields of a prediction (or of none). */
export function forecastOf(prediction: CustomerPrediction | undefined): CustomerForecast {
  if (!prediction) {
    return { pAlive: null, expectedOrders30d: null, expectedOrders90d: null, expectedOrders365d: null, expectedValue365d: null, expectedValueCurrency: null };
  }
  const value = prediction.expectedValue365d;
  return {
    pAlive: round4(prediction.pAlive),
    expectedOrders30d: round4(prediction.expectedOrders30d),
    expectedOrders90d: round4(prediction.expectedOrders90d),
    expectedOrders365d: round4(prediction.expectedOrders365d),
    expectedValue365d: value === null ? null : Math.round(value * 100) / 100,
    expectedValueCurrency: value === null ? null : prediction.currency,
  };
}

/** Every customer as of `asOf`, ordered by customerId. */
export interface CustomerTable {
  asOf: number;
  rows: CustomerRow[];
  /** The profile number of each row (for joining per-profile figures such as predictions). */
  profiles: Int32Array;
  /** Orders up to asOf over every row of the scope (RFM and predictions read these). */
  orders: OrderRows;
  rfm: RfmTable;
}

export interface CustomerTableInput {
  view: FactView;
  profiles: ProfileIndex;
  sessions: SessionIndex;
  /** Orders up to asOf, from the same view. */
  orders: OrderRows;
  /** Abandoned carts as of asOf. */
  carts: readonly AbandonedCart[];
  /** Statistics only over [from, to); RFM is always over every order up to asOf. */
  from?: number;
  to?: number;
  /** A filter's rows: the customers listed (customer-stats.ts). */
  keep?: Uint8Array | null;
  /** The purchase model's fit and predictions (the engine's, fitted once per state: prediction-cache.ts). @defaultValue predictCustomers */
  predict?: (orders: OrderRows, asOf: number) => { byProfile: Map<number, CustomerPrediction> };
}

/** The RFM fields of profile p. */
export function rfmOf(rfm: RfmTable, orders: OrderRows, p: number): CustomerRfm {
  const s = rfm.segment[p];
  if (s < 0) {
    return { recency: null, frequency: null, monetary: null, monetaryCurrency: null, daysSinceLastOrder: null, segment: null, previousSegment: null, segmentSince: null };
  }
  const c = rfm.currency[p];
  return {
    recency: rfm.recency[p],
    frequency: rfm.frequency[p],
    monetary: rfm.monetary[p],
    monetaryCurrency: c < 0 ? null : orders.currencies[c],
    daysSinceLastOrder: rfm.recencyDays[p],
    segment: SEGMENTS[s],
    previousSegment: rfm.previous[p] < 0 ? null : SEGMENTS[rfm.previous[p]],
    segmentSince: dayDate(rfm.sinceDay[p]),
  };
}

/**
 * The profile whose id (profiles.id) is `id`, found through a row that carries one of its customer
 * ids or anonymous ids; -1 when no row of the view belongs to it.
 */
export function findProfile(view: FactView, profiles: ProfileIndex, id: string, ids: { customerIds: readonly string[]; anonymousIds: readonly string[] }): number {
  const users = new Set(ids.customerIds.map((u) => view.userIds.id(u)).filter((c) => c >= 0));
  const anonymous = new Set(ids.anonymousIds.map((a) => view.anonymousIds.id(a)).filter((c) => c >= 0));
  const tried = new Set<number>();
  for (let i = 0; i < view.length; i++) {
    if (!users.has(view.userId[i]) && !anonymous.has(view.anonymousId[i])) continue;
    const p = profiles.ofRow[i];
    if (p < 0 || tried.has(p)) continue;
    if (profiles.id(p) === id) return p;
    tried.add(p);
  }
  return -1;
}

/** One customer's row of the customers table, and the channel of each of its client sessions. */
export interface CustomerDetail {
  row: CustomerRow;
  profile: number;
  orders: OrderRows;
  /** context.sessionId -> the session's channel, device type and UTM source, for the sessions of the customer's events. */
  sessions: Map<string, { channel: string; device: string; utmSource: string }>;
}

/** The row of profile p alone (its statistics; RFM over everyone), or null when it has no events in scope. */
export function customerDetail(input: CustomerTableInput, p: number): CustomerDetail | null {
  const { view, sessions, orders } = input;
  const stats = customerStatistics({ ...input, only: p });
  if (stats.rows.length === 0) return null;
  const rfm = rfmSegments(orders);
  const bySessionId: CustomerDetail['sessions'] = new Map();
  for (let i = 0; i < view.length; i++) {
    if (input.profiles.ofRow[i] !== p || view.sessionId[i] < 0 || sessions.ofRow[i] < 0) continue;
    const key = view.sessionIds.value(view.sessionId[i])!;
    const s = sessions.ofRow[i];
    if (!bySessionId.has(key)) bySessionId.set(key, { channel: sessions.attribute(s, 'channel'), device: sessions.attribute(s, 'device'), utmSource: sessions.attribute(s, 'utm_source') });
  }
  const forecast = forecastOf((input.predict ?? predictCustomers)(orders, orders.asOf).byProfile.get(p));
  return { row: { ...stats.rows[0], ...rfmOf(rfm, orders, p), ...forecast }, profile: p, orders, sessions: bySessionId };
}

/** Statistics and RFM of every customer. */
export function customerTable(input: CustomerTableInput): CustomerTable {
  const { orders } = input;
  const stats = customerStatistics(input);
  const rfm = rfmSegments(orders);
  const { byProfile } = (input.predict ?? predictCustomers)(orders, orders.asOf);
  // The statistics rows gain the other fields in place, every row in the same order of keys: a
  // spread into a new object per row cost about 14 µs a row (most of the call at 100,000 rows).
  const rows = stats.rows.map((row, i) => Object.assign(row, rfmOf(rfm, orders, stats.profiles[i]), forecastOf(byProfile.get(stats.profiles[i]))));
  return { asOf: orders.asOf, rows, profiles: stats.profiles, orders, rfm };
}

/** Customers and value of one segment. */
export interface SegmentFigures {
  segment: Segment;
  customers: number;
  /** Share of the customers who ordered by asOf, to 4 decimals. */
  share: number;
  orders: number;
  /** Revenue per currency of the segment's customers (all their orders up to asOf), by currency code. */
  revenue: { currency: string | null; amount: number }[];
}

/** One cell of the R x FM grid. */
export interface SegmentCell {
  recency: number;
  fm: number;
  segment: Segment;
  customers: number;
}

/** The segments as of asOf: figures per segment (every one, in SEGMENTS order) and the grid. */
export interface SegmentSummary {
  asOf: string;
  customers: number;
  segments: SegmentFigures[];
  grid: SegmentCell[];
}

/** Customers and value per segment, and customers per grid cell; with `only`, of those profiles (1) alone. */
export function segmentSummary(orders: OrderRows, rfm: RfmTable, only?: Uint8Array): SegmentSummary {
  const figures = SEGMENTS.map((segment) => ({ segment, customers: 0, orders: 0, revenue: new Map<number, number>() }));
  const cells = new Int32Array(25);
  for (let p = 0; p < rfm.segment.length; p++) {
    const s = rfm.segment[p];
    if (s < 0 || (only !== undefined && only[p] === 0)) continue;
    const f = figures[s];
    f.customers++;
    cells[(rfm.recency[p] - 1) * 5 + fmScore(rfm.frequency[p], rfm.monetary[p]) - 1]++;
    for (let k = orders.offsets[p]; k < orders.offsets[p + 1]; k++) {
      f.orders++;
      f.revenue.set(orders.currency[k], (f.revenue.get(orders.currency[k]) ?? 0) + orders.amount[k]);
    }
  }
  const total = only === undefined ? rfm.customers : figures.reduce((sum, f) => sum + f.customers, 0);
  const grid: SegmentCell[] = [];
  for (let r = 5; r >= 1; r--) {
    for (let fm = 1; fm <= 5; fm++) grid.push({ recency: r, fm, segment: SEGMENT_GRID[r - 1][fm - 1], customers: cells[(r - 1) * 5 + fm - 1] });
  }
  return {
    asOf: new Date(orders.asOf).toISOString(),
    customers: total,
    segments: figures.map((f) => ({
      segment: f.segment,
      customers: f.customers,
      share: total > 0 ? Math.round((f.customers / total) * 10000) / 10000 : 0,
      orders: f.orders,
      revenue: [...f.revenue.entries()]
        .map(([c, amount]) => ({ currency: c < 0 ? null : orders.currencies[c], amount: Math.round(amount * 100) / 100 }))
        .sort((x, y) => (x.currency === null ? 1 : y.currency === null ? -1 : x.currency < y.currency ? -1 : x.currency > y.currency ? 1 : 0)),
    })),
    grid,
  };
}
