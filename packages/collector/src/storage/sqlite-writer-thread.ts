// The SQLite writer thread: owns the write connection and group-commits what the main thread
// sends, so that the main thread parses and validates the next requests while this one waits
// for the disk. A group is every batch that arrived while the previous commit ran; each batch is
// answered only after the commit that holds it returned (WAL fsynced).
import { parentPort, workerData, type MessagePort, type Worker } from 'node:worker_threads';
import { createGroupCommit } from './group-commit';
import type { ToCheckpointer } from './sqlite-checkpoint-thread';
import { openConnection, type ConnectionOptions } from './sqlite-connection';
import { startThread } from './sqlite-threads';
import type { MaintenanceResult, MaintenanceTask } from './sqlite-privacy';
import { createScrubber } from './sqlite-scrub';
import { createWriter, FIELDS, PROBE, type AppendRows, type WriteItem, type WriteResult } from './sqlite-writer';

/**
 * Event JSON committed between two checkpoint requests to the checkpointer thread: about a
 * quarter of the WAL after which SQLite's own automatic checkpoint runs (1,000 pages, 4 MiB,
 * of which the events' text is about half), so that one finds little left to copy. Small
 * writes (and tests counting commits in the WAL) never wake the checkpointer.
 */
const CHECKPOINT_EVERY_CHARS = 512 * 1024;

export interface WriterThreadData {
  file: string;
  options: ConnectionOptions;
  /** How long an erasure waits for readers before the WAL can be emptied (sqlite-scrub.ts). */
  eraseWaitMs: number;
}

/**
 * Main thread -> writer. A batch holds what the main thread submitted in one turn of its loop.
 * A maintenance task (erasure, purge chunk) runs in a transaction of its own, between groups.
 */
export type ToWriter =
  | { type: 'write'; id: number; items: WriteItem[] }
  | { type: 'maintain'; id: number; task: MaintenanceTask }
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
  | { type: 'maintained'; id: number; result: MaintenanceResult }
  | { type: 'closed' };

function describe(err: unknown): ErrorInfo {
  const e = err as { message?: unknown; code?: unknown; stack?: unknown } | null;
  return {
    message: String(e?.message ?? err),
    ...(typeof e?.code === 'string' && { code: e.code }),
    ...(typeof e?.stack === 'string' && { stack: e.stack }),
  };
}

function bodyChars({ rows }: AppendRows): number {
  let chars = 0;
  for (let at = FIELDS - 1; at < rows.length; at += FIELDS) chars += rows[at]!.length;
  return chars;
}

function serve(port: MessagePort, { file, options, eraseWaitMs }: WriterThreadData): void {
  const post = (message: FromWriter) => port.postMessage(message);
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
  // Erasures whose answer waits for the WAL to be emptied.
  const scrubbing = new Set<Promise<void>>();
  // Started with the first request: a database that takes little never needs the thread.
  let checkpointer: Checkpointer | null = null;
  let sinceCheckpoint = 0;
  const group = createGroupCommit<WriteItem[], WriteResult[]>((batches) => {
    const items = batches.flat();
    const results = writer.commit(items);
    for (const item of items) if (item !== PROBE) sinceCheckpoint += bodyChars(item);
    if (sinceCheckpoint >= CHECKPOINT_EVERY_CHARS && !options.readonly) {
      sinceCheckpoint = 0;
      checkpointer ??= startCheckpointer(file, options);
      checkpointer?.request();
    }
    let at = 0;
    return batches.map((b) => results.slice(at, (at += b.length)));
  });
  port.on('message', (message: ToWriter) => {
    if (message.type === 'write') {
      const { id, items } = message;
      group.submit(items).then(
        (results) => post({ type: 'written', id, results }),
        (err: unknown) => post({ type: 'refused', id, error: describe(err) }),
      );
      return;
    }
    if (message.type === 'maintain') {
      // Synchronous: no group commit runs meanwhile (commits are synchronous on this thread too).
      const { id, task } = message;
      let result: MaintenanceResult;
      try {
        result = writer.maintain(task);
      } catch (err) {
        post({ type: 'refused', id, error: describe(err) });
        return;
      }
      if (!('status' in result) || result.status !== 'erased') return post({ type: 'maintained', id, result });
      // Answered once the erased rows are gone from the files too; appends go on meanwhile.
      const erased = result;
      const done: Promise<void> = scrubber.scrub().then((scrubbed) => {
        scrubbing.delete(done);
        post({ type: 'maintained', id, result: { ...erased, scrubbed } });
      });
      scrubbing.add(done);
      return;
    }
    // Batches posted before 'close' have been submitted already: drain commits them.
    void group
      .drain()
      .then(() => checkpointer?.stop())
      .then(() => {
        // Last chance for waiting erasures (their answers go out before 'closed').
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
  });
  post({ type: 'ready' });
}

interface Checkpointer {
  /** Asks for a checkpoint; one that the thread cannot start yet waits until it can. */
  request(): void;
  /** Resolves once the thread is gone (at once when it already is). */
  stop(): Promise<void>;
}

function startCheckpointer(file: string, options: ConnectionOptions): Checkpointer | null {
  let thread: Worker;
  try {
    thread = startThread('sqlite-checkpoint-thread', { file, options });
  } catch {
    return null; // SQLite's automatic checkpoint on this thread does all the copying, as it would anyway
  }
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
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
