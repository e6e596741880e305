// The link from the main thread to the SQLite writer: the writer thread for a file, or the writer
// on the caller's own thread for an in-memory database (which no other thread can open). What
// is submitted in one turn of this thread's event loop travels to the thread as one batch.
import type { Database } from 'better-sqlite3';
import { StorageUnavailableError } from '../../errors';
import { createGroupCommit } from '../group-commit';
import type { AccountWrite } from './accounts';
import type { FactsWrite } from './facts-backfill';
import type { PurgeChunk, PurgeTask } from './privacy';
import { createScrubber } from './scrub';
import { startThread } from '../../threads';
import { createLock, createWriter, type ProgramItem, type WriteItem, type WriteResult } from './writer';
import type { ErrorInfo, FromWriter, ToWriter, WriterThreadData } from './writer-thread';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Where writes go. Each resolves after the transaction that holds it committed; rejects with the raw failure. */
export interface WriterLink {
  /** Joins the group of the moment: a grouped program's input, or a probe. */
  submit(item: WriteItem): Promise<WriteResult>;
  /** An ungrouped program's input, in its own transaction, after what was submitted before. */
  alone(item: ProgramItem): Promise<unknown>;
  /** One purge chunk, in its own transaction, after what was submitted before. */
  purge(task: PurgeTask): Promise<PurgeChunk>;
  /** Empties the WAL (scrub.ts); false when readers kept it past the wait. */
  scrub(): Promise<boolean>;
  /** One write of the dashboard's accounts, in its own transaction, after what was submitted before. */
  accounts(write: AccountWrite): Promise<unknown>;
  /** One step of the facts backfill, in its own transaction, after what was submitted before; answers the rows written. */
  facts(write: FactsWrite): Promise<number>;
  /** Commits what was submitted, then stops. */
  close(): Promise<void>;
}

/**
 * The writer on this thread, for an in-memory database: the same group commit and lock as on the
 * writer thread, with no file and no reader but this connection (so a scrub only records that it
 * is done).
 */
export function inProcessWriter(db: Database, busyTimeoutMs: number, lock: ReturnType<typeof createLock>): WriterLink {
  const writer = createWriter(db);
  const scrubber = createScrubber(db, { waitMs: 0, busyTimeoutMs });
  const group = createGroupCommit<WriteItem, WriteResult>((items) => lock(() => writer.commit(items)));
  // What was submitted before comes first, as on the thread.
  const separately = async <T>(work: () => T | Promise<T>): Promise<T> => {
    await group.flushed();
    return lock(work);
  };
  return {
    submit: (item) => group.submit(item),
    alone: (item) => separately(() => writer.alone(item)),
    purge: (task) => separately(() => writer.purge(task)),
    accounts: (write) => separately(() => writer.accounts(write)),
    facts: (write) => separately(() => writer.facts(write)),
    scrub: () => scrubber.scrub(),
    close: () => group.drain(),
  };
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
export function startWriterThread(data: WriterThreadData): Promise<WriterLink> {
  const worker = startThread(__dirname, 'writer-thread', data);
  type Pending = { item: WriteItem; resolve: (r: WriteResult) => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let timer: NodeJS.Immediate | null = null;
  const posted = new Map<number, Pending[]>();
  type Task = { resolve: (r: unknown) => void; reject: (e: unknown) => void };
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

  // A message answered on its own ('done' or 'refused'), posted after what was submitted before it.
  function separately(message: DistributiveOmit<Exclude<ToWriter, { type: 'write' | 'close' }>, 'id'>): Promise<unknown> {
    if (stopped) return Promise.reject(stopped);
    post(); // appends submitted before it are committed before it
    const id = nextId++;
    return new Promise((resolveTask, rejectTask) => {
      tasks.set(id, { resolve: resolveTask, reject: rejectTask });
      worker.ref();
      worker.postMessage({ ...message, id } as ToWriter);
    });
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
      alone: (item) => separately({ type: 'alone', item }),
      purge: (task) => separately({ type: 'purge', task }) as Promise<PurgeChunk>,
      scrub: () => separately({ type: 'scrub' }) as Promise<boolean>,
      accounts: (write) => separately({ type: 'accounts', write }),
      facts: (write) => separately({ type: 'facts', write }) as Promise<number>,
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
        case 'done': {
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

