// The reads the rules compose (StorageReads), on one SQLite connection: the reader's on the main
// thread, or the writer's inside a write transaction. An anonymous id's events are found through
// anonymous_runs (schema.ts, migration 3): runs of consecutive rowids of one anonymous id, joined
// back on events.anonymous_id, where an index on that column cost every commit far more.
import type { Database } from 'better-sqlite3';
import { DERIVED_WRITE_KEY, type AliasEdge, type EventKey, type IdentityLink, type RawEvent, type StorageReads } from '../types';
import { createRejectedReads } from './rejected';

/** Runs of an anonymous id read per page of its keys at most (one statement each). */
const RUNS_PER_PAGE = 1000;

const LINK_COLUMNS = 'anonymous_id AS anonymousId, user_id AS userId, first_seen AS firstSeen';

/** Whether @id is a known customer id: the one definition (StorageReads.knownCustomers). */
const IS_CUSTOMER = `SELECT EXISTS (SELECT 1 FROM events WHERE user_id = @id)
    OR EXISTS (SELECT 1 FROM identity_links WHERE user_id = @id)
    OR EXISTS (SELECT 1 FROM aliases WHERE user_id = @id)`;

/** Those of `ids` for which `statement` (taking @id) answers 1. */
function which(statement: { get(params: { id: string }): unknown }, ids: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const id of ids) if (statement.get({ id }) === 1) found.add(id);
  return found;
}

// [seq, type, timestamp, receivedAt, writeKey]
type KeyRow = [number, string, string, string, string];
const key = ([seq, type, timestamp, receivedAt, writeKey]: KeyRow): EventKey => ({ seq, type, timestamp, receivedAt, writeKey });

/** StorageReads on `db` (synchronous: every answer is a value). */
export function createReads(db: Database): StorageReads {
  const q = {
    isCustomer: db.prepare(IS_CUSTOMER).pluck(),
    storedBody: db.prepare('SELECT body FROM events WHERE message_id = ?').pluck(),
    isAnonymous: db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM anonymous_runs WHERE anonymous_id = @id)
             OR EXISTS (SELECT 1 FROM identity_links WHERE anonymous_id = @id)`,
      )
      .pluck(),
    aliasFrom: db.prepare('SELECT previous_id AS previousId, user_id AS userId FROM aliases WHERE previous_id = ?'),
    aliasesInto: db.prepare('SELECT previous_id AS previousId, user_id AS userId FROM aliases WHERE user_id = ?'),
    aliasesOf: db.prepare(
      `SELECT previous_id AS previousId, user_id AS userId FROM aliases
       WHERE previous_id = @id OR user_id = @id ORDER BY created_at, previous_id`,
    ),
    linksOfUser: db.prepare(`SELECT ${LINK_COLUMNS} FROM identity_links WHERE user_id = ?`),
    linksOfAnonymous: db.prepare(`SELECT ${LINK_COLUMNS} FROM identity_links WHERE anonymous_id = ?`),
    eventsOfUser: db.prepare('SELECT rowid, timestamp, body FROM events WHERE user_id = ?').raw(),
    // Through the runs of the id; the filter on anonymous_id keeps only its rows.
    anonymousOnly: db
      .prepare(
        `SELECT e.rowid, e.timestamp, e.body FROM anonymous_runs r
         JOIN events e ON e.rowid BETWEEN r.first_seq AND r.last_seq
         WHERE r.anonymous_id = @id AND e.anonymous_id = @id AND e.user_id IS NULL`,
      )
      .raw(),
    userKeys: db
      .prepare(
        `SELECT rowid, type, timestamp, received_at, write_key FROM events
         WHERE user_id = ? AND rowid > ? ORDER BY rowid LIMIT ?`,
      )
      .raw(),
    runs: db.prepare('SELECT first_seq, last_seq FROM anonymous_runs WHERE anonymous_id = ? AND first_seq > ? ORDER BY first_seq LIMIT ?').raw(),
    // A Cart Abandoned event names its profile's customer: kept with the sixth column.
    runKeys: db
      .prepare(
        `SELECT rowid, type, timestamp, received_at, write_key,
           CASE WHEN write_key = @derived THEN json_extract(body, '$.properties.customer_id') END
         FROM events WHERE rowid BETWEEN @first AND @last AND anonymous_id = @id AND user_id IS NULL`,
      )
      .raw(),
    bodies: db.prepare('SELECT rowid, timestamp, body FROM events WHERE rowid IN (SELECT value FROM json_each(?))').raw(),
  };
  const rejected = createRejectedReads(db);
  const raw = ([seq, timestamp, body]: [number, string, string]): RawEvent => ({ seq, timestamp, body });
  const each = <T>(ids: readonly string[], read: (id: string) => T[]): T[] => ids.flatMap(read);

  return {
    knownCustomers: (ids) => which(q.isCustomer, ids),
    knownAnonymous: (ids) => which(q.isAnonymous, ids),
    aliasesFrom: (ids) => each(ids, (id) => q.aliasFrom.all(id) as AliasEdge[]),
    aliasesInto: (ids) => each(ids, (id) => q.aliasesInto.all(id) as AliasEdge[]),
    aliasesOf: (id) => q.aliasesOf.all({ id }) as AliasEdge[],
    linksOfCustomers: (ids) => each(ids, (id) => q.linksOfUser.all(id) as IdentityLink[]),
    linksOfAnonymous: (ids) => each(ids, (id) => q.linksOfAnonymous.all(id) as IdentityLink[]),
    customerEvents: (ids) => each(ids, (id) => (q.eventsOfUser.all(id) as [number, string, string][]).map(raw)),
    storedBodies(messageIds) {
      const bodies = new Map<string, string>();
      for (const id of messageIds) {
        const body = q.storedBody.get(id) as string | undefined;
        if (body !== undefined) bodies.set(id, body);
      }
      return bodies;
    },
    anonymousOnlyEvents: (id) => (q.anonymousOnly.all({ id }) as [number, string, string][]).map(raw),
    customerEventKeys: (userId, after, limit) => (q.userKeys.all(userId, after, limit) as KeyRow[]).map(key),
    anonymousEventKeys(id, cursor, limit) {
      // A page ends by keys found or by runs read: a device whose events all carry the customer
      // id has thousands of runs and no key here (they are read by customer id). The cursor is
      // the first rowid of the last run read.
      const keys: (EventKey & { derivedCustomerId: string | null })[] = [];
      const runs = q.runs.all(id, cursor === null ? 0 : Number(cursor), RUNS_PER_PAGE) as [number, number][];
      let read = 0;
      for (const [first, last] of runs) {
        read++;
        for (const row of q.runKeys.all({ first, last, id, derived: DERIVED_WRITE_KEY }) as [...KeyRow, string | null][]) {
          keys.push({ ...key(row.slice(0, 5) as KeyRow), derivedCustomerId: row[5] });
        }
        if (keys.length >= limit) break;
      }
      const more = read < runs.length || runs.length === RUNS_PER_PAGE;
      return { keys, cursor: more ? String(runs[read - 1][0]) : null };
    },
    eventBodies(seqs) {
      const found = new Map<number, RawEvent>();
      for (const row of q.bodies.all(JSON.stringify(seqs)) as [number, string, string][]) found.set(row[0], raw(row));
      return seqs.flatMap((seq) => found.get(seq) ?? []);
    },
    rejectedCandidates: (values, after, limit) => rejected.candidates(values, after, limit),
    rejectedRows: (ids) => rejected.batches(ids),
  };
}
