import type { Io } from './io';

/** Redraws at most this often: a terminal is slower than an import. */
const REDRAW_MS = 100;

export interface ImportProgress {
  /** The rows read and orders found so far. */
  update(progress: { rows: number; orders: number }): void;
  /** Clears the line it drew. */
  end(): void;
}

/**
 * A one-line progress display of `spur import` on stderr, only when stderr is a terminal (a log
 * file or a CI system gets nothing but the summary).
 */
export function createImportProgress(io: Io): ImportProgress {
  const started = Date.now();
  let drawn = 0;
  let shown = false;
  return {
    update({ rows, orders }) {
      if (!io.errIsTTY) return;
      const now = Date.now();
      if (now - drawn < REDRAW_MS) return;
      drawn = now;
      const rate = Math.round(rows / Math.max((now - started) / 1000, 0.001));
      io.err(`\rimporting: ${rows.toLocaleString('en')} rows, ${orders.toLocaleString('en')} orders, ${rate.toLocaleString('en')} rows/s\x1b[K`);
      shown = true;
    },
    end() {
      if (shown) io.err('\r\x1b[K');
      shown = false;
    },
  };
}
