// The SQLite writer thread: owns the write connection and group-commits what the main thread
// sends, so that the main thread parses and validates the next requests while this one waits
// for the disk. A group is every batch that arrived while the previous commit ran; each batch is
// answered only after the commit that holds it returned (WAL fsynced). The rules' write programs
// run here, inside the transactions (writer.ts).
import { statSync } from 'node:fs';
import { parentPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { createGroupCommit } from '../group-commit';
import type { FromCheckpointer, ToCheckpointer } from './checkpoint-thread';
import { openConnection, type ConnectionOptions } from './connection';
import { startThread } from '../../threads';
import type { AccountWrite } from './accounts';
import type { FactsWrite } from './facts-backfill';
import type { PurgeChunk, PurgeTask } from './privacy';
import { createScrubber } from './scrub';
import { createLock, createWriter, type ProgramItem, type WriteItem, type WriteResult } from './writer';

/**
 * Event JSON committed between two checkpoint requests to the checkpointer thread: about a
 * quarter of the WAL after which SQLite's own automatic checkpoint runs (1,000 pages, 4 MiB,
 * of which the events' text is about half), so that one finds little left to copy. Small
 * writes (and tests counting commits in the WAL) never wake the checkpointer.
 */
const CHECKPOINT_EVERY_CHARS = 512 * 1024;

/**
 * SQLite's automatic checkpoint: after a commit that leaves this many pages in the WAL (its
 * default), the writer copies them into the database file before it returns.
 */
const AUTO_CHECKPOINT_PAGES = 1000;
/**
 * A WAL file larger than this at open (an unclean stop under load, or a reader that held a
 * snapshot for long) holds a backlog that SQLite's automatic checkpoint would copy after the
 * first commit, holding up every request of the next group: hundreds of milliseconds per GiB, more
 * from a slow disk. The checkpointer thread copies it instead. 4 MiB: the automatic threshold.
 */
const BACKLOG_BYTES = AUTO_CHECKPOINT_PAGES * 4096;

function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0; // no WAL: the last connection closed cleanly
  }
}

export interface WriterThreadData {
  file: string;
  options: ConnectionOptions;
  /** How long an erasure waits for readers before the WAL can be emptied (scrub.ts). */
  eraseWaitMs: number;
}

/**
 * Main thread -> writer. A batch holds what the main thread submitted in one turn of its loop.
 * An ungrouped program's input (an erasure) and a purge chunk each run in a transaction of their
 * own, between groups, after what was submitted before them; a scrub empties the WAL.
 */
export type ToWriter =
  | { type: 'write'; id: number; items: WriteItem[] }
  | { type: 'alone'; id: number; item: ProgramItem }
  | { type: 'purge'; id: number; task: PurgeTask }
  | { type: 'accounts'; id: number; write: AccountWrite }
  | { type: 'facts'; id: number; write: FactsWrite }
  | { type: 'scrub'; id: number }
  | { type: 'close' };

/** A failure as it crosses threads: SQLite's result code is what storage errors are made of. */
export interface ErrorInfo {
  message: string;
  code?: string;
  stack?: string;
}

/** Writer -> main thread. */
export type FromWriter =
  | { type: 'ready' }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'written'; id: number; results: WriteResult[] }
  | { type: 'refused'; id: number; error: ErrorInfo }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'closed' };

function describe(err: unknown): ErrorInfo {
  const e = err as { message?: unknown; code?: unknown; stack?: unknown } | null;
  return {
    message: String(e?.message ?? err),
    ...(typeof e?.code === 'string' && { code: e.code }),
    ...(typeof e?.stack === 'string' && { stack: e.stack }),
  };
}

