// The embedded SQLite backend (better-sqlite3): one file, WAL, synchronous=FULL so that a
// committed transaction is on disk before any request is acknowledged. Writes of concurrent
// requests are group-committed: one transaction, one fsync, many acknowledgements. The write
// connection lives on a thread of its own (writer-thread.ts), so that the main thread
// keeps parsing requests while a commit waits for the disk; reads use a connection here.
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import { StorageUnavailableError } from '../../errors';
import { createGroupCommit } from '../group-commit';
import { openConnection, type ConnectionOptions } from './connection';
import { checkFreeSpace, toStorageError } from './failures';
import { createAnalyticsReader } from './events';
import { createPrivacyReader, type MaintenanceResult, type MaintenanceTask } from './privacy';
import { createProfileReader } from './profiles';
import { createRejectedReads } from './rejected';
import { createScrubber, ERASE_WAIT_MS } from './scrub';
import { startThread } from './threads';
import { createWriter, PROBE, toRows, type AppendOutcome, type WriteItem, type WriteResult } from './writer';
import type { ErrorInfo, FromWriter, ToWriter, WriterThreadData } from './writer-thread';
import type { AppendResult, ErasureOutcome, PurgeCounts, Storage, SubjectEventKey } from '../types';

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

/** Where writes go: the writer thread, or the writer on this thread for an in-memory database. */
interface WriterLink {
  /** Resolves after the transaction that holds `item` committed; rejects with the raw failure. */
  submit(item: WriteItem): Promise<WriteResult>;
  /** Runs an erasure or purge chunk in its own transaction, after what was submitted before. */
  maintain(task: MaintenanceTask): Promise<MaintenanceResult>;
  /** Commits what was submitted, then stops. */
  close(): Promise<void>;
}

