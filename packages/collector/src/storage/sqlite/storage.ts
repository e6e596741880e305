// The embedded SQLite backend (better-sqlite3): one file, WAL, synchronous=FULL so that a
// committed transaction is on disk before any request is acknowledged. Writes of concurrent
// requests are group-committed: one transaction, one fsync, many acknowledgements. The write
// connection lives on a thread of its own (writer-thread.ts), where the rules' write programs
// run, so that the main thread keeps parsing requests while a commit waits for the disk; reads
// use a connection here.
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import { StorageUnavailableError } from '../../errors';
import type { AccountStorage } from '../accounts';
import type { PurgeCounts, Storage } from '../types';
import { createAccountReads, type AccountWrite } from './accounts';
import { openConnection, type ConnectionOptions } from './connection';
import { createEventReader } from './events';
import { backfillStep, createFactsReader, type FactsPosition } from './facts-backfill';
import { checkFreeSpace, toStorageError } from './failures';
import { createPrivacyReader, type PurgeChunk, type PurgeTask } from './privacy';
import { createReads } from './reads';
import { createRejectedReads } from './rejected';
import { ERASE_WAIT_MS } from './scrub';
import { createLock, PROBE } from './writer';
import { inProcessWriter, startWriterThread, type WriterLink } from './writer-link';

export interface SqliteOptions {
  /** How long a write waits for another connection's lock before failing with 503. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /**
   * Open read-only (for tools that must never write). Reads work; appends fail with 503 and
   * /readyz reports read_only. The file must exist with the current schema.
   * @defaultValue false
   */
  readonly?: boolean;
  /**
   * Cap on the database size, in bytes (whole pages). Past it, appends fail with 503 and /readyz
   * reports disk_full, exactly as on a full disk, so the collector cannot fill a disk it shares.
   * @defaultValue no cap
   */
  maxSizeBytes?: number;
  /**
   * Open only a database that exists: a missing file is an error with code `ENOENT` (for tools
   * that read a database, where a typo must not answer from a new, empty one), never created.
   * @defaultValue false (the file, its folders and the schema are created as needed)
   */
  mustExist?: boolean;
  /**
   * How long an erasure waits for readers of old snapshots (an export mid-page, another process)
   * to let the WAL be emptied before it answers; past it the erasure reports `scrubbed: false`
   * (the rows are gone, older copies remain in the WAL until the erasure is asked for again).
   * @defaultValue 30000
   */
  eraseWaitMs?: number;
}

/**
 * After an append failed, /readyz keeps reporting that failure this long (or until an append
 * succeeds), even when its own probe passes: a full database still takes the probe's one-row
 * write. Then the probe decides again.
 */
export const FAILURE_MEMORY_MS = 10_000;

/** Opens (creating file, parent directories and schema as needed) an SQLite store. */
export async function openSqliteStorage(file: string, options: SqliteOptions = {}): Promise<Storage> {
  const connection: ConnectionOptions = {
    readonly: options.readonly ?? false,
    mustExist: options.mustExist ?? false,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    maxSizeBytes: options.maxSizeBytes,
  };
  // An in-memory database belongs to the one connection that made it: no thread can share it,
  // and its writes and reads take turns on it.
  if (file === ':memory:') {
    const db = openConnection(file, connection, true);
    const lock = createLock();
    return createSqliteStorage(db, inProcessWriter(db, connection.busyTimeoutMs, lock), null, lock);
  }
  // The writer thread opens (and migrates) the file first; reads open it once that is done.
  const writer = await startWriterThread({ file, options: connection, eraseWaitMs: options.eraseWaitMs ?? ERASE_WAIT_MS });
  let reads: Database;
  try {
    reads = openConnection(file, connection, false);
  } catch (err) {
    await writer.close();
    throw err;
  }
  return createSqliteStorage(reads, writer, dirname(file), createLock());
}

