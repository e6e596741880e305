// The analytics engine: pure, in memory, no I/O. Storage feeds facts in row order and hands over
// the identity graph; this file keeps the derived indexes (sessions, profiles) cached until new
// facts or a new graph arrive, so repeated queries pay only for the query.
import type { StoredEvent, SpurEvent } from '@spur/sdk';
import { abandonedCartRows, type AbandonedCartRow } from './cart-rows';
import { abandonments, abandonmentsSince, cartAbandonedEvents, countAbandonments, detectAbandonedCarts, type AbandonedCart, type ReplayMark } from './carts';
import { FactTable, type Fact, type FactView } from './facts';
import { FactRecord } from './fact-record';
import { readStoredEvent } from './from-event';
import { runFunnel, type FunnelQuery, type FunnelResult } from './funnel';
import { overview, type Overview, type OverviewQuery } from './overview';
import { ordersOf, type OrderOptions, type OrderRows } from './orders';
import { rfmSegments } from './rfm-history';
import { productStats, type ProductStats } from './products';
import { customerDetail, customerTable, findProfile, segmentSummary, type CustomerDetail, type CustomerTable, type SegmentSummary } from './customers';
import { productsTogether, type ProductPair } from './products-together';
import { createPredictionCache, type Prediction } from './prediction/prediction-cache';
import { resolveProfiles, type IdentityGraph, type ProfileIndex } from './profiles';
import { filterRows, filters, profilesWithRows, type RowFilter } from './filters';
import { botMask, withRows, type RowOptions, type Scope } from './rows';
import { buildSessions, NONE, type SessionIndex } from './sessions';
import { SEGMENTS } from './rfm';
import { stepOptions, type StepOption } from './steps';
import { cartReasons, type CartReasonRow } from './survey-reasons';

export * from './cart-rows';
export * from './cart-walk';
export * from './carts';
export * from './customer-stats';
export * from './customers';
export * from './channels';
export * from './dictionary';
export * from './duration';
export * from './facts';
export * from './filters';
export * from './formats';
export * from './from-event';
export * from './funnel';
export * from './funnel-warnings';
export * from './grouping';
export * from './orders';
export * from './overview';
export * from './products';
export * from './products-together';
export * from './profiles';
export * from './rfm';
export * from './rfm-history';
export * from './rows';
export * from './sales-channel';
export { releaseScratch } from './scratch';
export * from './sessions';
export * from './steps';
export * from './survey';
export * from './survey-events';
export * from './survey-reasons';
export * from './time-zone';

export interface AnalyticsOptions {
  /** @defaultValue 30 (SPUR_SESSION_MINUTES) */
  sessionMinutes?: number;
  /** @defaultValue 30 (SPUR_ABANDON_MINUTES) */
  abandonMinutes?: number;
  /** The purchase model's fit and predictions, which the engine keeps per state and day (tests count fits through it). @defaultValue predictCustomers */
  predict?: (orders: OrderRows, asOf: number) => Prediction;
}

export interface Range {
  from?: number;
  to?: number;
}

/**
 * What a query counts: a time range, bots or not, and a filter (filters.ts). `asOf` is the moment
 * of the segment filter's segments when the range has no end (exports pass the clock's now).
 */
export type Narrowing = Range & RowOptions & { filter?: RowFilter; asOf?: number };

/** What the customers figures take: asOf is inclusive ("as if that moment were now"). */
export interface CustomerOptions extends Narrowing {
  asOf: number;
}