/** Opens (creating file, parent directories and schema as needed) an SQLite store. */
export async function openSqliteStorage(file: string, options: SqliteOptions = {}): Promise<Storage> {
  const connection: ConnectionOptions = {
    readonly: options.readonly ?? false,
    mustExist: options.mustExist ?? false,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    maxSizeBytes: options.maxSizeBytes,
  };
  // An in-memory database belongs to the one connection that made it: no thread can share it.
  if (file === ':memory:') {
    const db = openConnection(file, connection, true);
    const writer = createWriter(db);
    const scrubber = createScrubber(db, { waitMs: 0, busyTimeoutMs: connection.busyTimeoutMs });
    const group = createGroupCommit<WriteItem, WriteResult>((items) => writer.commit(items));
    // Commits are synchronous here too, so a task never runs inside a group's transaction.
    const link: WriterLink = {
      submit: (item) => group.submit(item),
      maintain: async (task) => {
        await group.drain(); // what was submitted before comes first, as on the thread
        const result = writer.maintain(task);
        if (!('status' in result) || result.status !== 'erased') return result;
        // No file and no readers but this one: the scrub only records that it is done.
        return { ...result, scrubbed: await scrubber.scrub() };
      },
      close: () => group.drain(),
    };
    return createSqliteStorage(db, link, null);
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
  return createSqliteStorage(reads, writer, dirname(file));
}

/** An error of the writer thread, rebuilt on this side so that toStorageError can read its code. */
function rebuild(info: ErrorInfo): Error {
  const err = Object.assign(new Error(info.message), info.code === undefined ? {} : { code: info.code });
  if (info.stack) err.stack = info.stack;
  return err;
}

/**
 * Starts the writer thread and resolves once it has opened the database. What is submitted in
 * one turn of this thread's event loop travels as one batch (so that requests arriving together
 * share a commit, as they did with one thread); the writer merges the batches that arrive while
 * it commits into its next transaction.
 */
function startWriterThread(data: WriterThreadData): Promise<WriterLink> {
  const worker = startThread('writer-thread', data);
  type Pending = { item: WriteItem; resolve: (r: WriteResult) => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let timer: NodeJS.Immediate | null = null;
  const posted = new Map<number, Pending[]>();
  type Task = { resolve: (r: MaintenanceResult) => void; reject: (e: unknown) => void };
  const tasks = new Map<number, Task>();
  let nextId = 0;
  // Set once the thread is gone: every later submission fails with it.
  let stopped: Error | null = null;
  let closing: Promise<void> | null = null;

  // The thread keeps the process alive only while it owes answers, as one connection would, and
  // while it closes: an answer that arrives meanwhile (a probe sent just before) must not let the
  // process exit before the database is closed.
  const reference = () => (closing || queue.length > 0 || posted.size > 0 || tasks.size > 0 ? worker.ref() : worker.unref());

  function post(): void {
    if (timer !== null) clearImmediate(timer);
    timer = null;
    if (queue.length === 0) return;
    const id = nextId++;
    posted.set(id, queue);
    const message: ToWriter = { type: 'write', id, items: queue.map((p) => p.item) };
    queue = [];
    worker.postMessage(message);
  }

  function settle(id: number, settleOne: (p: Pending, i: number) => void): void {
    const batch = posted.get(id);
    posted.delete(id);
    batch?.forEach(settleOne);
    reference();
  }

  function fail(err: Error): void {
    stopped ??= err;
    for (const batch of [queue, ...posted.values()]) for (const p of batch) p.reject(stopped);
    for (const t of tasks.values()) t.reject(stopped);
    queue = [];
    posted.clear();
    tasks.clear();
  }

  return new Promise((resolve, reject) => {
    let ready = false;
    const link: WriterLink = {
      submit(item) {
        if (stopped) return Promise.reject(stopped);
        return new Promise((resolveItem, rejectItem) => {
          queue.push({ item, resolve: resolveItem, reject: rejectItem });
          // setImmediate runs after the I/O callbacks of this loop turn: requests whose bodies
          // finished arriving together land in the same batch.
          if (timer === null) timer = setImmediate(post);
          worker.ref();
        });
      },
      maintain(task) {
        if (stopped) return Promise.reject(stopped);
        post(); // appends submitted before the task are committed before it
        const id = nextId++;
        return new Promise((resolveTask, rejectTask) => {
          tasks.set(id, { resolve: resolveTask, reject: rejectTask });
          worker.ref();
          worker.postMessage({ type: 'maintain', id, task } satisfies ToWriter);
        });
      },
      close() {
        closing ??= new Promise<void>((done) => {
          if (stopped) return done();
          post(); // what is queued was promised a commit
          worker.ref();
          worker.postMessage({ type: 'close' } satisfies ToWriter);
          worker.once('exit', () => done());
        });
        return closing;
      },
    };
    worker.on('message', (message: FromWriter) => {
      switch (message.type) {
        case 'ready':
          ready = true;
          reference();
          return resolve(link);
        case 'failed':
          return reject(Object.assign(new Error(message.message), message.code === undefined ? {} : { code: message.code, path: data.file }));
        case 'written':
          return settle(message.id, (p, i) => p.resolve(message.results[i]));
        case 'refused': {
          const err = rebuild(message.error);
          const task = tasks.get(message.id);
          if (task) {
            tasks.delete(message.id);
            reference();
            return task.reject(err);
          }
          return settle(message.id, (p) => p.reject(err));
        }
        case 'maintained': {
          const task = tasks.get(message.id);
          tasks.delete(message.id);
          reference();
          return task?.resolve(message.result);
        }
        case 'closed':
          stopped ??= new StorageUnavailableError('storage is closed', { reason: 'closed' });
          return;
      }
    });
    worker.on('error', (err) => {
      if (!ready) reject(err);
      fail(new StorageUnavailableError(`the SQLite writer thread failed: ${err.message}`, { cause: err }));
    });
    worker.on('exit', (code) => {
      if (!ready) reject(new Error(`the SQLite writer thread exited (${code}) before opening ${data.file}`));
      fail(new StorageUnavailableError(`the SQLite writer thread stopped (exit code ${code})`));
    });
  });
}

/** Rows deleted per purge transaction at most: appends wait for one chunk, not the whole purge. */
const PURGE_CHUNK = 5000;
/** Row numbers looked at per purge transaction, so a chunk that finds little still ends soon. */
const PURGE_WINDOW = 50_000;

// Time order of a subject's events, as profiles order them (rules/identity.ts byTime).
function byTime(a: SubjectEventKey, b: SubjectEventKey): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.seq - b.seq;
}

function createSqliteStorage(db: Database, writer: WriterLink, dir: string | null): Storage {
  const rejected = createRejectedReads(db);
  const reader = createProfileReader(db);
  const privacy = createPrivacyReader(db);
  const analytics = createAnalyticsReader(db);
  // The writer thread commits while reads run here: the statements of one read share one
  // snapshot (a read transaction), so a profile never pairs links and events of different moments.
  const snapshot = db.transaction((read: () => unknown) => read());
  const inSnapshot = <T>(read: () => T): T => snapshot(read) as T;
  let closed: Promise<void> | null = null;
  // The latest append failure, until an append succeeds (see FAILURE_MEMORY_MS).
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

  // Refuses new work once close() has begun, also while queued appends are still draining.
  function assertOpen(): void {
    if (closed) throw new StorageUnavailableError('storage is closed', { reason: 'closed' });
  }

  return {
    append: async (input) => {
      assertOpen();
      try {
        // Serialized here, on the caller's thread: the writer thread only writes.
        const { stored, suppressed } = (await guard('append', () => writer.submit(toRows(input)))) as AppendOutcome;
        lastFailure = null;
        return (suppressed > 0 ? { stored, suppressed } : { stored }) satisfies AppendResult;
      } catch (err) {
        if (err instanceof StorageUnavailableError) lastFailure = { error: err, at: Date.now() };
        throw err;
      }
    },
    getProfile: (id) => guard('read', () => inSnapshot(() => reader.profile(id))),
    getProfileEvents: (id, options) => guard('read', () => inSnapshot(() => reader.events(id, options?.limit))),
    eventsAfter: (afterSeq, limit) => guard('read', () => analytics.eventsAfter(afterSeq, limit)),
    lastSeq: () => guard('read', () => analytics.lastSeq()),
    identityGraph: () => guard('read', () => inSnapshot(() => analytics.identityGraph())),
    eventPage: (range, afterSeq, limit) => guard('read', () => analytics.eventPage(range, afterSeq, limit)),
    countEvents: (range) => guard('read', () => analytics.countEvents(range)),
    listRejected: (options) => guard('read', () => inSnapshot(() => rejected.list(options?.limit ?? -1))),
    findSubject: (id) => guard('read', () => inSnapshot(() => privacy.findSubject(id))),
    subjectEvents: (subject) =>
      guard('read', async () => {
        const keys: SubjectEventKey[] = [];
        for (const page of privacy.eventPages(subject)) {
          for (const key of page) keys.push(key);
          // Each page is one short read: requests get their turn in between.
          await new Promise((resolve) => setImmediate(resolve));
        }
        return keys.sort(byTime);
      }),
    eventsBySeq: (seqs) => guard('read', () => privacy.eventsBySeq(seqs)),
    subjectRejected: (subject, cursor) =>
      guard('read', async () => {
        // The subject's identify events are read first, a page per turn of the loop.
        for (const _ of privacy.prepareRejected(subject)) await new Promise((resolve) => setImmediate(resolve));
        return privacy.rejected(subject, cursor);
      }),
    eraseSubject: async (id, options) => {
      assertOpen();
      const task: MaintenanceTask = { kind: 'erase', id, at: options.at, suppressUntil: options.suppressUntil };
      return (await guard('erase', () => writer.maintain(task))) as ErasureOutcome;
    },
    listErasures: () => guard('read', () => privacy.listErasures()),
    purge: async ({ before, rejectedBefore = before, now, dryRun }) => {
      if (dryRun) return guard('read', () => privacy.countExpired(before, rejectedBefore));
      assertOpen();
      const counts: PurgeCounts = { events: 0, rejectedEvents: 0 };
      const cutoffs = [['events', before] as const, ['rejected', rejectedBefore] as const];
      for (const [table, cutoff] of cutoffs) {
        if (cutoff === null) continue;
        for (let after: number | null = 0; after !== null; ) {
          const task: MaintenanceTask = { kind: 'purge', table, before: cutoff, now, after, limit: PURGE_CHUNK, window: PURGE_WINDOW };
          const chunk = (await guard('purge', () => writer.maintain(task))) as { deleted: number; next: number | null };
          counts[table === 'events' ? 'events' : 'rejectedEvents'] += chunk.deleted;
          after = chunk.next;
        }
      }
      return counts;
    },
    generation: () => guard('read', () => privacy.generation()),
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
        db.close();
      })();
      return closed;
    },
  };
}
