// The checkpointer thread: copies committed WAL frames into the database file (a PASSIVE
// checkpoint, which never blocks the writer) whenever the writer thread says that enough was
// written. A checkpoint writes every page a second time and fsyncs the database file; run by the
// writer after a commit, as SQLite does by default, it held up every request of the next group
// (bench/README.md). The writer keeps SQLite's automatic checkpoint, which now finds little left
// to copy, so the WAL stays as small as before even when this thread falls behind or fails.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openConnection, type ConnectionOptions } from './connection';

/** Writer -> checkpointer. */
export type ToCheckpointer = 'checkpoint' | 'close';
/** Checkpointer -> writer: every frame of the WAL is in the database file (sent once). */
export type FromCheckpointer = 'caught-up';

function serve(port: MessagePort, { file, options }: { file: string; options: ConnectionOptions }): void {
  let db: ReturnType<typeof openConnection>;
  try {
    // synchronous=FULL here too: the database file is fsynced before the WAL may be reused.
    db = openConnection(file, options, false);
  } catch {
    port.close(); // the writer's automatic checkpoint does the work alone
    return;
  }
  let scheduled = false;
  let caughtUp = false;
  const checkpoint = () => {
    scheduled = false;
    try {
      // log: frames in the WAL; checkpointed: those now in the database file (a reader holding an
      // older snapshot keeps the rest there until it is done).
      const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      if (!caughtUp && result.busy === 0 && result.checkpointed >= result.log) {
        caughtUp = true;
        port.postMessage('caught-up' satisfies FromCheckpointer);
      }
    } catch {
      // Busy, full, I/O: the next request tries again, and a failing disk surfaces in the commits.
    }
  };
  port.on('message', (message: ToCheckpointer) => {
    if (message === 'close') {
      db.close();
      port.close();
      return;
    }
    // Requests that arrive during a checkpoint make one more, not one each.
    if (!scheduled) {
      scheduled = true;
      setImmediate(checkpoint);
    }
  });
}

if (parentPort) serve(parentPort, workerData as { file: string; options: ConnectionOptions });
