// Data subject requests and retention for SQLite (the check that suppresses erased ids on
// append is in writer.ts). The subject is resolved with the
// same identity rules as profiles (rules/identity.ts), so that an access request shows, and an erasure
// removes, exactly what the profile holds:
//  - events carrying one of the subject's customer ids (an alias merges ids: one person);
//  - anonymous-only events of its anonymous ids that it owns at their time (ownerAt), and Cart
//    Abandoned events naming it;
//  - a shared anonymous id (a device another customer identified on too) is not the subject's
//    alone: its events owned by the other customer stay, with that customer's link, and the id
//    is not suppressed; what the subject owned of it goes. An erasure must not take another
//    person's data with it, and must not leave the subject's.
// Rejected events are the subject's when they carry its ids anywhere (rules/subject-rejected.ts).
// Reads run on the reader's connection, page by page; erasures and purges on the writer's, each
// in a transaction of its own (writer.ts). Freed space is overwritten (secure_delete, set
// on the writer's connection), and the WAL is emptied before an erasure answers (scrub.ts).
import { createHmac } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { AliasEdge } from '../../analytics/profiles';
import { canonicalId, ownerAt, type IdentityLink } from '../../rules/identity';
import { idKindQueries } from './profiles';
import { createRejectedReads, createRejectedWrites } from './rejected';
import { eraseRejected, rejectedMatcher, rejectedSlice, type RejectedMatcher } from '../../rules/subject-rejected';
import {
  DERIVED_WRITE_KEY,
  type DataSubject,
  type ErasureCounts,
  type ErasureOutcome,
  type ErasureRecord,
  type PurgeCounts,
  type RawEvent,
  type RejectedRow,
  type SubjectLookup,
} from '../types';

/** Rows read per page of a subject's events. */
const PAGE = 5000;
/** Runs of an anonymous id read per page at most (one statement each). */
const RUNS_PER_PAGE = 1000;

/** Maintenance the writer runs in a transaction of its own, between groups of appends. */
export type MaintenanceTask =
  | { kind: 'erase'; id: string; at: string; suppressUntil: string | null }
  | { kind: 'purge'; table: 'events' | 'rejected'; before: string; now: string; after: number; limit: number; window: number };

export type MaintenanceResult = ErasureOutcome | { deleted: number; next: number | null };

/** The salted hash the suppressions and the audit keep instead of an id. */
export function hashId(salt: string, id: string): string {
  return createHmac('sha256', salt).update(id).digest('hex');
}

// [seq, type, timestamp, receivedAt, writeKey]
type KeyRow = [number, string, string, string, string];

/** Who counts as the subject when reading rows: its ids, and the links of its shared ids. */
interface Scope {
  members: Set<string>;
  exclusive: Set<string>;
  sharedLinks: Map<string, IdentityLink[]>;
}

const LINK_COLUMNS = 'anonymous_id AS anonymousId, user_id AS userId, first_seen AS firstSeen';

function subjectQueries(db: Database) {
  return {
    ...idKindQueries(db),
    aliasesOf: db.prepare(
      `SELECT previous_id AS previousId, user_id AS userId FROM aliases
       WHERE previous_id = @id OR user_id = @id ORDER BY created_at, previous_id`,
    ),
    linksOfUser: db.prepare(`SELECT ${LINK_COLUMNS} FROM identity_links WHERE user_id = ?`),
    linksOfAnonymous: db.prepare(`SELECT ${LINK_COLUMNS} FROM identity_links WHERE anonymous_id = ?`),
    userEvents: db
      .prepare(
        `SELECT rowid, type, timestamp, received_at, write_key FROM events
         WHERE user_id = ? AND rowid > ? ORDER BY rowid LIMIT ?`,
      )
      .raw(),
    runs: db.prepare('SELECT first_seq, last_seq FROM anonymous_runs WHERE anonymous_id = ? ORDER BY first_seq').raw(),
    // A Cart Abandoned event names its profile's customer: kept with the sixth column.
    runEvents: db
      .prepare(
        `SELECT rowid, type, timestamp, received_at, write_key,
           CASE WHEN write_key = @derived THEN json_extract(body, '$.properties.customer_id') END
         FROM events WHERE rowid BETWEEN @first AND @last AND anonymous_id = @id AND user_id IS NULL`,
      )
      .raw(),
    identifyBodies: db.prepare("SELECT body FROM events WHERE rowid IN (SELECT value FROM json_each(?)) AND type = 'identify'").pluck(),
  };
}
type Queries = ReturnType<typeof subjectQueries>;

