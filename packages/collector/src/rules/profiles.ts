// Profiles: whose events an id names, resolved over storage's reads with the identity rules
// (identity.ts), in one snapshot, so that a profile never pairs links and events of different
// moments. The same resolution names a data subject (subjects.ts).
import type { Profile, StoredEvent } from '@spur/sdk';
import type { RawEvent, Storage, StorageReads } from '../storage/types';
import { byTime, canonicalId, currentOwner, ownerAt, summarizeProfile, type IdentityLink } from './identity';

interface Entry {
  seq: number;
  event: StoredEvent;
}

interface Resolved {
  customerId: string | null;
  anonymousIds: string[];
  entries: Entry[];
}

/** The customer id that aliases make of `id` (itself when it has no alias): see canonicalId. */
export async function canonicalOf(r: StorageReads, id: string): Promise<string> {
  const next = new Map<string, string | undefined>();
  for (let current = id; !next.has(current); ) {
    const [edge] = await r.aliasesFrom([current]);
    next.set(current, edge?.userId);
    if (edge === undefined) break;
    current = edge.userId;
  }
  return canonicalId(id, (x) => next.get(x));
}

/** Every id that aliases resolve to `customerId`, itself first, in the order they are found. */
export async function membersOf(r: StorageReads, customerId: string): Promise<Set<string>> {
  const found = new Set([customerId]);
  const frontier = [customerId];
  while (frontier.length) {
    for (const { previousId } of await r.aliasesInto([frontier.pop()!])) {
      if (!found.has(previousId) && (await canonicalOf(r, previousId)) === customerId) {
        found.add(previousId);
        frontier.push(previousId);
      }
    }
  }
  return found;
}

/** Anonymous ids by the earliest time they were linked to one of the links' customers, then by id. */
export function firstLinkedOrder(links: readonly IdentityLink[]): string[] {
  const firstLinked = new Map<string, string>();
  for (const link of links) {
    const seen = firstLinked.get(link.anonymousId);
    if (seen === undefined || link.firstSeen < seen) firstLinked.set(link.anonymousId, link.firstSeen);
  }
  return [...firstLinked.entries()].sort(([a, x], [b, y]) => (x < y ? -1 : x > y ? 1 : a < b ? -1 : 1)).map(([anonymousId]) => anonymousId);
}

const entry = ({ seq, body }: RawEvent): Entry => ({ seq, event: JSON.parse(body) as StoredEvent });

// The customer id (after aliases) or anonymous id whose profile `id` names; undefined if unseen.
async function owner(r: StorageReads, id: string): Promise<{ customerId: string } | { anonymousId: string } | undefined> {
  if ((await r.knownCustomers([id])).has(id)) return { customerId: await canonicalOf(r, id) };
  if ((await r.knownAnonymous([id])).has(id)) {
    // An identified anonymous id names the profile of its current owner (latest link).
    const current = currentOwner(await r.linksOfAnonymous([id]));
    return current ? { customerId: await canonicalOf(r, current) } : { anonymousId: id };
  }
  if ((await r.aliasesFrom([id])).length) return { customerId: await canonicalOf(r, id) };
  return undefined;
}

async function resolve(r: StorageReads, id: string): Promise<Resolved | null> {
  const who = await owner(r, id);
  if (!who) return null;
  if ('anonymousId' in who) {
    const entries = (await r.anonymousOnlyEvents(who.anonymousId)).map(entry);
    return { customerId: null, anonymousIds: [who.anonymousId], entries: entries.sort(byTime) };
  }
  const users = await membersOf(r, who.customerId);
  const entries = (await r.customerEvents([...users])).map(entry);
  const anonymousIds = firstLinkedOrder(await r.linksOfCustomers([...users]));
  // Anonymous-only events of linked anonymous ids belong here when their owner at that time
  // is one of this profile's customer ids (rules 1 and 4).
  for (const anonymousId of anonymousIds) {
    const links = await r.linksOfAnonymous([anonymousId]);
    for (const row of await r.anonymousOnlyEvents(anonymousId)) {
      const at = ownerAt(links, row.timestamp);
      if (at !== null && users.has(at)) entries.push(entry(row));
    }
  }
  return { customerId: who.customerId, anonymousIds, entries: entries.sort(byTime) };
}

/** Profile of a customer id or of any anonymous id; null when the id was never seen. */
export function readProfile(storage: Storage, id: string): Promise<Profile | null> {
  return storage.read(async (r) => {
    const resolved = await resolve(r, id);
    return resolved && summarizeProfile(resolved, resolved.entries.map((e) => e.event));
  });
}

/** The profile's events in time order (timestamp, then receivedAt, then arrival); null when unknown. */
export function readProfileEvents(storage: Storage, id: string, limit?: number): Promise<StoredEvent[] | null> {
  return storage.read(async (r) => {
    const resolved = await resolve(r, id);
    if (!resolved) return null;
    const events = resolved.entries.map((e) => e.event);
    return limit === undefined ? events : events.slice(0, limit);
  });
}
