// The facts backfill on PostgreSQL (Storage.backfillFacts). A step is one transaction: it locks
// the backfill's row of its version (FOR UPDATE SKIP LOCKED: a collector that finds it locked
// answers `busy` at once and does not wait), reads a window of rows after the recorded cursor in
// the catch-up's order ((xid, id), below the snapshot's xmin, catch-up.ts), encodes the stale
// ones here, writes their facts and the new cursor, and commits.
//
// Why a rewritten row never looks new to a catch-up: the catch-up orders by events.xid, which the
// column's DEFAULT sets when a row is inserted; an UPDATE keeps it (no trigger touches it). Only
// rows of committed transactions are looked at (below xmin), so the cursor never passes a row
// an older build is still inserting.
//
// It does not take privacy_state, the turn of write transactions: appends of every collector go
// on meanwhile. An erasure or purge that deleted a row before the UPDATE leaves it nothing to
// update; one that deletes it after waits for this step's row lock, then deletes the row. The
// UPDATE repeats the staleness test, so facts of a newer layout written meanwhile stay.
import type { PoolClient } from 'pg';
import type { FactsBackfillStep, FactsBackfillTask } from '../types';
import { CATCH_UP_START, formatCursor, parseCursor } from './catch-up';
import type { PostgresConnection } from './connection';

// `[n,` with n below the version: a row of an older layout. No facts: a row from before them.
const WINDOW = `
  SELECT e.id::text AS id, e.xid::text AS xid,
         CASE WHEN e.facts IS NULL OR coalesce(substring(e.facts from '^[[]([0-9]{1,9}),')::int, 0) < $4 THEN e.body END AS body
  FROM events e
  WHERE (e.xid, e.id) > ($1::xid8, $2::bigint)
    AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.xid, e.id
  LIMIT $3`;

const WRITE = `
  UPDATE events e SET facts = v.facts
  FROM unnest($1::bigint[], $2::text[]) AS v(id, facts)
  WHERE e.id = v.id
    AND (e.facts IS NULL OR coalesce(substring(e.facts from '^[[]([0-9]{1,9}),')::int, 0) < $3)`;

/** Storage.backfillFacts: one step per call, after making the row of its version once per process (a step locks it). */
export function createFactsBackfill(connection: PostgresConnection): (task: FactsBackfillTask) => Promise<FactsBackfillStep> {
  const made = new Set<number>();
  return async (task) => {
    if (!made.has(task.version)) {
      await connection.query('INSERT INTO facts_backfill (version, cursor) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING', [
        task.version,
        formatCursor(CATCH_UP_START),
      ]);
      made.add(task.version);
    }
    return connection.transaction((client) => step(client, task));
  };
}

async function step(client: PoolClient, task: FactsBackfillTask): Promise<FactsBackfillStep> {
  const idle = { looked: 0, written: 0, failed: 0, remaining: 0 };
  const claimed = await client.query<{ cursor: string }>('SELECT cursor FROM facts_backfill WHERE version = $1 FOR UPDATE SKIP LOCKED', [task.version]);
  if (claimed.rows.length === 0) return { ...idle, busy: true };
  const cursor = parseCursor(claimed.rows[0].cursor);
  const { rows } = await client.query<{ id: string; xid: string; body: string | null }>(WINDOW, [cursor.xid, cursor.id, task.limit, task.version]);
  if (rows.length === 0) return { ...idle, busy: false };
  const ids: string[] = [];
  const facts: string[] = [];
  let failed = 0;
  for (const row of rows) {
    if (row.body === null) continue;
    try {
      facts.push(task.encode(row.body));
      ids.push(row.id);
    } catch {
      failed++; // left as it is: the catch-up reads its body, as it always did
    }
  }
  const written = ids.length === 0 ? 0 : ((await client.query(WRITE, [ids, facts, task.version])).rowCount ?? 0);
  const last = rows[rows.length - 1];
  await client.query('UPDATE facts_backfill SET cursor = $2 WHERE version = $1', [task.version, formatCursor({ xid: last.xid, id: last.id })]);
  let remaining = 0;
  if (rows.length === task.limit) {
    const max = await client.query<{ n: string }>('SELECT greatest(coalesce(max(id), 0) - $1::bigint, 0) AS n FROM events', [last.id]);
    remaining = Number(max.rows[0].n);
  }
  return { looked: rows.length, written, failed, remaining, busy: false };
}