export interface Analytics {
  readonly table: FactTable;
  append(fact: Fact): void;
  appendEvent(event: StoredEvent, seq: number): void;
  /** Replaces the identity graph (links and aliases as storage holds them now). */
  setIdentity(graph: IdentityGraph): void;
  /**
   * The rows every figure counts: bots' events left out unless `includeBots`. Cached, with its
   * sessions and profiles, until new facts or a new identity graph arrive.
   */
  scope(options?: RowOptions): Scope;
  /** The default scope's sessions (bots left out). */
  sessions(): SessionIndex;
  /** The default scope's profiles (bots left out). */
  profiles(): ProfileIndex;
  funnel(query: FunnelQuery & Narrowing): FunnelResult;
  /**
   * Carts abandoned in [from, to) as of asOf; with `since` (where an earlier replay stood), also
   * every cart of the profiles that may have changed since (carts.ts abandonmentsSince).
   */
  abandonedCarts(options: Narrowing & { asOf: number; since?: ReplayMark }): AbandonedCart[];
  /** The carts export's rows: abandoned carts with where they were left (cart-rows.ts). */
  abandonedCartRows(options: Narrowing & { asOf: number }): AbandonedCartRow[];
  /** The cart-reasons export's rows: exit survey answers weighted by lost cart value (survey-reasons.ts). */
  cartReasons(options: Narrowing & { asOf: number }): CartReasonRow[];
  /** Cart Abandoned events for every cart abandoned by asOf (no bot's); storage drops those already recorded. */
  cartAbandonedEvents(asOf: number): SpurEvent[];
  products(options: Narrowing & { asOf: number }): ProductStats[];
  productsTogether(options: Narrowing & { asOf: number; minOrders?: number; limit?: number }): ProductPair[];
  /**
   * Every customer as of options.asOf (customers.ts): statistics over [from, to) up to asOf, RFM
   * scores and segments with their history over every order up to asOf. A filter selects the
   * customers with a fact in range it keeps (their figures stay whole: filters.ts).
   */
  customers(options: CustomerOptions): CustomerTable;
  /**
   * One customer's row as customers() has it (RFM over everyone), found by its profile id and the
   * ids stitched to it; null when nothing of it is in scope by asOf.
   */
  customer(id: string, ids: { customerIds: readonly string[]; anonymousIds: readonly string[] }, options: { asOf: number } & RowOptions): CustomerDetail | null;
  /**
   * Customers and value per RFM segment as of options.asOf, and the R x FM grid; with a range or a
   * filter, of the customers with an event in it (filters.ts profilesWithRows).
   */
  segments(options: CustomerOptions): SegmentSummary;
  /** Orders per stitched profile up to options.asOf (orders.ts), for statistics, RFM and the purchase model. */
  orders(options?: OrderOptions): OrderRows;
  /**
   * The overview of [from, to) (overview.ts) in the default scope (bots left out unless
   * includeBots), narrowed by a filter; carts as of `asOf`.
   */
  overview(query: OverviewQuery & Narrowing & { asOf: number }): Overview;
  /** The event names and page paths a funnel step can name (steps.ts), of the rows a filter keeps. */
  steps(options?: Narrowing): StepOption[];
}

