// Reusable work buffers. A query over millions of rows needs a few row-sized integer arrays that
// it drops when it returns; allocating them fresh each time costs little in itself, but V8 counts
// typed arrays as external memory and answers a stream of large ones with full garbage
// collections of the whole heap (measured: +100-200 ms per query at 5M rows, bench/funnel.js).
// So each kind of buffer is kept and reused. Contents are stale: callers initialise what they read.
// Safe because JavaScript runs one query at a time and no caller keeps a buffer past its return.
const pool = new Map<string, Int32Array>();

/** An Int32Array of `size` elements (stale contents) for the work of `key`, reused across calls. */
export function scratch(key: string, size: number): Int32Array {
  let buffer = pool.get(key);
  if (!buffer || buffer.length < size) {
    // Some headroom, so a table that grows by a few rows does not reallocate on every query.
    buffer = new Int32Array(Math.max(1024, Math.ceil(size * 1.25)));
    pool.set(key, buffer);
  }
  return buffer.subarray(0, size);
}

/** Drops every buffer (for a process that is done with queries and wants its memory back). */
export function releaseScratch(): void {
  pool.clear();
}