function serve(port: MessagePort, { file, options, eraseWaitMs }: WriterThreadData): void {
  const post = (message: FromWriter) => port.postMessage(message);
  // Before opening: the open reads the WAL back in, and a clean close removes it.
  const backlog = !options.readonly && walBytes(file) > BACKLOG_BYTES;
  let db: ReturnType<typeof openConnection>;
  try {
    db = openConnection(file, options, true);
  } catch (err) {
    const { message, code } = describe(err);
    post({ type: 'failed', message, ...(code !== undefined && { code }) });
    port.close();
    return;
  }
  const writer = createWriter(db);
  const scrubber = createScrubber(db, { waitMs: eraseWaitMs, busyTimeoutMs: options.busyTimeoutMs });
  // An erasure that could not empty the WAL before (another process read on, or a crash came
  // first) is finished now, before anyone else reads the file through this collector.
  if (!options.readonly) scrubber.settle();
  // Scrubs whose answer waits for the WAL to be emptied.
  const scrubbing = new Set<Promise<void>>();
  // One transaction at a time: a program's steps are awaited, and nothing may begin meanwhile.
  const exclusive = createLock();
  const running = new Set<Promise<unknown>>();
  // Started with the first request: a database that takes little never needs the thread.
  let checkpointer: Checkpointer | null = null;
  let sinceCheckpoint = 0;
  if (backlog) {
    // Until the checkpointer has copied the backlog, commits do not copy anything themselves.
    // Should the thread not start or stop early, they go back to doing it.
    db.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(file, options, () => db.open && db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`));
    checkpointer?.request();
  }
  const group = createGroupCommit<WriteItem[], WriteResult[]>((batches) =>
    exclusive(async () => {
      const results = await writer.commit(batches.flat());
      sinceCheckpoint += writer.takeInsertedChars();
      if (sinceCheckpoint >= CHECKPOINT_EVERY_CHARS && !options.readonly) {
        sinceCheckpoint = 0;
        checkpointer ??= startCheckpointer(file, options, () => undefined);
        checkpointer?.request();
      }
      let at = 0;
      return batches.map((b) => results.slice(at, (at += b.length)));
    }),
  );
  // A transaction of its own, after the batches submitted before it have committed.
  function separately(id: number, work: () => unknown): void {
    const done = group
      .flushed()
      .then(() => exclusive(work))
      .then(
        (result) => post({ type: 'done', id, result }),
        (err: unknown) => post({ type: 'refused', id, error: describe(err) }),
      )
      .finally(() => running.delete(done));
    running.add(done);
  }
  port.on('message', (message: ToWriter) => {
    switch (message.type) {
      case 'write': {
        const { id, items } = message;
        group.submit(items).then(
          (results) => post({ type: 'written', id, results }),
          (err: unknown) => post({ type: 'refused', id, error: describe(err) }),
        );
        return;
      }
      case 'alone':
        return separately(message.id, () => writer.alone(message.item));
      case 'purge':
        return separately(message.id, (): PurgeChunk => writer.purge(message.task));
      case 'accounts':
        return separately(message.id, () => writer.accounts(message.write));
      case 'facts':
        return separately(message.id, () => writer.facts(message.write));
      case 'scrub': {
        // Answered once the WAL is empty (or the wait is over); appends go on meanwhile.
        const { id } = message;
        const done: Promise<void> = scrubber.scrub().then((scrubbed) => {
          scrubbing.delete(done);
          post({ type: 'done', id, result: scrubbed });
        });
        scrubbing.add(done);
        return;
      }
      case 'close':
        // Batches posted before 'close' have been submitted already: drain commits them.
        void group
          .drain()
          .then(() => Promise.all(running))
          .then(() => checkpointer?.stop())
          .then(() => {
            // Last chance for waiting scrubs (their answers go out before 'closed').
            scrubber.settle();
            return Promise.all(scrubbing);
          })
          .then(() => {
            try {
              db.close();
            } finally {
              post({ type: 'closed' });
              port.close();
            }
          });
    }
  });
  post({ type: 'ready' });
}

interface Checkpointer {
  /** Asks for a checkpoint; one that the thread cannot start yet waits until it can. */
  request(): void;
  /** Resolves once the thread is gone (at once when it already is). */
  stop(): Promise<void>;
}

/**
 * Starts the checkpointer thread; `caughtUp` runs once, when a checkpoint has copied every frame
 * of the WAL or when the thread is gone (then at once if it cannot start).
 */
function startCheckpointer(file: string, options: ConnectionOptions, caughtUp: () => unknown): Checkpointer | null {
  let thread: Worker;
  try {
    thread = startThread(__dirname, 'checkpoint-thread', { file, options });
  } catch {
    caughtUp();
    return null; // SQLite's automatic checkpoint on this thread does all the copying, as it would anyway
  }
  let pending = true;
  const once = () => {
    if (pending) caughtUp();
    pending = false;
  };
  thread.on('message', (message: FromCheckpointer) => {
    if (message === 'caught-up') once();
  });
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve(once())));
  thread.on('error', () => {}); // likewise; it exits after an error
  return {
    request: () => thread.postMessage('checkpoint' satisfies ToCheckpointer),
    stop() {
      thread.postMessage('close' satisfies ToCheckpointer);
      return exited;
    },
  };
}

if (parentPort) serve(parentPort, workerData as WriterThreadData);
