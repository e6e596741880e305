// The PostgreSQL backend: several stateless collector processes on one database. The rules'
// write programs run here, in this process, inside transactions that take their turn by locking
// privacy_state (transaction.ts); the inputs of a grouped program (appends) that arrive together
// share one transaction and one COMMIT (group-commit.ts), and every caller is answered only after
// that COMMIT, with synchronous_commit on (connection.ts). Reads run in read-only REPEATABLE READ
// transactions, and the analytics cache catches up in commit order (catch-up.ts).
import type { StoredEvent } from '@spur/sdk';
import type { PoolClient } from 'pg';
import { StorageUnavailableError } from '../../errors';
import type { Logger } from '../../log';
import { createTermHasher } from '../rejected-values';
import { createProgramLoader } from '../programs';
import type { Storage, StorageReads } from '../types';
import { createPgAccounts } from './accounts';
import { CATCH_UP_START, eventsAfter, factsAfter, formatCursor, parseCursor } from './catch-up';
import { connectPostgres, type PostgresConnection } from './connection';
import { createFactsBackfill } from './facts-backfill';
import { createPgGroupCommit } from './group-commit';
import { migrate } from './migrations';
import { countExpired, listErasures, purge, scrub } from './privacy';
import { createPgReads } from './reads';
import { listRejected } from './rejected';
import { beginWrites } from './transaction';

export interface PostgresStorageOptions {
  /** Where failures of idle connections and migrations are reported. */
  logger?: Logger;
  /** Connections of this process at most. @defaultValue 10 */
  maxConnections?: number;
  /** Write transactions in flight at once (they take turns at the lock; the next is ready). @defaultValue 2 */
  maxInFlight?: number;
  /** How long an erasure waits for older snapshots before answering `scrubbed: false`. @defaultValue 30000 */
  eraseWaitMs?: number;
}

/** After an append failed, /readyz keeps reporting it this long (or until one succeeds). */
export const FAILURE_MEMORY_MS = 10_000;

/** A readiness probe in the group of the moment: rewrites the health row. */
const PROBE = 'probe';
type Item = { module: string; factory: string; input: unknown } | typeof PROBE;

const ISO = (ms: number | undefined, fallback: string) => (ms === undefined ? fallback : new Date(ms).toISOString());
const bounds = (range: { from?: number; to?: number }) => [ISO(range.from, ''), ISO(range.to, '\uffff')];

/** Connects, brings the schema up to date (migrations.ts) and answers the Storage. */
export async function openPostgresStorage(url: string, options: PostgresStorageOptions = {}): Promise<Storage> {
  const connection = connectPostgres({ url, ...(options.logger && { logger: options.logger }), maxConnections: options.maxConnections ?? 10 });
  try {
    await migrate(connection, options.logger ? { logger: options.logger } : {});
    const { rows } = await connection.query<{ salt: string }>('SELECT salt FROM privacy_state WHERE id = 1');
    return createPostgresStorage(connection, rows[0].salt, options);
  } catch (err) {
    await connection.close();
    throw err;
  }
}

