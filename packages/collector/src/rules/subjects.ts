// Data subjects (GDPR Art. 15 and 17): who a subject is and which events and rejected events are
// theirs, decided with the identity rules of profiles (identity.ts, profiles.ts), so that an
// access request shows, and an erasure removes, exactly what the profile holds:
//  - events carrying one of the subject's customer ids (an alias merges ids: one person);
//  - anonymous-only events of its anonymous ids that it owns at their time (ownerAt), and Cart
//    Abandoned events naming it;
//  - a shared anonymous id (a device another customer identified on too) is not the subject's
//    alone: its events owned by the other customer stay, with that customer's link, and the id
//    is not suppressed; what the subject owned of it goes. An erasure must not take another
//    person's data with it, and must not leave the subject's.
// Rejected events are the subject's when they carry its ids anywhere (subject-rejected.ts).
import type { AliasEdge, Answer, EventKey, IdentityLink, Storage, StorageReads } from '../storage/types';
import { DERIVED_WRITE_KEY } from '../storage/types';
import { ownerAt } from './identity';
import { canonicalOf, firstLinkedOrder, membersOf } from './profiles';
import { rejectedMatcher, rejectedSlice, type RejectedMatcher, type RejectedRow } from './subject-rejected';

/**
 * A data subject: a customer id with every id stitched to it, or an anonymous id that never
 * identified.
 */
export interface DataSubject {
  /** The id the request named. */
  requestedId: string;
  /** The customer id the profile is keyed by (after aliases); null for an anonymous visitor. */
  customerId: string | null;
  /** Every customer id merged into customerId by alias, customerId first; empty for a visitor. */
  customerIds: string[];
  /** Its anonymous ids, first linked first (as the profile lists them). */
  anonymousIds: string[];
  /**
   * Those of anonymousIds also linked to another customer (a shared device). Their events stay
   * with whoever owns them at their time; only the subject's part is shown and erased.
   */
  sharedAnonymousIds: string[];
  /** The identity links of customerIds. */
  links: IdentityLink[];
  /** The alias edges from or into customerIds. */
  aliases: AliasEdge[];
}

/**
 * What an id names: a subject; nothing; or an anonymous id that identified as a customer, whose
 * requests are made with the customer id (it may hold another customer's history too).
 */
export type SubjectLookup = { status: 'found'; subject: DataSubject } | { status: 'unknown' } | { status: 'linked' };

/** A stored event of a subject, without its body: enough to order and fetch it. */
export interface SubjectEventKey {
  seq: number;
  type: string;
  timestamp: string;
  receivedAt: string;
}

/** Who counts as the subject when reading rows: its ids, and the links of its shared ids. */
export interface Scope {
  members: Set<string>;
  exclusive: Set<string>;
  sharedLinks: Map<string, IdentityLink[]>;
}

/** Runs reads: in snapshots of their own (an access request), or in the write transaction of an erasure. */
export type Reading = <T>(fn: (r: StorageReads) => Answer<T>) => Promise<T>;

/** Keys read per page. */
const PAGE = 5000;

/** What `id` names, for a data subject request. */
export async function lookup(r: StorageReads, id: string): Promise<SubjectLookup> {
  let customerId: string;
  if ((await r.knownCustomers([id])).has(id)) customerId = await canonicalOf(r, id);
  else if ((await r.knownAnonymous([id])).has(id)) {
    if ((await r.linksOfAnonymous([id])).length > 0) return { status: 'linked' };
    const subject = { requestedId: id, customerId: null, customerIds: [], anonymousIds: [id], sharedAnonymousIds: [], links: [], aliases: [] };
    return { status: 'found', subject };
  } else if ((await r.aliasesFrom([id])).length) customerId = await canonicalOf(r, id);
  else return { status: 'unknown' };

  // Every id that aliases resolve to customerId. An anonymous id merged by alias has a link too
  // and is listed with the anonymous ids, not here.
  const members = await membersOf(r, customerId);
  const customers = await r.knownCustomers([...members]);
  const customerIds = [...members].filter((m) => m === customerId || customers.has(m));
  const links: IdentityLink[] = [];
  const aliases = new Map<string, AliasEdge>();
  for (const member of members) {
    links.push(...(await r.linksOfCustomers([member])));
    for (const edge of await r.aliasesOf(member)) aliases.set(edge.previousId, edge);
  }
  const anonymousIds = firstLinkedOrder(links);
  const sharedAnonymousIds: string[] = [];
  for (const a of anonymousIds) if ((await r.linksOfAnonymous([a])).some((l) => !members.has(l.userId))) sharedAnonymousIds.push(a);
  const subject = { requestedId: id, customerId, customerIds, anonymousIds, sharedAnonymousIds, links, aliases: [...aliases.values()] };
  return { status: 'found', subject };
}

