// The main thread's side of the catch-up's decoder thread (page-decoder-thread.ts): pages as
// Storage.factsAfter returns them go there (their bytes moved, not copied), FactPages come back. The thread keeps the
// process alive only while it owes an answer, and stop() ends it; a catch-up starts one for its
// run and stops it when the run ends (jobs/catch-up.ts).
import type { Worker } from 'node:worker_threads';
import type { FactPage } from '../analytics/fact-page';
import { startThread } from '../threads';

/** Main -> decoder: a page as Storage.factsAfter returns it. */
export interface ToDecoder {
  id: number;
  page: Uint8Array | string;
}

/** Decoder -> main. */
export type FromDecoder = { id: number; page: FactPage } | { id: number; error: string };

export interface PageDecoder {
  /** The FactPage of `page` (encodeFactPage's), made on the decoder thread; bytes are moved there (emptied here). */
  decode(page: Uint8Array | string): Promise<FactPage>;
  /** Ends the thread; pages not answered yet are rejected. Resolves once it is gone. */
  stop(): Promise<void>;
  /** Whether the thread failed or ended before stop() was asked for (a page it could not parse is no failure of the thread). */
  readonly broken: boolean;
}

/** Starts a decoder thread. */
export function startPageDecoder(): PageDecoder {
  const worker: Worker = startThread(__dirname, 'page-decoder-thread', {});
  const pending = new Map<number, { resolve: (page: FactPage) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let gone: Error | undefined;
  let stopping = false;
  let broken = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.unref();

  const fail = (err: Error) => {
    gone ??= err;
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
  };
  worker.on('message', (message: FromDecoder) => {
    const p = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if ('error' in message) p?.reject(new Error(`catch-up page: ${message.error}`));
    else p?.resolve(message.page);
  });
  worker.on('error', (err) => {
    broken = true;
    fail(err);
  });
  worker.once('exit', (code) => {
    broken ||= !stopping;
    fail(new Error(`the catch-up's decoder thread exited (${code})`));
  });

  return {
    decode(page) {
      if (gone) return Promise.reject(gone);
      const id = nextId++;
      // Moved when the bytes are a buffer of their own (as storage makes them), else copied.
      const own = typeof page !== 'string' && page.byteOffset === 0 && page.byteLength === page.buffer.byteLength && page.buffer instanceof ArrayBuffer;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // An answer owed keeps the process alive, as a read of storage would.
        worker.ref();
        worker.postMessage({ id, page } satisfies ToDecoder, own ? [(page as Uint8Array).buffer as ArrayBuffer] : []);
      });
    },
    get broken() {
      return broken;
    },
    async stop() {
      stopping = true;
      fail(new Error('the catch-up stopped'));
      await worker.terminate();
      await exited;
    },
  };
}