function lookup(q: Queries, id: string): SubjectLookup {
  let customerId: string;
  if (q.isCustomer.get({ id })) customerId = canonicalId(id, (x) => q.aliasOf.get(x) as string | undefined);
  else if (q.isAnonymous.get({ id })) {
    if (q.linksOfAnonymous.all(id).length > 0) return { status: 'linked' };
    return {
      status: 'found',
      subject: { requestedId: id, customerId: null, customerIds: [], anonymousIds: [id], sharedAnonymousIds: [], links: [], aliases: [] },
    };
  } else if (q.isAliased.get(id)) customerId = canonicalId(id, (x) => q.aliasOf.get(x) as string | undefined);
  else return { status: 'unknown' };

  // Every id that aliases resolve to customerId. An anonymous id merged by alias has a link too
  // and is listed with the anonymous ids, not here.
  const members = new Set([customerId]);
  const frontier = [customerId];
  while (frontier.length) {
    for (const prev of q.aliasesInto.all(frontier.pop()!) as string[]) {
      if (!members.has(prev) && canonicalId(prev, (x) => q.aliasOf.get(x) as string | undefined) === customerId) {
        members.add(prev);
        frontier.push(prev);
      }
    }
  }
  const customerIds = [...members].filter((m) => m === customerId || q.isCustomer.get({ id: m }));
  const links: IdentityLink[] = [];
  const firstLinked = new Map<string, string>();
  const aliases = new Map<string, AliasEdge>();
  for (const member of members) {
    for (const link of q.linksOfUser.all(member) as IdentityLink[]) {
      links.push(link);
      const seen = firstLinked.get(link.anonymousId);
      if (seen === undefined || link.firstSeen < seen) firstLinked.set(link.anonymousId, link.firstSeen);
    }
    for (const edge of q.aliasesOf.all({ id: member }) as AliasEdge[]) aliases.set(edge.previousId, edge);
  }
  const anonymousIds = [...firstLinked.entries()]
    .sort(([a, x], [b, y]) => (x < y ? -1 : x > y ? 1 : a < b ? -1 : 1))
    .map(([anonymousId]) => anonymousId);
  const sharedAnonymousIds = anonymousIds.filter((a) =>
    (q.linksOfAnonymous.all(a) as IdentityLink[]).some((l) => !members.has(l.userId)),
  );
  const subject = { requestedId: id, customerId, customerIds, anonymousIds, sharedAnonymousIds, links, aliases: [...aliases.values()] };
  return { status: 'found', subject };
}

function scopeOf(q: Queries, s: DataSubject): Scope {
  const shared = new Set(s.sharedAnonymousIds);
  const members = new Set([...s.customerIds, ...(s.customerId === null ? [] : [s.requestedId])]);
  for (const link of s.links) members.add(link.userId); // anonymous ids merged by alias link to a member
  const sharedLinks = new Map<string, IdentityLink[]>();
  for (const a of shared) sharedLinks.set(a, q.linksOfAnonymous.all(a) as IdentityLink[]);
  return { members, exclusive: new Set(s.anonymousIds.filter((a) => !shared.has(a))), sharedLinks };
}

/** The subject's events, page by page (not in time order). */
function* eventPages(q: Queries, s: DataSubject, scope: Scope): Generator<KeyRow[]> {
  for (const user of s.customerIds) {
    for (let after = 0; ; ) {
      const rows = q.userEvents.all(user, after, PAGE) as KeyRow[];
      if (rows.length) yield rows;
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1][0];
    }
  }
  for (const id of s.anonymousIds) {
    const links = scope.sharedLinks.get(id);
    let page: KeyRow[] = [];
    let runs = 0;
    for (const [first, last] of q.runs.all(id) as [number, number][]) {
      for (const row of q.runEvents.all({ first, last, id, derived: DERIVED_WRITE_KEY }) as [...KeyRow, string | null][]) {
        // Every link of an id of the subject's own is the subject's: all of its events are.
        const mine = !links || scope.members.has(ownerAt(links, row[2])!) || (row[5] !== null && scope.members.has(row[5]));
        if (mine) page.push(row.slice(0, 5) as KeyRow);
      }
      // A page ends by rows found or by runs read: a device whose events all carry the
      // customer id has thousands of runs and no row here (they were read by customer id).
      if (page.length >= PAGE || ++runs >= RUNS_PER_PAGE) {
        yield page;
        page = [];
        runs = 0;
      }
    }
    if (page.length) yield page;
  }
}

/**
 * Builds the matcher of the subject's rejected events from its events (`keys`: the bodies of its
 * identify events give its emails), yielding after each page read; the last value is the matcher.
 */
function* buildMatcher(q: Queries, scope: Scope, keys: Iterable<KeyRow[]>, term: (value: string) => Buffer): Generator<void, RejectedMatcher> {
  const identifies: string[] = [];
  for (const page of keys) {
    const seqs = page.filter(([, type]) => type === 'identify').map(([seq]) => seq);
    if (seqs.length) identifies.push(...(q.identifyBodies.all(JSON.stringify(seqs)) as string[]));
    yield;
  }
  return rejectedMatcher({ members: scope.members, exclusive: scope.exclusive, sharedLinks: scope.sharedLinks, identifies }, term);
}

