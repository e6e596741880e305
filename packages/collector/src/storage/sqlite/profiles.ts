// Profile queries for SQLite: fetch the identity graph and candidate events with SQL, and let
// identity.ts decide ownership. The caller runs each call in one read transaction, so that all
// its reads see one state of the database while the writer thread commits.
import type { Database, Statement } from 'better-sqlite3';
import type { Profile, StoredEvent } from '@spur/sdk';
import { byTime, canonicalId, currentOwner, ownerAt, summarizeProfile, type IdentityLink } from '../../rules/identity';

interface Entry {
  seq: number;
  event: StoredEvent;
}

interface Resolved {
  customerId: string | null;
  anonymousIds: string[];
  entries: Entry[];
}

export interface ProfileReader {
  profile(id: string): Profile | null;
  events(id: string, limit?: number): StoredEvent[] | null;
}

/** Whether @id is a known customer id: the one definition, for reads and for alias writes. */
export const IS_CUSTOMER = `SELECT EXISTS (SELECT 1 FROM events WHERE user_id = @id)
    OR EXISTS (SELECT 1 FROM identity_links WHERE user_id = @id)
    OR EXISTS (SELECT 1 FROM aliases WHERE user_id = @id)`;

/** The lookups that tell what an id is (customer, anonymous, aliased), shared with privacy.ts. */
export function idKindQueries(db: Database): Record<'aliasOf' | 'aliasesInto' | 'isCustomer' | 'isAnonymous' | 'isAliased', Statement> {
  return {
    aliasOf: db.prepare('SELECT user_id FROM aliases WHERE previous_id = ?').pluck(),
    aliasesInto: db.prepare('SELECT previous_id FROM aliases WHERE user_id = ?').pluck(),
    isCustomer: db.prepare(IS_CUSTOMER).pluck(),
    isAnonymous: db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM anonymous_runs WHERE anonymous_id = @id)
             OR EXISTS (SELECT 1 FROM identity_links WHERE anonymous_id = @id)`,
      )
      .pluck(),
    isAliased: db.prepare('SELECT EXISTS (SELECT 1 FROM aliases WHERE previous_id = ?)').pluck(),
  };
}

export function createProfileReader(db: Database): ProfileReader {
  const q = {
    ...idKindQueries(db),
    linksOfAnonymous: db.prepare(
      'SELECT anonymous_id AS anonymousId, user_id AS userId, first_seen AS firstSeen FROM identity_links WHERE anonymous_id = ?',
    ),
    linksOfUser: db.prepare(
      'SELECT anonymous_id AS anonymousId, user_id AS userId, first_seen AS firstSeen FROM identity_links WHERE user_id = ?',
    ),
    eventsOfUser: db.prepare('SELECT rowid AS seq, body FROM events WHERE user_id = ?'),
    // Through the runs of the id (schema.ts); the filter on anonymous_id keeps only its rows.
    anonymousOnlyEvents: db.prepare(
      `SELECT e.rowid AS seq, e.timestamp, e.body FROM anonymous_runs r
       JOIN events e ON e.rowid BETWEEN r.first_seq AND r.last_seq
       WHERE r.anonymous_id = @id AND e.anonymous_id = @id AND e.user_id IS NULL`,
    ),
  };

  const aliasOf = (id: string) => q.aliasOf.get(id) as string | undefined;
  const linksOf = (anonymousId: string) => q.linksOfAnonymous.all(anonymousId) as IdentityLink[];
  const entry = (row: unknown): Entry => {
    const { seq, body } = row as { seq: number; body: string };
    return { seq, event: JSON.parse(body) as StoredEvent };
  };

  // The customer id (after aliases) or anonymous id whose profile `id` names; undefined if unseen.
  function owner(id: string): { customerId: string } | { anonymousId: string } | undefined {
    if (q.isCustomer.get({ id })) return { customerId: canonicalId(id, aliasOf) };
    if (q.isAnonymous.get({ id })) {
      // An identified anonymous id names the profile of its current owner (latest link).
      const current = currentOwner(linksOf(id));
      return current ? { customerId: canonicalId(current, aliasOf) } : { anonymousId: id };
    }
    if (q.isAliased.get(id)) return { customerId: canonicalId(id, aliasOf) };
    return undefined;
  }

  // Every customer id that aliases resolve to `customerId`, itself included.
  function members(customerId: string): Set<string> {
    const found = new Set([customerId]);
    const frontier = [customerId];
    while (frontier.length) {
      for (const prev of q.aliasesInto.all(frontier.pop()!) as string[]) {
        if (!found.has(prev) && canonicalId(prev, aliasOf) === customerId) {
          found.add(prev);
          frontier.push(prev);
        }
      }
    }
    return found;
  }

  function resolve(id: string): Resolved | null {
    const who = owner(id);
    if (!who) return null;
    if ('anonymousId' in who) {
      const entries = q.anonymousOnlyEvents.all({ id: who.anonymousId }).map(entry);
      return { customerId: null, anonymousIds: [who.anonymousId], entries: entries.sort(byTime) };
    }
    const users = members(who.customerId);
    const entries: Entry[] = [];
    const firstLinked = new Map<string, string>();
    for (const user of users) {
      for (const row of q.eventsOfUser.all(user)) entries.push(entry(row));
      for (const link of q.linksOfUser.all(user) as IdentityLink[]) {
        const seen = firstLinked.get(link.anonymousId);
        if (seen === undefined || link.firstSeen < seen) firstLinked.set(link.anonymousId, link.firstSeen);
      }
    }
    // Anonymous-only events of linked anonymous ids belong here when their owner at that time
    // is one of this profile's customer ids (rules 1 and 4).
    for (const anonymousId of firstLinked.keys()) {
      const links = linksOf(anonymousId);
      for (const row of q.anonymousOnlyEvents.all({ id: anonymousId }) as { seq: number; timestamp: string }[]) {
        const at = ownerAt(links, row.timestamp);
        if (at !== null && users.has(at)) entries.push(entry(row));
      }
    }
    const anonymousIds = [...firstLinked.entries()]
      .sort(([a, x], [b, y]) => (x < y ? -1 : x > y ? 1 : a < b ? -1 : 1))
      .map(([anonymousId]) => anonymousId);
    return { customerId: who.customerId, anonymousIds, entries: entries.sort(byTime) };
  }

  return {
    profile(id) {
      const r = resolve(id);
      return r && summarizeProfile(r, r.entries.map((e) => e.event));
    },
    events(id, limit) {
      const r = resolve(id);
      if (!r) return null;
      const events = r.entries.map((e) => e.event);
      return limit === undefined ? events : events.slice(0, limit);
    },
  };
}
