// Reusable work buffers. A query over millions of rows needs a few row-sized integer arrays that
// it drops when it returns; allocating them fresh each time costs little in itself, but V8 counts
// typed arrays as external memory and answers a stream of large ones with full garbage
// collections of the whole heap (measured: +100-200 ms per query at 5M rows, bench/funnel.js).
// So each kind of buffer is kept and reused while queries come, and all are dropped once none
// came for SCRATCH_IDLE_MS: a collector that answered a burst of exports does not keep about
// 15 bytes per event of buffers until the next one. The pool is bounded: one buffer per kind
// (a dozen kinds), each at most 1/16 larger than the largest size asked for.
// Contents are stale: callers initialise what they read. Safe because JavaScript runs one query
// at a time and no caller keeps a buffer past its return.
const pool = new Map<string, Int32Array>();

/** How long the buffers outlive the last query that used them. */
export const SCRATCH_IDLE_MS = 10_000;

let timer: ReturnType<typeof setTimeout> | undefined;

// (Re)starts the countdown to dropping the pool; the timer never keeps the process alive.
function keepForNow(): void {
  if (timer) {
    timer.refresh();
    return;
  }
  timer = setTimeout(releaseScratch, SCRATCH_IDLE_MS);
  timer.unref?.();
}

/** An Int32Array of `size` elements (stale contents) for the work of `key`, reused across calls. */
export function scratch(key: string, size: number): Int32Array {
  let buffer = pool.get(key);
  if (!buffer || buffer.length < size) {
    // Some headroom, so a table that grows by a few rows does not reallocate on every query.
    buffer = new Int32Array(Math.max(1024, size + (size >> 4)));
    pool.set(key, buffer);
  }
  keepForNow();
  return buffer.subarray(0, size);
}

/** Bytes the pool holds now. */
export function scratchBytes(): number {
  let bytes = 0;
  for (const buffer of pool.values()) bytes += buffer.byteLength;
  return bytes;
}

/** Drops every buffer (done by itself SCRATCH_IDLE_MS after the last query). */
export function releaseScratch(): void {
  pool.clear();
  if (timer) clearTimeout(timer);
  timer = undefined;
}
