// The analytics engine: pure, in memory, no I/O. Storage feeds facts in row order and hands over
// the identity graph; this file keeps the derived indexes (sessions, profiles) cached until new
// facts or a new graph arrive, so repeated queries pay only for the query.
import type { StoredEvent, SpurEvent } from '@spur/sdk';
import { cartAbandonedEvents, detectAbandonedCarts, type AbandonedCart } from './carts';
import { FactTable, type Fact } from './facts';
import { FactRecord } from './fact-record';
import { readStoredEvent } from './from-event';
import { runFunnel, type FunnelQuery, type FunnelResult } from './funnel';
import { overview, type Overview, type OverviewQuery } from './overview';
import { productStats, type ProductStats } from './products';
import { customerStats, type CustomerStats } from './profile-stats';
import { resolveProfiles, type IdentityGraph, type ProfileIndex } from './profiles';
import { buildSessions, type SessionIndex } from './sessions';
import { stepOptions, type StepOption } from './steps';

export * from './carts';
export * from './channels';
export * from './dictionary';
export * from './duration';
export * from './facts';
export * from './formats';
export * from './from-event';
export * from './funnel';
export * from './funnel-warnings';
export * from './grouping';
export * from './overview';
export * from './products';
export * from './profile-stats';
export * from './profiles';
export { releaseScratch } from './scratch';
export * from './sessions';
export * from './steps';
export * from './time-zone';

export interface AnalyticsOptions {
  /** @defaultValue 30 (SPUR_SESSION_MINUTES) */
  sessionMinutes?: number;
  /** @defaultValue 30 (SPUR_ABANDON_MINUTES) */
  abandonMinutes?: number;
}

export interface Range {
  from?: number;
  to?: number;
}

export interface Analytics {
  readonly table: FactTable;
  append(fact: Fact): void;
  appendEvent(event: StoredEvent, seq: number): void;
  /** Replaces the identity graph (links and aliases as storage holds them now). */
  setIdentity(graph: IdentityGraph): void;
  sessions(): SessionIndex;
  profiles(): ProfileIndex;
  funnel(query: FunnelQuery): FunnelResult;
  abandonedCarts(options: Range & { asOf: number }): AbandonedCart[];
  /** Cart Abandoned events for every cart abandoned by asOf; storage drops those already recorded. */
  cartAbandonedEvents(asOf: number): SpurEvent[];
  products(options: Range & { asOf: number }): ProductStats[];
  customers(range?: Range): CustomerStats[];
  /** The overview of [from, to) (overview.ts), carts as of `asOf`. */
  overview(query: OverviewQuery & { asOf: number }): Overview;
  /** The event names and page paths a funnel step can name (steps.ts). */
  steps(range?: Range): StepOption[];
}

/** An engine over a growing fact table, with cached sessions and profiles. */
export function createAnalytics(options: AnalyticsOptions = {}): Analytics {
  const table = new FactTable();
  const sessionMs = (options.sessionMinutes ?? 30) * 60 * 1000;
  const abandonMs = (options.abandonMinutes ?? 30) * 60 * 1000;
  let graph: IdentityGraph = { links: [], aliases: [] };
  let sessionCache: { length: number; index: SessionIndex } | undefined;
  let profileCache: { length: number; graph: IdentityGraph; index: ProfileIndex } | undefined;

  const sessions = () => {
    if (sessionCache?.length !== table.length) {
      sessionCache = { length: table.length, index: buildSessions(table.view(), { timeoutMs: sessionMs }) };
    }
    return sessionCache.index;
  };
  const profiles = () => {
    if (profileCache?.length !== table.length || profileCache.graph !== graph) {
      profileCache = { length: table.length, graph, index: resolveProfiles(table.view(), graph) };
    }
    return profileCache.index;
  };
  // Sessions and profiles are computed on the view of the same length, so their rows line up.
  const view = () => table.view();
  const carts = (o: Range & { asOf: number }) => detectAbandonedCarts(view(), profiles(), { ...o, abandonAfterMs: abandonMs });

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
    sessions,
    profiles,
    funnel: (query) =>
      runFunnel({ facts: view(), sessions: sessions(), profiles: query.unit === 'customer' ? profiles() : undefined }, query),
    abandonedCarts: carts,
    cartAbandonedEvents: (asOf) => cartAbandonedEvents(carts({ asOf })),
    products: ({ asOf, from, to }) => productStats(view(), profiles(), carts({ asOf, from, to }), { from, to }),
    customers: (range) => customerStats(view(), profiles(), sessions(), range),
    overview: ({ asOf, ...query }) => overview(view(), sessions(), profiles(), carts({ asOf, from: query.from, to: query.to }), query),
    steps: (range) => stepOptions(view(), range),
  };
}