/** The subject's ids as reads need them; the links of its shared ids are read here. */
export async function scopeOf(r: StorageReads, s: DataSubject): Promise<Scope> {
  const shared = new Set(s.sharedAnonymousIds);
  const members = new Set([...s.customerIds, ...(s.customerId === null ? [] : [s.requestedId])]);
  for (const link of s.links) members.add(link.userId); // anonymous ids merged by alias link to a member
  const sharedLinks = new Map<string, IdentityLink[]>();
  for (const a of shared) sharedLinks.set(a, await r.linksOfAnonymous([a]));
  return { members, exclusive: new Set(s.anonymousIds.filter((a) => !shared.has(a))), sharedLinks };
}

/** The keys of the subject's events, page by page (not in time order), each page one read. */
export async function* eventPages(read: Reading, s: DataSubject, scope: Scope): AsyncGenerator<EventKey[]> {
  for (const user of s.customerIds) {
    for (let after = 0; ; ) {
      const keys = await read((r) => r.customerEventKeys(user, after, PAGE));
      if (keys.length) yield keys;
      if (keys.length < PAGE) break;
      after = keys[keys.length - 1].seq;
    }
  }
  for (const id of s.anonymousIds) {
    const links = scope.sharedLinks.get(id);
    for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
      const page = await read((r) => r.anonymousEventKeys(id, cursor, PAGE));
      cursor = page.cursor;
      // Every link of an id of the subject's own is the subject's: all of its events are.
      const mine = (k: EventKey & { derivedCustomerId: string | null }) =>
        !links || scope.members.has(ownerAt(links, k.timestamp)!) || (k.derivedCustomerId !== null && scope.members.has(k.derivedCustomerId));
      yield page.keys.filter(mine).map(({ derivedCustomerId: _, ...key }) => key);
    }
  }
}

/** Whether a key is of a Cart Abandoned event the collector derived. */
export const isDerived = (key: EventKey) => key.writeKey === DERIVED_WRITE_KEY;

/** Matches the subject's rejected events: its ids, and the emails of its identify events (`keys`). */
export async function subjectMatcher(read: Reading, scope: Scope, keys: Iterable<EventKey[]>): Promise<RejectedMatcher> {
  const identifies: string[] = [];
  for (const page of keys) {
    const seqs = page.filter(({ type }) => type === 'identify').map(({ seq }) => seq);
    if (seqs.length) for (const row of await read((r) => r.eventBodies(seqs))) identifies.push(row.body);
  }
  return rejectedMatcher({ members: scope.members, exclusive: scope.exclusive, sharedLinks: scope.sharedLinks, identifies });
}

// Time order of a subject's events, as profiles order them (identity.ts byTime).
function byTime(a: SubjectEventKey, b: SubjectEventKey): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.seq - b.seq;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const snapshots = (storage: Storage): Reading => (fn) => storage.read(async (r) => fn(r));

/** What `id` names, for a data subject request. */
export function findSubject(storage: Storage, id: string): Promise<SubjectLookup> {
  return storage.read((r) => lookup(r, id));
}

/** Keys of the subject's stored events in time order (timestamp, receivedAt, row), read page by page. */
export async function subjectEvents(storage: Storage, subject: DataSubject): Promise<SubjectEventKey[]> {
  const read = snapshots(storage);
  const keys: SubjectEventKey[] = [];
  for await (const page of eventPages(read, subject, await read((r) => scopeOf(r, subject)))) {
    for (const { seq, type, timestamp, receivedAt } of page) keys.push({ seq, type, timestamp, receivedAt });
    // A backend may answer at once: requests get their turn between pages.
    await tick();
  }
  return keys.sort(byTime);
}

// A subject's matcher reads its identify events once; the slices of one access request share it.
const matchers = new WeakMap<DataSubject, Promise<RejectedMatcher>>();

/**
 * Rejected events carrying one of the subject's ids anywhere (top level, nested, in arrays, in
 * properties or context), or an email address of its identify traits (trimmed, any case); on a
 * shared anonymous id, those without userId received while the subject owned it. A slice per
 * call from `cursor` (start with 0), found by lookup; `cursor` is null at the end.
 */
export async function subjectRejected(storage: Storage, subject: DataSubject, cursor: number): Promise<{ rows: RejectedRow[]; cursor: number | null }> {
  let match = matchers.get(subject);
  if (!match) {
    match = (async () => {
      const read = snapshots(storage);
      const scope = await read((r) => scopeOf(r, subject));
      const pages: EventKey[][] = [];
      for await (const page of eventPages(read, subject, scope)) {
        pages.push(page);
        await tick();
      }
      return subjectMatcher(read, scope, pages);
    })();
    matchers.set(subject, match);
  }
  const matcher = await match;
  return storage.read((r) => rejectedSlice(r, matcher, cursor));
}