/** Runs a generator to its end at once. */
function complete<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export interface PrivacyReader {
  findSubject(id: string): SubjectLookup;
  /** Pages of the subject's events; each page is read when asked for (one statement each). */
  eventPages(subject: DataSubject): Generator<{ seq: number; type: string; timestamp: string; receivedAt: string }[]>;
  eventsBySeq(seqs: readonly number[]): RawEvent[];
  /** Reads what the subject's rejected events are found by, page by page (rejected() needs it). */
  prepareRejected(subject: DataSubject): Generator<void>;
  rejected(subject: DataSubject, cursor: number): { rows: RejectedRow[]; cursor: number | null };
  countExpired(before: string | null, rejectedBefore: string | null): PurgeCounts;
  generation(): number;
  listErasures(): ErasureRecord[];
}

export function createPrivacyReader(db: Database): PrivacyReader {
  const q = subjectQueries(db);
  const bySeq = db.prepare('SELECT rowid, timestamp, body FROM events WHERE rowid IN (SELECT value FROM json_each(?))').raw();
  const countEvents = db.prepare('SELECT count(*) FROM events WHERE timestamp < ?').pluck();
  const rejectedReads = createRejectedReads(db);
  // A subject's matcher reads its identify events once; the slices of one access request share it.
  const matchers = new WeakMap<DataSubject, RejectedMatcher>();
  function* prepare(subject: DataSubject): Generator<void, RejectedMatcher> {
    let match = matchers.get(subject);
    if (!match) {
      const scope = scopeOf(q, subject);
      match = yield* buildMatcher(q, scope, eventPages(q, subject, scope), rejectedReads.term);
      matchers.set(subject, match);
    }
    return match;
  }
  const generation = db.prepare('SELECT generation FROM privacy_state WHERE id = 1').pluck();
  const erasures = db.prepare('SELECT subject_hash, erased_at, counts FROM erasures ORDER BY id').raw();
  return {
    findSubject: (id) => lookup(q, id),
    *eventPages(subject) {
      for (const page of eventPages(q, subject, scopeOf(q, subject))) {
        yield page.map(([seq, type, timestamp, receivedAt]) => ({ seq, type, timestamp, receivedAt }));
      }
    },
    eventsBySeq(seqs) {
      const found = new Map<number, RawEvent>();
      for (const [seq, timestamp, body] of bySeq.all(JSON.stringify(seqs)) as [number, string, string][]) {
        found.set(seq, { seq, timestamp, body });
      }
      return seqs.flatMap((seq) => found.get(seq) ?? []);
    },
    *prepareRejected(subject) {
      yield* prepare(subject);
    },
    rejected: (subject, cursor) => rejectedSlice(rejectedReads, complete(prepare(subject)), cursor),
    countExpired: (before, rejectedBefore) => ({
      events: before === null ? 0 : (countEvents.get(before) as number),
      rejectedEvents: rejectedBefore === null ? 0 : rejectedReads.countBefore(rejectedBefore),
    }),
    generation: () => generation.get() as number,
    listErasures: () =>
      (erasures.all() as [string, string, string][]).map(([subjectHash, erasedAt, counts]) => ({
        subjectHash,
        erasedAt,
        counts: JSON.parse(counts) as ErasureCounts,
      })),
  };
}

export interface PrivacyWriter {
  /** Runs one task; the caller wraps it in a transaction. */
  run(task: MaintenanceTask): MaintenanceResult;
}