/** Rows deleted per purge transaction at most: appends wait for one chunk, not the whole purge. */
const PURGE_CHUNK = 5000;
/** Row numbers looked at per purge transaction, so a chunk that finds little still ends soon. */
const PURGE_WINDOW = 50_000;

function createSqliteStorage(db: Database, writer: WriterLink, dir: string | null, lock: ReturnType<typeof createLock>): Storage {
  const rejected = createRejectedReads(db);
  const reads = createReads(db);
  const privacy = createPrivacyReader(db);
  const events = createEventReader(db);
  const accountReads = createAccountReads(db);
  const factsReader = createFactsReader(db);
  // Where the facts backfill of each version stands in this process (facts-backfill.ts).
  const factsPosition = new Map<number, FactsPosition>();
  const begin = db.prepare('BEGIN');
  const end = db.prepare('COMMIT');
  let closed: Promise<void> | null = null;
  // The latest failed grouped write (an append), until one succeeds (see FAILURE_MEMORY_MS).
  let lastFailure: { error: StorageUnavailableError; at: number } | null = null;

  // Runs a database call, turning database failures (busy, full, read-only, I/O, closed) into
  // StorageUnavailableError (503). Anything else is a bug and propagates as such (500).
  async function guard<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      if (!db.open) throw new StorageUnavailableError('storage is closed', { reason: 'closed' });
      return await fn();
    } catch (err) {
      throw toStorageError(what, err, db.open) ?? err;
    }
  }
  // A read on this thread's connection, in turn with the others (and, in memory, with writes).
  const read = <T>(fn: () => T | Promise<T>) => guard('read', () => lock(fn));

  // Refuses new work once close() has begun, also while queued appends are still draining.
  function assertOpen(): void {
    if (closed) throw new StorageUnavailableError('storage is closed', { reason: 'closed' });
  }

  // Account writes go to the writer like a purge chunk: a transaction of their own.
  const accountWrite = async (write: AccountWrite): Promise<never> => {
    assertOpen();
    return (await guard('write', () => writer.accounts(write))) as never;
  };
  const accounts: AccountStorage = {
    accounts: () => read(() => accountReads.accounts()),
    account: (name) => read(() => accountReads.account(name)),
    session: (id) => read(() => accountReads.session(id)),
    failures: (keys, since) => read(() => accountReads.failures(keys, since)),
    funnels: () => read(() => accountReads.funnels()),
    addAccount: (row) => accountWrite({ op: 'addAccount', args: [row] }),
    setPassword: (name, hash, at) => accountWrite({ op: 'setPassword', args: [name, hash, at] }),
    setRole: (name, role) => accountWrite({ op: 'setRole', args: [name, role] }),
    removeAccount: (name) => accountWrite({ op: 'removeAccount', args: [name] }),
    addSession: (row) => accountWrite({ op: 'addSession', args: [row] }),
    touchSession: (id, at) => accountWrite({ op: 'touchSession', args: [id, at] }),
    endSession: (id) => accountWrite({ op: 'endSession', args: [id] }),
    endExpiredSessions: (now, idleBefore) => accountWrite({ op: 'endExpiredSessions', args: [now, idleBefore] }),
    addFailure: (keys, at, forgetBefore) => accountWrite({ op: 'addFailure', args: [keys, at, forgetBefore] }),
    clearFailures: (key) => accountWrite({ op: 'clearFailures', args: [key] }),
    saveFunnel: (row) => accountWrite({ op: 'saveFunnel', args: [row] }),
    deleteFunnel: (id) => accountWrite({ op: 'deleteFunnel', args: [id] }),
  };

  return {
    accounts,
    // The writer thread commits while reads run here: the statements of one read share one
    // snapshot (a read transaction), so a profile never pairs links and events of different
    // moments. Its steps are awaited: the lock keeps other reads of this connection out meanwhile.
    read: (fn) =>
      read(async () => {
        begin.run();
        try {
          return await fn(reads);
        } finally {
          if (db.inTransaction) end.run();
        }
      }),
    write: async (program, input) => {
      assertOpen();
      const { module, factory, grouped } = program;
      const item = { program: { module, factory, grouped }, input };
      if (!grouped) return (await guard('write', () => writer.alone(item))) as never;
      try {
        const output = await guard('write', () => writer.submit(item));
        lastFailure = null;
        return output as never;
      } catch (err) {
        if (err instanceof StorageUnavailableError) lastFailure = { error: err, at: Date.now() };
        throw err;
      }
    },
    scrub: async () => {
      assertOpen();
      return guard('scrub', () => writer.scrub());
    },
    eventsAfter: (cursor, limit) => read(() => events.eventsAfter(cursor, limit)),
    factsAfter: (cursor, limit, prefix) => read(() => events.factsAfter(cursor, limit, prefix)),
    backfillFacts: async (task) => {
      assertOpen();
      const known = factsPosition.get(task.version) ?? { at: 0, recorded: 0 };
      // The window is read under the read lock; encoding and the writer's transaction come after.
      const window = await read(() => factsReader.window(task.version, known.at, task.limit));
      const { step, position } = await backfillStep(task, known, window, (write) => guard('facts backfill', () => writer.facts(write)));
      factsPosition.set(task.version, position);
      return step;
    },
    readsOnCallingThread: () => true,
    eventCountEstimate: () => read(() => events.eventCountEstimate()),
    identityGraph: () =>
      read(() => {
        begin.run();
        try {
          return events.identityGraph();
        } finally {
          end.run();
        }
      }),
    eventPage: (range, afterSeq, limit) => read(() => events.eventPage(range, afterSeq, limit)),
    identifyPage: (afterSeq, limit) => read(() => events.identifyPage(afterSeq, limit)),
    countEvents: (range) => read(() => events.countEvents(range)),
    listRejected: (options) => read(() => rejected.list(options?.limit ?? -1)),
    listErasures: () => read(() => privacy.listErasures()),
    purge: async ({ before, rejectedBefore = before, now, dryRun }) => {
      if (dryRun) return read(() => privacy.countExpired(before, rejectedBefore));
      assertOpen();
      const counts: PurgeCounts = { events: 0, rejectedEvents: 0 };
      const cutoffs = [['events', before] as const, ['rejected', rejectedBefore] as const];
      for (const [table, cutoff] of cutoffs) {
        if (cutoff === null) continue;
        for (let after: number | null = 0; after !== null; ) {
          const task: PurgeTask = { table, before: cutoff, now, after, limit: PURGE_CHUNK, window: PURGE_WINDOW };
          const chunk: PurgeChunk = await guard('purge', () => writer.purge(task));
          counts[table === 'events' ? 'events' : 'rejectedEvents'] += chunk.deleted;
          after = chunk.next;
        }
      }
      return counts;
    },
    generation: () => read(() => privacy.generation()),
    ping: async () => {
      assertOpen();
      const failure = lastFailure;
      const age = failure ? Date.now() - failure.at : Infinity;
      if (failure && age < FAILURE_MEMORY_MS) {
        throw new StorageUnavailableError(`the last append failed ${Math.round(age / 1000)} s ago: ${failure.error.message}`, {
          reason: failure.error.reason,
          cause: failure.error,
        });
      }
      // The probe joins the group of the moment (no extra fsync); free space is checked meanwhile.
      const [probe, space] = await Promise.allSettled([
        guard('probe', () => writer.submit(PROBE)),
        dir === null ? undefined : checkFreeSpace(dir),
      ]);
      if (probe.status === 'rejected') throw probe.reason;
      if (space.status === 'rejected') throw space.reason;
    },
    close() {
      closed ??= (async () => {
        // Queued appends were promised a commit; write them before closing.
        await writer.close();
        await lock(() => db.close());
      })();
      return closed;
    },
  };
}
