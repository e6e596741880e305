// The reads the rules compose (StorageReads) on PostgreSQL, on one session: a read-only
// REPEATABLE READ transaction of Storage.read, or the write transaction of a program. Each is
// one statement over arrays (`= ANY($1)`, unnest), so a group of appends costs one round trip per
// step, not one per event. An anonymous id's events are found through the events_anonymous index
// (SQLite keeps runs of rowids instead, which assume one writer).
import type { QueryResultRow } from 'pg';
import { DERIVED_WRITE_KEY, type AliasEdge, type EventKey, type IdentityLink, type RawEvent, type StorageReads } from '../types';
import type { Queryable } from './connection';
import { rejectedCandidates, rejectedRows, type TermHasher } from './rejected';

const LINK_COLUMNS = 'anonymous_id AS "anonymousId", user_id AS "userId", first_seen AS "firstSeen"';
const ALIAS_COLUMNS = 'previous_id AS "previousId", user_id AS "userId"';

type RawRow = { id: string; timestamp: string; body: string };
const raw = (r: RawRow): RawEvent => ({ seq: Number(r.id), timestamp: r.timestamp, body: r.body });
type KeyRow = { id: string; type: string; timestamp: string; received_at: string; write_key: string };
const key = (r: KeyRow): EventKey => ({ seq: Number(r.id), type: r.type, timestamp: r.timestamp, receivedAt: r.received_at, writeKey: r.write_key });

// The one definition of a customer id: the userId of an event, a link or an alias edge.
const KNOWN_CUSTOMERS = `SELECT id FROM unnest($1::text[]) AS ids (id)
  WHERE EXISTS (SELECT 1 FROM events WHERE user_id = ids.id)
     OR EXISTS (SELECT 1 FROM identity_links WHERE user_id = ids.id)
     OR EXISTS (SELECT 1 FROM aliases WHERE user_id = ids.id)`;
const KNOWN_ANONYMOUS = `SELECT id FROM unnest($1::text[]) AS ids (id)
  WHERE EXISTS (SELECT 1 FROM events WHERE anonymous_id = ids.id)
     OR EXISTS (SELECT 1 FROM identity_links WHERE anonymous_id = ids.id)`;

/** Those of `ids` that `sql` (taking them as $1) answers: one statement for all. */
async function which(db: Queryable, ids: readonly string[], sql: string): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(sql, [ids]);
  return new Set(rows.map((r) => r.id));
}

/** StorageReads on `db`; `term` hashes values as rejected_terms keeps them. */
export function createPgReads(db: Queryable, term: TermHasher): StorageReads {
  const many = async <T extends object>(ids: readonly string[], sql: string): Promise<T[]> => (ids.length ? (await db.query<T & QueryResultRow>(sql, [ids])).rows : []);
  return {
    knownCustomers: (ids) => which(db, ids, KNOWN_CUSTOMERS),
    knownAnonymous: (ids) => which(db, ids, KNOWN_ANONYMOUS),
    async storedBodies(messageIds) {
      const found = await many<{ message_id: string; body: string }>(messageIds, 'SELECT message_id, body FROM events WHERE message_id = ANY($1::text[])');
      return new Map(found.map((r) => [r.message_id, r.body]));
    },
    aliasesFrom: (ids) => many<AliasEdge>(ids, `SELECT ${ALIAS_COLUMNS} FROM aliases WHERE previous_id = ANY($1::text[])`),
    aliasesInto: (ids) => many<AliasEdge>(ids, `SELECT ${ALIAS_COLUMNS} FROM aliases WHERE user_id = ANY($1::text[])`),
    aliasesOf: async (id) =>
      (await db.query<AliasEdge>(`SELECT ${ALIAS_COLUMNS} FROM aliases WHERE previous_id = $1 OR user_id = $1 ORDER BY created_at, previous_id`, [id])).rows,
    linksOfCustomers: (ids) => many<IdentityLink>(ids, `SELECT ${LINK_COLUMNS} FROM identity_links WHERE user_id = ANY($1::text[])`),
    linksOfAnonymous: (ids) => many<IdentityLink>(ids, `SELECT ${LINK_COLUMNS} FROM identity_links WHERE anonymous_id = ANY($1::text[])`),
    customerEvents: async (ids) => (await many<RawRow>(ids, 'SELECT id, timestamp, body FROM events WHERE user_id = ANY($1::text[])')).map(raw),
    anonymousOnlyEvents: async (id) =>
      (await db.query<RawRow>('SELECT id, timestamp, body FROM events WHERE anonymous_id = $1 AND user_id IS NULL', [id])).rows.map(raw),
    customerEventKeys: async (userId, after, limit) =>
      (
        await db.query<KeyRow>(
          'SELECT id, type, timestamp, received_at, write_key FROM events WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3',
          [userId, after, limit],
        )
      ).rows.map(key),
    async anonymousEventKeys(id, cursor, limit) {
      if (cursor !== null && !/^\d{1,19}$/.test(cursor)) throw new RangeError(`not a cursor of this PostgreSQL store: ${JSON.stringify(cursor)}`);
      // A Cart Abandoned event names its profile's customer in its properties.
      const { rows } = await db.query<KeyRow & { derived: string | null }>(
        `SELECT id, type, timestamp, received_at, write_key,
           CASE WHEN write_key = $4 THEN body::jsonb -> 'properties' ->> 'customer_id' END AS derived
         FROM events WHERE anonymous_id = $1 AND user_id IS NULL AND id > $2 ORDER BY id LIMIT $3`,
        [id, cursor ?? '0', limit, DERIVED_WRITE_KEY],
      );
      const keys = rows.map((r) => ({ ...key(r), derivedCustomerId: r.derived }));
      return { keys, cursor: rows.length === limit ? rows[rows.length - 1].id : null };
    },
    async eventBodies(seqs) {
      if (seqs.length === 0) return [];
      const { rows } = await db.query<RawRow>('SELECT id, timestamp, body FROM events WHERE id = ANY($1::bigint[])', [seqs]);
      const found = new Map(rows.map((r) => [Number(r.id), raw(r)]));
      return seqs.flatMap((seq) => found.get(seq) ?? []);
    },
    rejectedCandidates: (values, after, limit) => rejectedCandidates(db, term, values, after, limit),
    rejectedRows: (ids) => rejectedRows(db, ids),
  };
}