export function createPrivacyWriter(db: Database): PrivacyWriter {
  const q = subjectQueries(db);
  const rejectedReads = createRejectedReads(db);
  const rejectedWrites = createRejectedWrites(db);
  const s = (sql: string): Statement => db.prepare(sql);
  const w = {
    deleteEvent: s('DELETE FROM events WHERE rowid = ?'),
    deleteLinks: s('DELETE FROM identity_links WHERE user_id = ?'),
    deleteAliases: s('DELETE FROM aliases WHERE previous_id = @id OR user_id = @id'),
    // Runs left without an event of their id (all gone) go too: they name the id.
    pruneRuns: s(
      `DELETE FROM anonymous_runs WHERE anonymous_id = @id AND NOT EXISTS (
         SELECT 1 FROM events e WHERE e.rowid BETWEEN first_seq AND last_seq AND e.anonymous_id = @id)`,
    ),
    salt: s('SELECT salt FROM privacy_state WHERE id = 1').pluck(),
    suppress: s(
      `INSERT INTO suppressions (id_hash, until) VALUES (?, ?)
       ON CONFLICT (id_hash) DO UPDATE SET until = max(until, excluded.until)`,
    ),
    expire: s('DELETE FROM suppressions WHERE until <= ?'),
    audit: s('INSERT INTO erasures (subject_hash, erased_at, counts, suppressed_until) VALUES (?, ?, ?, ?)'),
    // An erasure whose WAL could not be emptied yet (scrub.ts): asking again finishes it.
    unscrubbed: s(
      `SELECT erased_at, suppressed_until, counts FROM erasures
       WHERE subject_hash = ? AND scrubbed_at IS NULL ORDER BY id DESC LIMIT 1`,
    ).raw(),
    bump: s('UPDATE privacy_state SET generation = generation + 1 WHERE id = 1'),
    maxEvent: s('SELECT coalesce(max(rowid), 0) FROM events').pluck(),
    expiredEvents: s(
      `SELECT rowid, anonymous_id FROM events
       WHERE rowid > @after AND rowid <= @end AND timestamp < @before ORDER BY rowid LIMIT @limit`,
    ).raw(),
  };

  function erase(task: Extract<MaintenanceTask, { kind: 'erase' }>): ErasureOutcome {
    const found = lookup(q, task.id);
    const salt = w.salt.get() as string;
    if (found.status === 'unknown') {
      const pending = w.unscrubbed.get(hashId(salt, task.id)) as [string, string | null, string] | undefined;
      if (!pending) return found;
      const [erasedAt, suppressedUntil, counts] = pending;
      return { status: 'erased', erasedAt, suppressedUntil, counts: JSON.parse(counts) as ErasureCounts, scrubbed: false };
    }
    if (found.status !== 'found') return found;
    const subject = found.subject;
    const scope = scopeOf(q, subject);
    // Everything is read before anything is deleted: ownership depends on links that go too.
    const keys: KeyRow[] = [];
    for (const page of eventPages(q, subject, scope)) for (const row of page) keys.push(row);
    const match = complete(buildMatcher(q, scope, [keys], rejectedReads.term));
    const counts: ErasureCounts = {
      events: 0,
      derivedEvents: 0,
      identityLinks: 0,
      aliases: 0,
      rejectedEvents: 0,
      anonymousIds: scope.exclusive.size,
      suppressedIds: 0,
    };
    for (const [seq, , , , writeKey] of keys) {
      w.deleteEvent.run(seq);
      if (writeKey === DERIVED_WRITE_KEY) counts.derivedEvents++;
      else counts.events++;
    }
    for (const member of scope.members) {
      counts.identityLinks += w.deleteLinks.run(member).changes;
      counts.aliases += w.deleteAliases.run({ id: member }).changes;
    }
    for (const id of subject.anonymousIds) w.pruneRuns.run({ id });
    counts.rejectedEvents = eraseRejected(rejectedReads, rejectedWrites, match);
    w.expire.run(task.at);
    if (task.suppressUntil !== null) {
      const ids = new Set([subject.requestedId, ...scope.members, ...scope.exclusive]);
      for (const id of ids) w.suppress.run(hashId(salt, id), task.suppressUntil);
      counts.suppressedIds = ids.size;
    }
    w.audit.run(hashId(salt, subject.requestedId), task.at, JSON.stringify(counts), task.suppressUntil);
    w.bump.run();
    return { status: 'erased', erasedAt: task.at, suppressedUntil: task.suppressUntil, counts, scrubbed: false };
  }

  // One chunk of a purge: at most `limit` rows (rejected: events), looked for among ids (after, after + window].
  function purge(task: Extract<MaintenanceTask, { kind: 'purge' }>): { deleted: number; next: number | null } {
    const end = task.after + task.window;
    let deleted = 0;
    let last = end;
    let max: number;
    w.expire.run(task.now);
    if (task.table === 'events') {
      max = w.maxEvent.get() as number;
      const rows = w.expiredEvents.all({ after: task.after, end, before: task.before, limit: task.limit }) as [number, string | null][];
      const anonymous = new Set<string>();
      for (const [seq, anonymousId] of rows) {
        deleted += w.deleteEvent.run(seq).changes;
        if (anonymousId !== null) anonymous.add(anonymousId);
      }
      for (const id of anonymous) w.pruneRuns.run({ id });
      if (rows.length === task.limit) last = rows[rows.length - 1][0];
    } else {
      max = rejectedWrites.maxId();
      const chunk = rejectedWrites.purge(task.after, end, task.before, task.limit);
      deleted = chunk.events;
      if (chunk.resumeAfter !== null) last = chunk.resumeAfter;
    }
    // Rejected events are in no analytics cache: only events going makes the caches start over.
    if (deleted > 0 && task.table === 'events') w.bump.run();
    return { deleted, next: last >= max ? null : last };
  }

  return { run: (task) => (task.kind === 'erase' ? erase(task) : purge(task)) };
}