/** An engine over a growing fact table, with cached sessions and profiles. */
export function createAnalytics(options: AnalyticsOptions = {}): Analytics {
  const table = new FactTable();
  const sessionMs = (options.sessionMinutes ?? 30) * 60 * 1000;
  const abandonMs = (options.abandonMinutes ?? 30) * 60 * 1000;
  let graph: IdentityGraph = { links: [], aliases: [] };
  // The scopes of the table as it is now: without bots (the default) and with them; both are the
  // same object when no row is a bot's. Made again when facts arrive; profiles also when the
  // identity graph changes (sessions do not depend on it).
  let scopes: { length: number; withoutBots: Scope; withBots?: Scope } | undefined;

  const makeScope = (view: FactView): Scope => {
    let sessionIndex: SessionIndex | undefined;
    let profileIndex: { graph: IdentityGraph; index: ProfileIndex } | undefined;
    return {
      view,
      sessions: () => (sessionIndex ??= buildSessions(view, { timeoutMs: sessionMs })),
      profiles() {
        if (profileIndex?.graph !== graph) profileIndex = { graph, index: resolveProfiles(view, graph) };
        return profileIndex.index;
      },
    };
  };
  const scope = (options: RowOptions = {}): Scope => {
    if (scopes?.length !== table.length) {
      const view = table.view();
      const keep = botMask(view);
      scopes = { length: table.length, withoutBots: makeScope(withRows(view, keep)) };
      if (keep === null) scopes.withBots = scopes.withoutBots;
    }
    if (!options.includeBots) return scopes.withoutBots;
    return (scopes.withBots ??= makeScope(table.view()));
  };
  // The rows a filter keeps; its segments are those at the end of the range, else at asOf.
  const kept = (s: Scope, o: Narrowing) => filterRows(s, o.filter ?? {}, o.to !== undefined ? o.to - 1 : (o.asOf ?? Infinity));
  const cartOptions = (o: Narrowing & { asOf: number }) => {
    const s = scope(o);
    return { s, options: { asOf: o.asOf, from: o.from, to: o.to, abandonAfterMs: abandonMs, keep: kept(s, o) } };
  };
  // The RFM segment of a row's customer as of the end of the range (else asOf), as the segment
  // filter decides it (filters.ts), so a funnel by segment and one filtered to a segment agree.
  const segmentOfRow = (s: Scope, o: Narrowing) => {
    const profiles = s.profiles();
    const asOf = o.to !== undefined ? o.to - 1 : (o.asOf ?? Infinity);
    const rfm = rfmSegments(ordersOf(s.view, profiles, { asOf }));
    return (row: number) => {
      const p = profiles.ofRow[row];
      return p >= 0 && rfm.segment[p] >= 0 ? SEGMENTS[rfm.segment[p]] : NONE;
    };
  };
  // Without the rows' context (pages, sessions): the abandonment job asks every minute.
  const carts = (o: Narrowing & { asOf: number; since?: ReplayMark }) => {
    const { s, options: c } = cartOptions(o);
    const found = o.since === undefined ? abandonments(s.view, s.profiles(), c) : abandonmentsSince(s.view, s.profiles(), c, o.since);
    return found
      .filter((a) => c.keep === null || c.keep[a.lastRow] === 1)
      .map((a) => a.cart);
  };

  // The purchase model fitted once per state and day: a customer's history asks for it per request.
  const { predict } = createPredictionCache(options.predict);
  // One record, refilled for every stored event: appending makes no object per event.
  const record = new FactRecord();

  return {
    table,
    append: (fact) => table.append(fact),
    appendEvent(event, seq) {
      readStoredEvent(event, seq, record);
      table.appendRecord(record);
    },
    setIdentity(next) {
      graph = next;
    },
    scope,
    sessions: () => scope().sessions(),
    profiles: () => scope().profiles(),
    funnel(query) {
      const s = scope(query);
      const sources = { facts: s.view, sessions: s.sessions(), startRows: kept(s, query), segmentOf: query.by === 'segment' ? segmentOfRow(s, query) : undefined };
      return runFunnel({ ...sources, profiles: query.unit === 'customer' ? s.profiles() : undefined }, query);
    },
    abandonedCarts: carts,
    abandonedCartRows(o) {
      const { s, options: c } = cartOptions(o);
      return abandonedCartRows(s, c);
    },
    cartReasons(o) {
      const { s, options: c } = cartOptions(o);
      return cartReasons(s, c);
    },
    cartAbandonedEvents: (asOf) => cartAbandonedEvents(carts({ asOf })),
    products(o) {
      const s = scope(o);
      return productStats(s, { asOf: o.asOf, abandonAfterMs: abandonMs, from: o.from, to: o.to, keep: kept(s, o) });
    },
    productsTogether(o) {
      const s = scope(o);
      return productsTogether(s, { ...o, keep: kept(s, o) });
    },
    customers(o) {
      const s = scope(o);
      // carts.ts reads facts before its asOf; customers' asOf includes its own millisecond.
      const carts = detectAbandonedCarts(s.view, s.profiles(), { asOf: o.asOf + 1, abandonAfterMs: abandonMs });
      const orders = ordersOf(s.view, s.profiles(), { asOf: o.asOf });
      const keep = filterRows(s, o.filter ?? {}, o.asOf);
      return customerTable({ view: s.view, profiles: s.profiles(), sessions: s.sessions(), orders, carts, from: o.from, to: o.to, keep, predict });
    },
    customer(id, ids, o) {
      const s = scope(o);
      const p = findProfile(s.view, s.profiles(), id, ids);
      if (p < 0) return null;
      const carts = detectAbandonedCarts(s.view, s.profiles(), { asOf: o.asOf + 1, abandonAfterMs: abandonMs });
      const orders = ordersOf(s.view, s.profiles(), { asOf: o.asOf });
      return customerDetail({ view: s.view, profiles: s.profiles(), sessions: s.sessions(), orders, carts, predict }, p);
    },
    segments(o) {
      const s = scope(o);
      const orders = ordersOf(s.view, s.profiles(), { asOf: o.asOf });
      const narrowed = filters(o.filter ?? {}) || o.from !== undefined || o.to !== undefined;
      const only = narrowed ? profilesWithRows(s, filterRows(s, o.filter ?? {}, o.asOf), o.from, Math.min(o.to ?? Infinity, o.asOf + 1)) : undefined;
      return segmentSummary(orders, rfmSegments(orders), only);
    },
    orders(o = {}) {
      const s = scope(o);
      return ordersOf(s.view, s.profiles(), o);
    },
    overview(o) {
      const { s, options: c } = cartOptions(o);
      const counts = countAbandonments(s.view, s.profiles(), c, c.keep);
      return overview(s, counts, { from: o.from, to: o.to, timeZone: o.timeZone, interval: o.interval }, c.keep);
    },
    steps(o = {}) {
      const s = scope(o);
      return stepOptions(s.view, o, kept(s, o));
    },
  };
}
