// Identity, pure and backend-independent: which links and aliases stored events make (the
// customer and alias rules), and who owns what given the links (storage only fetches them).
// Nothing is rewritten on identify; ownership is computed at query time, so a later identify
// back-fills history and an erasure finds everything.
//
// ARCHITECTURE.md rules ("Identity stitching"):
//  1. identify(U) from anonymous id A: all of A's events, before and after, belong to U.
//  2. a customer may have many anonymous ids (one link each).
//  3. two customer ids are never merged automatically (only `alias` merges).
//  4. A identifying as U1 at t1 and later as U2 at t2: A's anonymous events from t2 on go to U2.
import type { JsonObject, Profile, StoredEvent } from '@spur/sdk';
import type { AliasEdge, IdentityLink } from '../storage/types';

export type { AliasEdge, IdentityGraph, IdentityLink } from '../storage/types';

/** What identity needs of a stored event. */
export interface IdentityFields {
  type: string;
  anonymousId: string | null;
  userId: string | null;
  previousId: string | null;
  /** The event's (corrected) time. */
  timestamp: string;
}

/** The links and aliases that stored events make, gathered for one write transaction. */
export interface IdentityWrites {
  /**
   * Records what a stored event says, in the order events are stored: every event carrying
   * anonymousId and userId links them, first seen at its time (the earliest time wins); an alias
   * (previousId -> userId) of a previousId that is a customer id merges it (an alias edge only:
   * its events and links then resolve to userId), of any other previousId links it like an
   * identify, and records the edge too (the first alias of an id wins).
   */
  add(event: IdentityFields): void;
  /** The links, one per (anonymousId, userId), at their earliest time. */
  links(): IdentityLink[];
  /** The alias edges, in event order. */
  aliases(): (AliasEdge & { createdAt: string })[];
}

/**
 * Gathers links and aliases. `customersBefore`: those previousIds of alias events that were
 * customer ids before the transaction (StorageReads.knownCustomers); an event stored earlier in
 * the transaction makes its userId one too, exactly as if each event were written alone.
 */
export function identityWrites(customersBefore: ReadonlySet<string>): IdentityWrites {
  const customers = new Set<string>();
  const links = new Map<string, IdentityLink>();
  const aliases: (AliasEdge & { createdAt: string })[] = [];
  const link = (anonymousId: string, userId: string, at: string) => {
    const key = JSON.stringify([anonymousId, userId]);
    const known = links.get(key);
    if (!known || at < known.firstSeen) links.set(key, { anonymousId, userId, firstSeen: at });
  };
  return {
    add({ type, anonymousId, userId, previousId, timestamp }) {
      // A userId of a stored event is a customer id (StorageReads.knownCustomers).
      if (userId) customers.add(userId);
      if (anonymousId && userId) link(anonymousId, userId, timestamp);
      if (type === 'alias' && previousId && userId && previousId !== userId) {
        if (!customersBefore.has(previousId) && !customers.has(previousId)) link(previousId, userId, timestamp);
        aliases.push({ previousId, userId, createdAt: timestamp });
      }
    },
    links: () => [...links.values()],
    aliases: () => aliases,
  };
}

/**
 * Links ordered by firstSeen; equal times fall back to userId so every backend and every call
 * agrees on one owner.
 */
function ordered(links: readonly IdentityLink[]): IdentityLink[] {
  return [...links].sort((a, b) =>
    a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0,
  );
}

/**
 * Customer id owning an anonymous-only event at `time`, given all links of its anonymous id;
 * null when the anonymous id was never linked (the event stays on the anonymous profile).
 * The owner is the link with the greatest firstSeen <= time (rule 4); an event older than every
 * link belongs to the earliest link (rule 1: identify back-fills earlier history).
 */
export function ownerAt(links: readonly IdentityLink[], time: string): string | null {
  if (links.length === 0) return null;
  const sorted = ordered(links);
  let owner = sorted[0];
  for (const link of sorted) if (link.firstSeen <= time) owner = link;
  return owner.userId;
}

/** Current owner of an anonymous id: the link with the greatest firstSeen, or null if unlinked. */
export function currentOwner(links: readonly IdentityLink[]): string | null {
  if (links.length === 0) return null;
  const sorted = ordered(links);
  return sorted[sorted.length - 1].userId;
}

/**
 * Follows alias edges (previousId -> userId) to the customer id that represents the merged
 * profile. A cycle (A -> B -> A) means both are one customer; it resolves to the smallest id
 * of the cycle, so every member agrees without the order of the walk mattering.
 */
export function canonicalId(id: string, aliasOf: (id: string) => string | undefined): string {
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = id;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    const next = aliasOf(current);
    if (next === undefined || next === current) return current;
    current = next;
  }
  const cycle = path.slice(seen.get(current));
  return cycle.reduce((min, x) => (x < min ? x : min));
}

/** Orders stored events by time, then by when they arrived (`seq`, the storage's arrival order). */
export function byTime<T extends { event: StoredEvent; seq: number }>(a: T, b: T): number {
  const x = a.event;
  const y = b.event;
  if (x.timestamp !== y.timestamp) return x.timestamp < y.timestamp ? -1 : 1;
  if (x.receivedAt !== y.receivedAt) return x.receivedAt < y.receivedAt ? -1 : 1;
  return a.seq - b.seq;
}

/** Traits of a profile: identify traits merged in time order, later values winning. */
export function mergeTraits(events: readonly StoredEvent[]): JsonObject {
  const traits: JsonObject = {};
  for (const e of events) {
    if (e.type !== 'identify' || !e.traits) continue;
    // Not Object.assign: it would make an own "__proto__" key (JSON.parse creates one) the
    // prototype of the traits instead of data. Validation refuses such keys; a database written
    // before it did may still hold one, and it is left out.
    for (const key of Object.keys(e.traits)) if (key !== '__proto__') traits[key] = e.traits[key];
  }
  return traits;
}

/** The admin API's profile view of a resolved identity and its events (already in time order). */
export function summarizeProfile(
  who: { customerId: string | null; anonymousIds: string[] },
  events: readonly StoredEvent[],
): Profile {
  return {
    id: who.customerId ?? who.anonymousIds[0],
    customerId: who.customerId,
    anonymousIds: who.anonymousIds,
    traits: mergeTraits(events),
    firstSeen: events.length ? events[0].timestamp : null,
    lastSeen: events.length ? events[events.length - 1].timestamp : null,
    eventCount: events.length,
  };
}
