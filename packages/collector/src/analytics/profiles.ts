// Stitched profile of every fact, by ARCHITECTURE.md "Identity stitching", decided by
// identity.ts (the same functions the admin API's profile reads use, so a funnel by customer and a
// profile page agree). The caller reads links and aliases from storage and passes them as plain
// arrays.
//  - a fact with a userId belongs to that customer, after aliases (canonicalId);
//  - an anonymous-only fact belongs to the customer its anonymous id was linked to at the fact's
//    time (ownerAt: back-fill before the first identify, shared computer after a second one);
//  - an anonymous id never linked is a profile of its own, keyed by the anonymous id;
//  - a row the view's mask leaves out (a bot's, or outside a filter: rows.ts) belongs to none.
import { canonicalId, ownerAt, type IdentityLink } from '../rules/identity';
import type { FactView } from './facts';

/** alias event: previousId was merged into userId. */
export interface AliasEdge {
  previousId: string;
  userId: string;
}

/** The identity graph, as storage holds it. */
export interface IdentityGraph {
  links: readonly IdentityLink[];
  /** When one previousId appears twice, the first wins (as in storage). */
  aliases: readonly AliasEdge[];
}

export interface ProfileIndex {
  readonly count: number;
  /** Profile number of each row; -1 for a row with neither an anonymous id nor a userId, or left out. */
  readonly ofRow: Int32Array;
  /** The row mask of the view the profiles were resolved from. */
  readonly keep: Uint8Array | null;
  /** The identity graph they were resolved with (the same object while it is unchanged). */
  readonly graph: IdentityGraph;
  /** The profile's id: its customer id, else its anonymous id. */
  id(profile: number): string;
  customerId(profile: number): string | null;
}

/** Resolves every row of `view` to its profile. */
export function resolveProfiles(view: FactView, graph: IdentityGraph): ProfileIndex {
  const aliasMap = new Map<string, string>();
  for (const a of graph.aliases) if (!aliasMap.has(a.previousId)) aliasMap.set(a.previousId, a.userId);
  const aliasOf = (id: string) => aliasMap.get(id);
  // Links by the anonymous id's code; links of ids the view does not hold cannot matter.
  const linksOf = new Map<number, IdentityLink[]>();
  for (const link of graph.links) {
    const a = view.anonymousIds.id(link.anonymousId);
    if (a < 0) continue;
    const list = linksOf.get(a);
    if (list) list.push(link);
    else linksOf.set(a, [link]);
  }

  // A profile is its customer id (a string) or, for a visitor never identified, the code of its
  // anonymous id: no string per anonymous profile is made unless it is asked for.
  const ids: (string | number)[] = [];
  const byCustomer = new Map<string, number>();
  const customerProfile = (userId: string): number => {
    const id = canonicalId(userId, aliasOf);
    let p = byCustomer.get(id);
    if (p === undefined) {
      p = ids.length;
      byCustomer.set(id, p);
      ids.push(id);
    }
    return p;
  };

  // Memos per dictionary code: -2 = not worked out yet; for anonymous ids, -3 = owner depends on time.
  const ofUser = new Int32Array(view.userIds.size).fill(-2);
  const ofAnonymous = new Int32Array(view.anonymousIds.size).fill(-2);
  const ofRow = new Int32Array(view.length);
  const keep = view.keep;
  for (let i = 0; i < view.length; i++) {
    if (keep !== null && keep[i] === 0) {
      ofRow[i] = -1;
      continue;
    }
    const u = view.userId[i];
    if (u >= 0) {
      if (ofUser[u] === -2) ofUser[u] = customerProfile(view.userIds.value(u)!);
      ofRow[i] = ofUser[u];
      continue;
    }
    const a = view.anonymousId[i];
    if (a < 0) {
      ofRow[i] = -1;
      continue;
    }
    if (ofAnonymous[a] === -2) {
      const links = linksOf.get(a);
      if (!links) {
        ofAnonymous[a] = ids.length;
        ids.push(a);
      }
      // With one link the owner is that customer at every time (ownerAt's back-fill rule), so
      // it is asked once; with several it depends on the fact's time and is asked per fact.
      else if (links.length === 1) ofAnonymous[a] = customerProfile(ownerAt(links, '')!);
      else ofAnonymous[a] = -3;
    }
    ofRow[i] =
      ofAnonymous[a] !== -3 ? ofAnonymous[a] : customerProfile(ownerAt(linksOf.get(a)!, new Date(view.ts[i]).toISOString())!);
  }

  const anonymousIds = view.anonymousIds;
  return {
    count: ids.length,
    ofRow,
    keep,
    graph,
    id: (p) => {
      const id = ids[p];
      return typeof id === 'string' ? id : anonymousIds.value(id)!;
    },
    customerId: (p) => {
      const id = ids[p];
      return typeof id === 'string' ? id : null;
    },
  };
}
