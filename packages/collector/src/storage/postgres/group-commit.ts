// Group commit on PostgreSQL: the writes that callers submit while a transaction is busy go
// into the next one together, so that many requests share one BEGIN … COMMIT and one WAL flush,
// and each caller is answered only after the COMMIT that wrote its items succeeded (a failed
// group fails all its callers; none of them is told "stored"). Unlike SQLite, whose single
// writer commits one group at a time, a few transactions may be in flight at once (on several
// connections of the pool): while one waits for its flush, the next is being sent.
//
// Events go in with one multi-row INSERT … ON CONFLICT (message_id) DO NOTHING RETURNING
// message_id: the unique index decides, in the database, which of two sessions (or two
// collector processes) stores a messageId that both insert at the same moment; the other one
// finds it a duplicate.
import type { PoolClient } from 'pg';
import type { PostgresConnection, Queryable } from './connection';
import type { EventRow } from '../types';

export type { EventRow };

export interface PgGroupCommitOptions<I, R> {
  connection: PostgresConnection;
  /**
   * Writes one group's items inside its transaction; one result per item, in order. Runs again
   * (in a new transaction) after a serialization failure or deadlock.
   */
  write: (tx: PoolClient, items: I[]) => Promise<R[]>;
  /** Transactions in flight at once, each on a connection of its own. @defaultValue 4 */
  maxInFlight?: number;
  /** The most one transaction takes, in `weight` units; a heavier item goes alone. @defaultValue 10000 */
  maxWeight?: number;
  /** An item's weight, e.g. its number of events. @defaultValue 1 */
  weight?: (item: I) => number;
}

export interface PgGroupCommit<I, R> {
  /** Queues an item; resolves with its result after the COMMIT that wrote it. */
  submit(item: I): Promise<R>;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
}

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export function createPgGroupCommit<I, R>(options: PgGroupCommitOptions<I, R>): PgGroupCommit<I, R> {
  const { connection, write } = options;
  const maxInFlight = options.maxInFlight ?? 4;
  const maxWeight = options.maxWeight ?? 10_000;
  const weight = options.weight ?? (() => 1);
  let queue: Waiting<I, R>[] = [];
  let inFlight = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];

  // The items of a group: from the head of the queue, up to `limit` (at least one item).
  function takeGroup(limit: number): Waiting<I, R>[] {
    let total = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || total + weight(queue[n].item) <= limit)) total += weight(queue[n++].item);
    const group = queue.slice(0, n);
    queue = queue.slice(n);
    return group;
  }

  async function commit(group: Waiting<I, R>[]): Promise<void> {
    try {
      const results = await connection.transaction((tx) => write(tx, group.map((w) => w.item)));
      group.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      for (const w of group) w.reject(err);
    }
  }

  function pump(): void {
    scheduled = false;
    // What is queued is shared among the free transactions rather than all put in the first:
    // one session works on one core, and a group that one caller of many waits for anyway
    // gains nothing from being one transaction instead of several in flight at once.
    const free = maxInFlight - inFlight;
    const queued = queue.reduce((sum, w) => sum + weight(w.item), 0);
    const limit = Math.min(maxWeight, Math.ceil(queued / Math.max(1, free)));
    while (inFlight < maxInFlight && queue.length > 0) {
      inFlight++;
      void commit(takeGroup(limit)).then(() => {
        inFlight--;
        // What queued while this group was in flight is the next group.
        pump();
      });
    }
    if (inFlight === 0 && queue.length === 0) for (const done of idle.splice(0)) done();
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // setImmediate runs after this turn's I/O callbacks: requests that finished arriving
        // together start in one group.
        if (!scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
    drain() {
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}

// Rows per statement at most (9 parameters each; the protocol allows 65,535).
const STATEMENT_ROWS = 1000;
const EVENT_COLUMNS = 9;

// `($1, … $9), ($10, … $18), …` for `n` rows: the text of the statement depends only on the row
// count, and the values travel as parameters. A VALUES list keeps the rows in the order given
// (ids follow arrival), and costs far less than the same rows as array parameters through
// unnest, which the driver escapes into array literals and the server parses back: one
// collector on PostgreSQL went from about 11,900 to 14,800 events/s (bench/postgres-ingest.js
// set-up, 16 connections, batches of 20, on this machine while it was busy).
function placeholders(n: number): string {
  const tuples: string[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const at = r * EVENT_COLUMNS;
    tuples[r] = `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}, $${at + 8}, $${at + 9})`;
  }
  return tuples.join(', ');
}

const insertEventsSql = (n: number) => `
  INSERT INTO events (message_id, type, anonymous_id, user_id, timestamp, received_at, write_key, body, facts)
  VALUES ${placeholders(n)}
  ON CONFLICT (message_id) DO NOTHING
  RETURNING message_id`;

/**
 * Inserts the rows whose messageId is not stored yet, in the caller's transaction; per row, true
 * when this call stored it. A messageId given twice counts as stored at its first place only.
 */
export async function insertEvents(tx: Queryable, rows: readonly EventRow[]): Promise<boolean[]> {
  const first = new Map<string, number>();
  const unique: EventRow[] = [];
  rows.forEach((row, i) => {
    if (first.has(row.messageId)) return;
    first.set(row.messageId, i);
    unique.push(row);
  });
  if (unique.length === 0) return [];
  const stored = new Array<boolean>(rows.length).fill(false);
  for (let start = 0; start < unique.length; start += STATEMENT_ROWS) {
    const slice = unique.slice(start, start + STATEMENT_ROWS);
    const values: (string | null)[] = [];
    for (const r of slice) values.push(r.messageId, r.type, r.anonymousId, r.userId, r.timestamp, r.receivedAt, r.writeKey, r.body, r.facts ?? null);
    const { rows: inserted } = await tx.query<{ message_id: string }>(insertEventsSql(slice.length), values);
    for (const { message_id } of inserted) stored[first.get(message_id)!] = true;
  }
  return stored;
}

/**
 * Group commit of event appends: each item is one request's rows, all of a group go in one
 * INSERT in one transaction; resolves per append with `stored` per row.
 */
export function createEventGroupCommit(
  connection: PostgresConnection,
  options: Pick<PgGroupCommitOptions<EventRow[], boolean[]>, 'maxInFlight' | 'maxWeight'> = {},
): PgGroupCommit<EventRow[], boolean[]> {
  return createPgGroupCommit<EventRow[], boolean[]>({
    connection,
    ...options,
    weight: (rows) => rows.length,
    async write(tx, appends) {
      const stored = await insertEvents(tx, appends.flat());
      let at = 0;
      return appends.map((rows) => stored.slice(at, (at += rows.length)));
    },
  });
}