function createPostgresStorage(connection: PostgresConnection, salt: string, options: PostgresStorageOptions): Storage {
  // The salt never changes: one hasher for every transaction of this process.
  const term = createTermHasher(salt);
  let closed: Promise<void> | null = null;
  let lastFailure: { error: StorageUnavailableError; at: number } | null = null;

  // Programs are named by module (WriteProgram) so that SQLite can run them on its writer thread;
  // here they run in this process, one instance per store (each keeps its own cache).
  const programOf = createProgramLoader();
  const backfillFacts = createFactsBackfill(connection);

  // One transaction's items: each program's inputs in one call, in the order submitted.
  async function runItems(client: PoolClient, items: Item[]): Promise<unknown[]> {
    const tx = await beginWrites(client, term);
    const results: unknown[] = new Array(items.length).fill(null);
    const byProgram = new Map<string, { module: string; factory: string; at: number[] }>();
    let probed = false;
    items.forEach((item, at) => {
      if (item === PROBE) return void (probed = true);
      const key = `${item.module}#${item.factory}`;
      const entry = byProgram.get(key) ?? byProgram.set(key, { module: item.module, factory: item.factory, at: [] }).get(key)!;
      entry.at.push(at);
    });
    if (probed) {
      await client.query(
        'INSERT INTO health (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
        [new Date().toISOString()],
      );
    }
    for (const { module, factory, at } of byProgram.values()) {
      const outputs = await programOf({ module, factory })(tx, at.map((i) => (items[i] as Exclude<Item, typeof PROBE>).input));
      at.forEach((i, k) => (results[i] = outputs[k]));
    }
    return results;
  }

  const group = createPgGroupCommit<Item, unknown>({
    connection,
    maxInFlight: options.maxInFlight ?? 2,
    // An append's weight is its number of events (8 values each, see rules/append.ts).
    weight: (item) => (item === PROBE ? 1 : Math.max(1, ((item.input as { rows?: unknown[] }).rows?.length ?? 8) / 8)),
    write: runItems,
  });

  function assertOpen(): void {
    if (closed) throw new StorageUnavailableError('storage is closed', { reason: 'closed' });
  }
  const guarded =
    <A extends unknown[], T>(fn: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      assertOpen();
      return fn(...args);
    };

  // Reads that see one committed state: a read-only REPEATABLE READ transaction on one session.
  const snapshot = <T>(fn: (reads: StorageReads, client: PoolClient) => Promise<T>) =>
    connection.withClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await fn(createPgReads(client, term), client);
      } finally {
        await client.query('COMMIT');
      }
    });

  return {
    accounts: createPgAccounts(connection, guarded),
    read: guarded((fn) => snapshot((reads) => fn(reads))),
    write: guarded(async (program, input) => {
      const item = { module: program.module, factory: program.factory, input };
      if (!program.grouped) return (await connection.transaction(async (client) => (await runItems(client, [item]))[0])) as never;
      try {
        const output = await group.submit(item);
        lastFailure = null;
        return output as never;
      } catch (err) {
        if (err instanceof StorageUnavailableError) lastFailure = { error: err, at: Date.now() };
        throw err;
      }
    }),
    scrub: guarded(() => scrub(connection, options.eraseWaitMs ?? 30_000)),
    eventsAfter: guarded(async (cursor, limit) => {
      const found = await eventsAfter(connection, cursor === null ? CATCH_UP_START : parseCursor(cursor), limit);
      if (found.rows.length === 0) return { rows: [], cursor };
      return { rows: found.rows.map((r) => JSON.parse(r.body) as StoredEvent), cursor: formatCursor(found.cursor) };
    }),
    factsAfter: guarded(async (cursor, limit, prefix) => {
      const found = await factsAfter(connection, cursor === null ? CATCH_UP_START : parseCursor(cursor), limit, prefix);
      return { page: found.page, rows: found.rows, cursor: found.rows === 0 ? cursor : formatCursor(found.cursor) };
    }),
    backfillFacts: guarded((task) => backfillFacts(task)),
    readsOnCallingThread: () => false,
    // The span of ids: two reads of the primary key's ends, however many rows.
    eventCountEstimate: guarded(async () => Number((await connection.query<{ n: string }>('SELECT coalesce(max(id) - min(id) + 1, 0) AS n FROM events')).rows[0].n)),
    identityGraph: guarded(() =>
      snapshot(async (_reads, client) => {
        const links = await client.query('SELECT anonymous_id AS "anonymousId", user_id AS "userId", first_seen AS "firstSeen" FROM identity_links ORDER BY anonymous_id, user_id');
        const aliases = await client.query('SELECT previous_id AS "previousId", user_id AS "userId" FROM aliases ORDER BY created_at, previous_id');
        return { links: links.rows, aliases: aliases.rows };
      }),
    ),
    eventPage: guarded(async (range, afterSeq, limit) => {
      const { rows } = await connection.query<{ id: string; timestamp: string; body: string }>(
        'SELECT id, timestamp, body FROM events WHERE id > $1 AND timestamp >= $2 AND timestamp < $3 ORDER BY id LIMIT $4',
        [afterSeq, ...bounds(range), limit],
      );
      return rows.map((r) => ({ seq: Number(r.id), timestamp: r.timestamp, body: r.body }));
    }),
    identifyPage: guarded(async (afterSeq, limit) => {
      const { rows } = await connection.query<{ id: string; timestamp: string; body: string }>(
        "SELECT id, timestamp, body FROM events WHERE id > $1 AND type = 'identify' AND user_id IS NOT NULL ORDER BY id LIMIT $2",
        [afterSeq, limit],
      );
      return rows.map((r) => ({ seq: Number(r.id), timestamp: r.timestamp, body: r.body }));
    }),
    countEvents: guarded(async (range) =>
      Number((await connection.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE timestamp >= $1 AND timestamp < $2', bounds(range))).rows[0].n),
    ),
    listRejected: guarded((opts) => listRejected(connection, opts?.limit ?? -1)),
    listErasures: guarded(() => listErasures(connection)),
    purge: guarded(({ before, rejectedBefore = before, now, dryRun }) =>
      dryRun ? countExpired(connection, before, rejectedBefore) : purge(connection, term, { before, rejectedBefore, now }),
    ),
    generation: guarded(async () => Number((await connection.query<{ generation: string }>('SELECT generation FROM privacy_state WHERE id = 1')).rows[0].generation)),
    ping: guarded(async () => {
      const failure = lastFailure;
      const age = failure ? Date.now() - failure.at : Infinity;
      if (failure && age < FAILURE_MEMORY_MS) {
        throw new StorageUnavailableError(`the last append failed ${Math.round(age / 1000)} s ago: ${failure.error.message}`, {
          reason: failure.error.reason,
          cause: failure.error,
        });
      }
      // The probe joins the group of the moment: no COMMIT of its own.
      await group.submit(PROBE);
    }),
    close() {
      closed ??= (async () => {
        // Queued appends were promised a commit; write them before closing.
        await group.drain();
        await connection.close();
      })();
      return closed;
    },
  };
}
