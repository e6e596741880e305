// The catch-up's decoder thread: parses the pages of a large catch-up into FactPages (typed
// arrays and each page's distinct strings) while the main thread reads the next page from
// storage and appends the previous one to the engine. Parsing is about half of what a catch-up
// costs per event; here it runs on the second core. It only computes: no storage, no timers.
import { parentPort } from 'node:worker_threads';
import { encodeFactPage } from '../analytics/fact-page-encoder';
import type { FromDecoder, ToDecoder } from './page-decoder';

const port = parentPort!;
port.on('message', ({ id, page: bytes }: ToDecoder) => {
  let answer: FromDecoder;
  try {
    const page = encodeFactPage(bytes);
    answer = { id, page };
    port.postMessage(answer, [page.ts.buffer, page.cells.buffer, page.carts.buffer]);
  } catch (err) {
    answer = { id, error: err instanceof Error ? err.message : String(err) };
    port.postMessage(answer);
  }
});
